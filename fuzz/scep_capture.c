/* scep_capture: captures a SCEP server's answers once, for the seeds of
 * fuzz/corpus/scep_cacert and fuzz/corpus/scep_certrep (docs/fuzzing.md).
 * Built with the tests (`make fuzz/scep_capture`).
 *
 *   scep_capture URL OUT-PREFIX [CHALLENGE]
 *
 * Writes OUT-PREFIX.cacert (the GetCACert answer as fuzz_scep_cacert reads
 * it: Content-Type line, body) and OUT-PREFIX.certrep (the CertRep to a
 * PKCSReq for the "crp-rsa" test key, with the fixed transactionID and
 * senderNonce of fuzz/fuzz_scep.h).  The server's CA must be
 * fuzz/keys/scep-ca.* (a scepserver depot made with that certificate and
 * key) for the seeds to reach past the signature check. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "fuzz_scep.h"
#include "http_client.h"
#include "scep_int.h"

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

int
main(int argc, char **argv)
{
	EVP_PKEY *key = fuzz_key(FUZZ_SCEP_DEVICE);
	char *base, *path, *target, *body, reason[DSIM_SCEP_REASON_MAX];
	STACK_OF(X509) *certs;
	X509 *ca;
	X509_REQ *csr;
	uint8_t *csr_der, *der;
	size_t len, csr_len, der_len;

	if (argc < 3 || dsim_scep_url_split(argv[1], &base, &path) < 0)
		return fprintf(stderr, "usage: scep_capture URL OUT-PREFIX [CHALLENGE]\n"), 1;
	if (asprintf(&target, "%s?operation=GetCACert", path) < 0)
		abort();
	body = capture_fetch(base, "GET", target, NULL, 0, &len);
	save(argv[2], "cacert", "application/x-x509-ca-cert\n", body, len);
	if (dsim_scep_cacert_parse(NULL, (uint8_t *)body, len, &certs, &ca, reason) < 0)
		return fprintf(stderr, "scep_capture: %s\n", reason), 1;
	csr = capture_csr(key, argc > 3 ? argv[3] : NULL);
	if (ndes_csr_to_der(csr, &csr_der, &csr_len) < 0)
		abort();
	struct dsim_scep_req req = {
		.message_type = DSIM_SCEP_MSG_PKCSREQ, .content = csr_der, .content_len = csr_len,
		.recipient = ca, .cipher = EVP_aes_128_cbc(), .signer = fuzz_cert(FUZZ_SCEP_DEVICE),
		.signer_key = key, .digest = EVP_sha256(),
		.transaction_id = FUZZ_SCEP_TRANSACTION_ID,
		.sender_nonce = (const unsigned char *)FUZZ_SCEP_NONCE,
	};
	if (dsim_scep_req_build(&req, &der, &der_len, reason) < 0)
		return fprintf(stderr, "scep_capture: %s\n", reason), 1;
	free(target);
	if (asprintf(&target, "%s?operation=PKIOperation", path) < 0)
		abort();
	free(body);
	body = capture_fetch(base, "POST", target, der, der_len, &len);
	save(argv[2], "certrep", NULL, body, len);
	return 0;
}
