/* scep_capture: captures a SCEP server's answers once, for the seeds of
 * fuzz/corpus/scep_cacert and fuzz/corpus/scep_certrep (docs/fuzzing.md).
 * Built with the tests (`make fuzz/scep_capture`).
 *
 *   scep_capture URL OUT-PREFIX [CHALLENGE]
 *   scep_capture --responder OUT-DIR
 *
 * Writes OUT-PREFIX.cacert (the GetCACert answer as fuzz_scep_cacert reads
 * it: Content-Type line, body) and OUT-PREFIX.certrep (the CertRep to a
 * PKCSReq for the "crp-rsa" test key, with the fixed transactionID and
 * senderNonce of fuzz/fuzz_scep.h).  The server's CA must be
 * fuzz/keys/scep-ca.* (a scepserver depot made with that certificate and
 * key) for the seeds to reach past the signature check.  --responder writes
 * OUT-DIR/responder-<answer>.der: the tests' responder's answers
 * (tests/lib/scep_responder*.c, with the fuzz CA) to the same request. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "fuzz_scep.h"
#include "http_client.h"
#include "scep_int.h"
#include "scep_responder.h"

static X509_REQ *
capture_csr(EVP_PKEY *key, const char *challenge)
{
	X509_REQ *req = X509_REQ_new();

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"fuzz-device", -1, -1, 0);
	X509_REQ_set_pubkey(req, key);
	if (challenge != NULL)
		X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
		    (const unsigned char *)challenge, -1);
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		abort();
	return req;
}

static void
save(const char *prefix, const char *ext, const char *head, const char *body, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", prefix, ext);
	if ((f = fopen(path, "wb")) == NULL || (head != NULL && fputs(head, f) < 0) ||
	    fwrite(body, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* One request on a fresh connection; the body (malloc'd). */
static char *
capture_fetch(const char *base, const char *method, const char *path, const void *body,
    size_t len, size_t *out_len)
{
	struct ndes_http_fetch_opts o = {
		.client = { .base_url = base }, .method = method, .path = path,
		.content_type = body != NULL ? "application/x-pki-message" : NULL,
		.body = body, .len = len,
	};
	char err[256], *out = NULL;
	int status = 0;

	if (ndes_http_fetch(&o, &status, &out, out_len, err, sizeof(err)) != NDES_HTTP_OK ||
	    status != 200) {
		fprintf(stderr, "scep_capture: %s %s: %s (HTTP %d)\n", method, path, err, status);
		exit(1);
	}
	return out;
}

/* The fixed PKCSReq of fuzz/fuzz_scep.h to ca (DER, OPENSSL_free it). */
static uint8_t *
capture_request(X509 *ca, const char *challenge, size_t *len)
{
	EVP_PKEY *key = fuzz_key(FUZZ_SCEP_DEVICE);
	X509_REQ *csr = capture_csr(key, challenge);
	char reason[DSIM_SCEP_REASON_MAX];
	uint8_t *csr_der, *der;
	size_t csr_len;
	struct dsim_scep_req req = {
		.message_type = DSIM_SCEP_MSG_PKCSREQ, .recipient = ca,
		.cipher = EVP_aes_128_cbc(), .signer = fuzz_cert(FUZZ_SCEP_DEVICE),
		.signer_key = key, .digest = EVP_sha256(),
		.transaction_id = FUZZ_SCEP_TRANSACTION_ID,
		.sender_nonce = (const unsigned char *)FUZZ_SCEP_NONCE,
	};

	if (ndes_csr_to_der(csr, &csr_der, &csr_len) < 0)
		abort();
	req.content = csr_der;
	req.content_len = csr_len;
	if (dsim_scep_req_build(&req, &der, len, reason) < 0) {
		fprintf(stderr, "scep_capture: %s\n", reason);
		exit(1);
	}
	free(csr_der);
	X509_REQ_free(csr);
	return der;
}

static int
capture_server(const char *url, const char *prefix, const char *challenge)
{
	char *base, *path, *target, *body, reason[DSIM_SCEP_REASON_MAX];
	STACK_OF(X509) *certs;
	X509 *ca;
	uint8_t *der;
	size_t len, der_len;

	if (dsim_scep_url_split(url, &base, &path) < 0 ||
	    asprintf(&target, "%s?operation=GetCACert", path) < 0)
		return fprintf(stderr, "scep_capture: bad URL %s\n", url), 1;
	body = capture_fetch(base, "GET", target, NULL, 0, &len);
	save(prefix, "cacert", "application/x-x509-ca-cert\n", body, len);
	if (dsim_scep_cacert_parse(NULL, (uint8_t *)body, len, &certs, &ca, reason) < 0)
		return fprintf(stderr, "scep_capture: %s\n", reason), 1;
	der = capture_request(ca, challenge, &der_len);
	free(target);
	free(body);
	if (asprintf(&target, "%s?operation=PKIOperation", path) < 0)
		abort();
	body = capture_fetch(base, "POST", target, der, der_len, &len);
	save(prefix, "certrep", NULL, body, len);
	return 0;
}

/* The tests' responder (tests/lib/scep_responder*.c) with the fuzz CA. */
static int
capture_responder(const char *dir)
{
	static const struct { const char *name; struct resp_config cfg; } modes[] = {
		{ "success-aes", { .answer = RESP_SUCCESS } },
		{ "pending", { .answer = RESP_PENDING, .pending = 1 } },
		{ "failure-badcertid", { .answer = RESP_FAILURE, .fail_info = 4 } },
		{ "wrong-nonce", { .answer = RESP_WRONG_NONCE } },
		{ "no-recipient-nonce", { .answer = RESP_NO_RECIPIENT_NONCE } },
		{ "wrong-transid", { .answer = RESP_WRONG_TRANSID } },
		{ "other-key", { .answer = RESP_OTHER_KEY } },
		{ "unknown-status", { .answer = RESP_UNKNOWN_STATUS } },
		{ "two-statuses", { .answer = RESP_TWO_STATUSES } },
		{ "other-signer", { .answer = RESP_OTHER_SIGNER } },
		{ "smuggled-signer", { .answer = RESP_SMUGGLED_SIGNER } },
		{ "forged-ca", { .answer = RESP_FORGED_CA } },
	};
	char prefix[512];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct resp_config cfg = modes[i].cfg;
		struct resp *r;
		uint8_t *req, *der;
		size_t req_len, len;

		cfg.ca_cert = fuzz_cert(FUZZ_SCEP_CA);
		cfg.ca_key = fuzz_key(FUZZ_SCEP_CA);
		if ((r = resp_new(NULL, &cfg)) == NULL)
			abort();
		req = capture_request(cfg.ca_cert, NULL, &req_len);
		if (resp_certrep(r, req, req_len, &der, &len) < 0)
			abort();
		snprintf(prefix, sizeof(prefix), "%s/responder-%s", dir, modes[i].name);
		save(prefix, "der", NULL, (const char *)der, len);
		OPENSSL_free(der);
		OPENSSL_free(req);
		resp_free(r);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--responder") == 0)
		return capture_responder(argv[2]);
	if (argc < 3 || argc > 4)
		return fprintf(stderr, "usage: scep_capture URL OUT-PREFIX [CHALLENGE]\n"
		    "       scep_capture --responder OUT-DIR\n"), 1;
	return capture_server(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
}
