/* libFuzzer target: a PKCS certificate request as the connector downloads
 * it from the cloud (connector/pkcs.c, connector/dn.c): the request
 * object, the device's public key, the subject (RFC 4514), SANs, key
 * usages, EKU OIDs, hash and validity, up to the profile the CA would
 * issue from.  (Issuing itself, and the key generation before it, are the
 * CA backend's; the envelope the connector makes is parsed by the cloud:
 * target cloudsim_api.)
 *
 * Input: the JSON text of one element of the download's "value" array.
 *
 * Invariants: a request without requestId cannot be answered (-1), any
 * other gets an answer: the failure or success result JSON always builds;
 * a profile has the subject and as many SANs and EKUs as the request; the
 * subject's string form parses again to the same name. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto.h"
#include "dn.h"
#include "pkcs.h"

/* The name printed and parsed again is the same name. */
static void
check_dn_round_trip(const X509_NAME *name)
{
	char *text = ndes_crypto_name_to_string(name), err[256];
	X509_NAME *again;

	FUZZ_CHECK(text != NULL);
	again = conn_dn_parse(text, err, sizeof(err));
	fuzz_note("subject %s -> %s", text, again != NULL ? "same" : err);
	FUZZ_CHECK(again != NULL && X509_NAME_cmp(name, again) == 0);
	X509_NAME_free(again);
	free(text);
}

static void
check_profile(const struct conn_pkcs_request *req, const struct conn_pkcs_opts *opts,
    char *err, size_t errlen)
{
	struct conn_ca_profile prof;
	const unsigned char *p = req->device_pub;
	EVP_PKEY *device = NULL;

	if (p != NULL)
		device = d2i_PUBKEY(NULL, &p, (long)req->device_pub_len);
	ERR_clear_error();
	EVP_PKEY_free(device);
	err[0] = '\0';
	if (conn_pkcs_profile(req, opts, &prof, err, errlen) == 0) {
		FUZZ_CHECK(prof.subject != NULL && prof.sans != NULL && prof.ekus != NULL);
		FUZZ_CHECK((size_t)sk_GENERAL_NAME_num(prof.sans) == req->n_sans);
		FUZZ_CHECK((size_t)sk_ASN1_OBJECT_num(prof.ekus) == req->n_ekus);
		check_dn_round_trip(prof.subject);
	} else {
		fuzz_note("bad request: %s", err);
	}
	conn_pkcs_profile_clear(&prof);
}

/* The failure result the connector uploads for a bad request. */
static void
check_failure_json(const char *request_id, const char *why)
{
	struct conn_pkcs_result res = { 0 };
	json_t *out;

	res.status = CONN_CA_BAD_REQUEST;
	res.error_code = conn_ca_request_error(CONN_CA_BAD_REQUEST);
	snprintf(res.error_message, sizeof(res.error_message), "%s", why);
	out = conn_pkcs_result_json(request_id, &res);
	FUZZ_CHECK(out != NULL);
	json_decref(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_pkcs_opts opts = { .template_s = 365 * 86400 };
	struct conn_pkcs_request req;
	char err[512] = "";
	json_t *item = json_loadb((const char *)data, size, 0, NULL);
	int rc;

	if (item == NULL)
		return 0;
	opts.attribute_end_date = size % 2 == 0;
	rc = conn_pkcs_request_parse(item, &req, err, sizeof(err));
	if (rc == -1) {
		FUZZ_CHECK(json_string_value(json_object_get(item, "requestId")) == NULL);
	} else {
		FUZZ_CHECK(req.request_id != NULL);
		if (rc == 0)
			check_profile(&req, &opts, err, sizeof(err));
		if (err[0] != '\0')
			check_failure_json(req.request_id, err);
	}
	conn_pkcs_request_clear(&req);
	json_decref(item);
	return 0;
}
