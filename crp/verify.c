/* Challenge verification up to (not including) the one-time use check. */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "csr.h"

static bool verify_fail(struct crp_verify_result *, enum ndes_event, uint32_t,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static bool
verify_fail(struct crp_verify_result *res, enum ndes_event ev, uint32_t code,
    const char *fmt, ...)
{
	va_list ap;

	res->event = ev;
	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return false;
}

int
crp_spki_sha256(X509_PUBKEY *spki, char *hex, size_t hexlen)
{
	unsigned char *der = NULL;
	int n, rc;

	if (spki == NULL || (n = i2d_X509_PUBKEY(spki, &der)) <= 0)
		return -1;
	rc = ndes_crypto_digest_hex(der, (size_t)n, EVP_sha256(), hex, hexlen);
	OPENSSL_free(der);
	return rc;
}

/* The code of each reason a challenge does not open (challenge.h). */
static const struct {
	enum ndes_challenge_error rc;
	uint32_t code;
} open_codes[] = {
	{ NDES_CHALLENGE_OK, NDES_DIAG_SUCCESS },
	{ NDES_CHALLENGE_NOT_BASE64, NDES_DIAG_CHALLENGE_TEXT_NOT_BASE64 },
	{ NDES_CHALLENGE_MALFORMED, NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED },
	{ NDES_CHALLENGE_NO_RECIPIENT_KEY, NDES_DIAG_CRPSCEP_CERT_NOT_FOUND },
	{ NDES_CHALLENGE_NO_SIGNING_CERT, NDES_DIAG_CRPSCEP_SIGNING_CERT_NOT_FOUND },
	{ NDES_CHALLENGE_CERTS_EMBEDDED, NDES_DIAG_CHALLENGE_CERTS_EMBEDDED },
	{ NDES_CHALLENGE_CRLS_EMBEDDED, NDES_DIAG_CHALLENGE_CRLS_EMBEDDED },
	{ NDES_CHALLENGE_CONTENT_INVALID, NDES_DIAG_CHALLENGE_CONTENT_INVALID },
	{ NDES_CHALLENGE_SIGNERS_NOT_ONE, NDES_DIAG_CHALLENGE_SIGNERS_NOT_ONE },
	{ NDES_CHALLENGE_ATTRIBUTES, NDES_DIAG_CHALLENGE_ATTRIBUTES_PRESENT },
	{ NDES_CHALLENGE_DIGEST_NOT_ALLOWED, NDES_DIAG_CHALLENGE_DIGEST_NOT_ALLOWED },
	{ NDES_CHALLENGE_SIGALG_NOT_ALLOWED, NDES_DIAG_CHALLENGE_SIGNATURE_ALG_NOT_ALLOWED },
	{ NDES_CHALLENGE_UNKNOWN_SIGNER, NDES_DIAG_CHALLENGE_SIGNER_UNKNOWN },
	{ NDES_CHALLENGE_SIGNER_UNUSABLE, NDES_DIAG_CHALLENGE_SIGNER_UNUSABLE },
	{ NDES_CHALLENGE_BAD_SIGNATURE, NDES_DIAG_CHALLENGE_SIGNATURE_INVALID },
};

static uint32_t
verify_open_code(enum ndes_challenge_error rc)
{
	for (size_t i = 0; i < sizeof(open_codes) / sizeof(open_codes[0]); i++)
		if (open_codes[i].rc == rc)
			return open_codes[i].code;
	return NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
verify_take_ids(struct crp_verify_result *res, const struct ndes_challenge_claims *c)
{
	res->challenge_id = dup_or_null(c->challenge_id);
	res->device_id = dup_or_null(c->device_id);
	res->user_id = dup_or_null(c->user_id);
	res->claims_template = dup_or_null(c->template_name);
	res->expires_at = c->expires_at;
}

/* The request, its public key decoded once (csr.h: no key decoder built
 * per request), and what ndes_csr_inspect() read from it. */
struct verify_request {
	X509_REQ		*req;
	EVP_PKEY		*key;
	struct ndes_csr_info	*info;
};

/* From the opened claims on: expiry, CSR signature, the request checks. */
static bool
verify_claims(const struct crp_verify_params *params, const struct verify_request *vr,
    const struct ndes_challenge_claims *claims, struct crp_verify_result *res)
{
	uint32_t code;

	/* exp is the first second the challenge is no longer good (the
	 * cloud's expiresIn: 0 mints one that is expired at once), and any
	 * integer the claims carry: no arithmetic on it may overflow. */
	if (claims->expires_at <= params->now - params->grace)
		return verify_fail(res, NDES_EV_CRP_VERIFY_WARNING,
		    NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED, "challenge expired %llu s ago",
		    (unsigned long long)params->now - (unsigned long long)claims->expires_at);
	if (ndes_csr_verify_signature_with(vr->req, vr->key) != 1)
		return verify_fail(res, NDES_EV_CRP_VERIFY_WARNING,
		    NDES_DIAG_CSR_SIGNATURE_INVALID,
		    "certificate request signature does not verify");
	code = crp_check_request(claims, vr->info, params->tenant_id, res->reason,
	    sizeof(res->reason));
	if (code != NDES_DIAG_SUCCESS) {
		res->event = NDES_EV_CRP_VERIFY_WARNING;
		res->code = code;
		return false;
	}
	res->event = NDES_EV_CRP_VERIFY_SUCCESS;
	res->code = NDES_DIAG_SUCCESS;
	return true;
}

static bool
verify_challenge(const struct crp_keyset *ks, const struct crp_verify_params *params,
    const struct verify_request *vr, struct crp_verify_result *res)
{
	const struct ndes_csr_info *info = vr->info;
	struct ndes_challenge_claims claims;
	enum ndes_challenge_error rc;
	char err[CRP_REASON_MAX];
	bool ok;

	if (info->challenge_password == NULL || info->challenge_password_len == 0)
		return verify_fail(res, NDES_EV_CRP_VERIFY_FAILURE, NDES_DIAG_CHALLENGE_MISSING,
		    "certificate request has no challengePassword");
	err[0] = '\0';
	rc = ndes_challenge_open(info->challenge_password, info->challenge_password_len,
	    ks != NULL ? ks->keys : NULL, ks != NULL ? ks->n_keys : 0,
	    ks != NULL ? ks->signing : NULL, &claims, err, sizeof(err));
	if (rc != NDES_CHALLENGE_OK)
		return verify_fail(res, NDES_EV_CRP_VERIFY_FAILURE, verify_open_code(rc), "%s",
		    err);
	verify_take_ids(res, &claims);
	ok = verify_claims(params, vr, &claims, res);
	ndes_challenge_claims_clear(&claims);
	return ok;
}

bool
crp_verify(const struct crp_keyset *ks, const struct crp_verify_params *params,
    const uint8_t *csr_der, size_t csr_len, struct crp_verify_result *res)
{
	struct verify_request vr = { NULL, NULL, NULL };
	char err[CRP_REASON_MAX];
	bool ok;

	memset(res, 0, sizeof(*res));
	if ((vr.req = ndes_csr_from_der_keyless(csr_der, csr_len)) == NULL)
		return verify_fail(res, NDES_EV_CRP_VERIFY_FAILURE, NDES_DIAG_REQUEST_MALFORMED,
		    "certificate request is not a DER PKCS#10 request");
	err[0] = '\0';
	vr.key = ndes_csr_key(vr.req);
	if ((vr.info = ndes_csr_inspect_with(vr.req, vr.key, err, sizeof(err))) == NULL)
		ok = verify_fail(res, NDES_EV_CRP_VERIFY_FAILURE, NDES_DIAG_REQUEST_MALFORMED,
		    "certificate request: %s", err);
	else if (crp_spki_sha256(X509_REQ_get_X509_PUBKEY(vr.req), res->pubkey_hash,
	    sizeof(res->pubkey_hash)) == -1)
		ok = verify_fail(res, NDES_EV_CRP_VERIFY_FAILURE, NDES_DIAG_REQUEST_MALFORMED,
		    "certificate request: public key cannot be read");
	else
		ok = verify_challenge(ks, params, &vr, res);
	ndes_csr_info_free(vr.info);
	EVP_PKEY_free(vr.key);
	X509_REQ_free(vr.req);
	return ok;
}

void
crp_verify_result_clear(struct crp_verify_result *res)
{
	if (res == NULL)
		return;
	free(res->challenge_id);
	free(res->device_id);
	free(res->user_id);
	free(res->claims_template);
	res->challenge_id = res->device_id = res->user_id = res->claims_template = NULL;
}
