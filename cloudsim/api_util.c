/* Small helpers of the API and admin handlers (api.h, service.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "b64.h"
#include "clock.h"
#include "crypto.h"
#include "http_client.h"

void
cloudsim_time_iso(int64_t t, char *buf, size_t len)
{
	if (ndes_clock_iso8601((time_t)t, buf, len) == -1)
		snprintf(buf, len, "%lld", (long long)t);
}

json_t *
cloudsim_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
api_get_str(const json_t *obj, const char *field, bool required, size_t maxlen,
    const char **out, char *err, size_t errlen)
{
	const char *s = NULL;

	if (ndes_json_get_string(obj, field, required, &s, err, errlen) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (required && s[0] == '\0') {
		snprintf(err, errlen, "field \"%s\": must not be empty", field);
		return -1;
	}
	if (strlen(s) > maxlen) {
		snprintf(err, errlen, "field \"%s\": at most %zu characters", field, maxlen);
		return -1;
	}
	*out = s;
	return 0;
}

int
api_get_hex(const json_t *obj, const char *field, bool required, size_t maxlen,
    const char **out, char *err, size_t errlen)
{
	const char *s = NULL;

	if (api_get_str(obj, field, required, maxlen, &s, err, errlen) != 0)
		return -1;
	if (s != NULL && s[strspn(s, "0123456789abcdefABCDEF")] != '\0') {
		snprintf(err, errlen, "field \"%s\": expected hexadecimal digits", field);
		return -1;
	}
	if (s != NULL)
		*out = s;
	return 0;
}

void
api_item_err(char *err, size_t errlen, const char *array, size_t i, const char *msg)
{
	char copy[API_ERR_MAX];

	snprintf(copy, sizeof(copy), "%s", msg);
	snprintf(err, errlen, "%s[%zu]: %s", array, i, copy);
}

char *
api_cert_b64(X509 *cert)
{
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64;

	if (ndes_crypto_cert_to_der(cert, &der, &len) != 0)
		return NULL;
	b64 = ndes_b64_encode(der, len);
	free(der);
	return b64;
}

json_t *
api_certs_b64(STACK_OF(X509) *certs)
{
	json_t *arr = json_array();
	char *b64;

	for (int i = 0; arr != NULL && i < sk_X509_num(certs); i++) {
		if ((b64 = api_cert_b64(sk_X509_value(certs, i))) == NULL) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_string(b64));
		free(b64);
	}
	return arr;
}

/* An ISO 8601 date: at least "YYYY-MM-DD". */
int
api_check_date(const char *s, const char *field, char *err, size_t errlen)
{
	for (size_t i = 0; i < 10; i++) {
		char want = (i == 4 || i == 7) ? '-' : '0';

		if (want == '-' ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) {
			snprintf(err, errlen, "field \"%s\": expected an ISO 8601 date "
			    "(\"2025-01-31T12:00:00Z\")", field);
			return -1;
		}
	}
	return 0;
}
