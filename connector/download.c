/* What the connector reads from the cloud's download answers (see
 * download.h): the daemon's downloads (d_download.c) use it, and so does
 * fuzz/fuzz_cloud_json.c. */
#include "download.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"

json_t *
conn_download_value(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL), *value;

	value = json_incref(json_object_get(root, "value"));
	json_decref(root);
	if (!json_is_array(value)) {
		json_decref(value);
		return NULL;
	}
	return value;
}

STACK_OF(X509) *
conn_download_signing_certs(const json_t *value)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	size_t i;
	json_t *v;

	if (certs == NULL)
		return NULL;
	json_array_foreach(value, i, v) {
		X509 *c = ndes_crypto_cert_from_b64(json_string_value(v));

		if (c != NULL && sk_X509_push(certs, c) <= 0)
			X509_free(c);
	}
	return certs;
}

int
conn_download_work_key(const json_t *item, const char *id_field, const char *prefix,
    char *key, size_t keylen)
{
	const json_t *v = json_object_get(item, id_field);
	const char *id = json_string_value(v);
	int n;

	/* A NUL inside, or a key cut short, could be another request's key:
	 * the outbox would take it for a repeat and drop it. */
	if (id == NULL || strlen(id) != json_string_length(v))
		return -1;
	n = snprintf(key, keylen, "%s%s", prefix, id);
	return n >= 0 && (size_t)n < keylen ? 0 : -1;
}
