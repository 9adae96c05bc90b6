/* libFuzzer target: the cloud's JSON answers as the connector reads them
 * (connector/cloud.c, enroll.c, download.c), from a cloud endpoint that
 * may answer anything.
 *
 * Input: a kind byte, then the answer's body:
 *   'E'  an error answer: conn_cloud_error_text() and _code();
 *   'R'  the answer to register or renew (conn_enroll_parse(), our keys
 *        being the test keys "client" and "crp");
 *   'S'  GET /certificates/signing: the value and its certificates;
 *   'P'  POST /PkcsRequests/download: the work keys, and each request
 *        parsed as the connector carries it out;
 *   'V'  POST .../downloadRevocationRequests: the work keys.
 * (Any other byte picks a kind by its value.)
 *
 * Invariants: an error text names the status and is one line, the code is
 * the answer's error.code; a parsed registration holds certificates for our
 * keys; every certificate of the signing value is one; a work key is the
 * prefix and the request's whole ID, so two requests never share a key. */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "download.h"
#include "enroll.h"
#include "pkcs.h"

#define CLOUD_FUZZ_STATUS 418

static void
error_answer(const char *body, size_t len)
{
	char text[1024], code[256], head[32];
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *want = json_string_value(json_object_get(json_object_get(root, "error"),
	    "code"));

	conn_cloud_error_text(CLOUD_FUZZ_STATUS, body, len, text, sizeof(text));
	conn_cloud_error_code(body, len, code, sizeof(code));
	fuzz_note("%s | %s", text, code);
	snprintf(head, sizeof(head), "HTTP %d", CLOUD_FUZZ_STATUS);
	FUZZ_CHECK(strncmp(text, head, strlen(head)) == 0);
	FUZZ_CHECK(strchr(text, '\n') == NULL);
	FUZZ_CHECK(want == NULL ? code[0] == '\0' : strncmp(code, want, sizeof(code) - 1) == 0);
	json_decref(root);
}

static void
enroll_answer(const char *body, size_t len)
{
	struct conn_enroll e = { .client_key = fuzz_key("client"), .crp_key = fuzz_key("crp") };
	struct conn_enroll_reply r;
	char err[512];

	if (conn_enroll_parse(body, len, &e, &r, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0' && r.connector_id == NULL && r.client == NULL);
		return;
	}
	FUZZ_CHECK(r.connector_id != NULL && r.ca_chain != NULL && r.signing != NULL);
	FUZZ_CHECK(X509_check_private_key(r.client, e.client_key) == 1 &&
	    X509_check_private_key(r.crp, e.crp_key) == 1);
	conn_enroll_reply_clear(&r);
}

static void
signing_answer(const json_t *value)
{
	STACK_OF(X509) *certs = conn_download_signing_certs(value);

	FUZZ_CHECK(certs != NULL && (size_t)sk_X509_num(certs) <= json_array_size(value));
	for (int i = 0; i < sk_X509_num(certs); i++)
		FUZZ_CHECK(sk_X509_value(certs, i) != NULL);
	sk_X509_pop_free(certs, X509_free);
}

/* As d_work.c does with a stored PKCS request. */
static void
pkcs_item(const json_t *item)
{
	struct conn_pkcs_request req;
	char err[512];

	if (conn_pkcs_request_parse(item, &req, err, sizeof(err)) != -1)
		FUZZ_CHECK(req.request_id != NULL);
	conn_pkcs_request_clear(&req);
}

static void
requests_answer(const json_t *value, bool pkcs)
{
	const char *field = pkcs ? "requestId" : "requestContext", *prefix = pkcs ? "p:" : "r:";
	char key[400], want[1024];
	const char *id;
	size_t i;
	json_t *v;

	json_array_foreach(value, i, v) {
		if (pkcs)
			pkcs_item(v);
		id = json_string_value(json_object_get(v, field));
		if (conn_download_work_key(v, field, prefix, key, sizeof(key)) == -1) {
			/* refused: no ID, or one that could be another's */
			FUZZ_CHECK(id == NULL || strlen(id) + 2 >= sizeof(key) ||
			    strlen(id) != json_string_length(json_object_get(v, field)));
			continue;
		}
		FUZZ_CHECK(strlen(id) == json_string_length(json_object_get(v, field)));
		snprintf(want, sizeof(want), "%s%s", prefix, id);
		FUZZ_CHECK(strcmp(key, want) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;
	json_t *value;
	int kind;

	if (size < 1)
		return 0;
	kind = strchr("ERSPV", data[0]) != NULL && data[0] != '\0' ? data[0] :
	    "ERSPV"[data[0] % 5];
	if (kind == 'E' || kind == 'R') {
		(kind == 'E' ? error_answer : enroll_answer)(body, size - 1);
		return 0;
	}
	if ((value = conn_download_value(body, size - 1)) == NULL)
		return 0;
	FUZZ_CHECK(json_is_array(value));
	if (kind == 'S')
		signing_answer(value);
	else
		requests_answer(value, kind == 'P');
	json_decref(value);
	return 0;
}
