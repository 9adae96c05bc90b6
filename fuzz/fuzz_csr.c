/* libFuzzer target: PKCS#10 parsing and inspection (common/csr*.c) and
 * crpd's verification of a request (crp/verify.c, crp/verify_checks.c):
 * what a device sends through the SCEP server and the policy module.
 *
 * Input, one of:
 *   a DER request: inspected, then verified as crpd does (everything but
 *     the one-time use) with the test keys; the seeds carry challenges
 *     sealed to them, so the fuzzer reaches the claims and every check;
 *   'C', two bytes (big-endian) of length n, n bytes of claims JSON, a DER
 *     request: the target signs the claims with the test signing key,
 *     seals them to the test CRP key, makes that the request's
 *     challengePassword and signs the request again with the test device
 *     key; then as above.  So the fuzzer varies the claims and the request
 *     together and reaches every request check with any claims;
 *   a PEM request (it starts with "-----"): inspected only.
 *
 * Invariants: an inspected request's strings have the lengths they claim
 * and no NUL inside, SAN and key types are known, at most as many SANs and
 * EKUs as the extensions hold; the verification's outcome is consistent
 * (fuzz_crp_check_result()) and agrees with the inspection: a request that
 * does not parse or inspect is 0x<REQUEST_MALFORMED>, one without a
 * challengePassword is refused for that. */
#include "fuzz.h"
#include "fuzz_crp.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "csr.h"
#include "events.h"

static void
check_info(const struct ndes_csr_info *info)
{
	FUZZ_CHECK(info->subject != NULL);
	for (size_t i = 0; i < info->nsans; i++) {
		FUZZ_CHECK(info->sans[i].type >= NDES_SAN_EMAIL &&
		    info->sans[i].type <= NDES_SAN_OTHER);
		FUZZ_CHECK(info->sans[i].value != NULL);
		FUZZ_CHECK(ndes_san_type_name(info->sans[i].type) != NULL);
	}
	for (size_t i = 0; i < info->nekus; i++)
		FUZZ_CHECK(info->ekus[i] != NULL && info->ekus[i][0] != '\0');
	FUZZ_CHECK(info->key_type == NDES_KEY_RSA || info->key_type == NDES_KEY_EC ||
	    info->key_type == NDES_KEY_OTHER);
	if (info->challenge_password != NULL)
		FUZZ_CHECK(strlen(info->challenge_password) == info->challenge_password_len);
	FUZZ_CHECK(memchr(info->sig_alg, '\0', sizeof(info->sig_alg)) != NULL);
	FUZZ_CHECK(memchr(info->sig_hash, '\0', sizeof(info->sig_hash)) != NULL);
}

/* The request as inspected: -1 when it does not parse or inspect, else
 * whether it has a challengePassword. */
static int
inspect(X509_REQ *req)
{
	struct ndes_csr_info *info;
	char err[256] = "", hex[NDES_CRYPTO_SHA256_HEX_LEN + 1];
	int has_challenge;

	if (req == NULL)
		return -1;
	if ((info = ndes_csr_inspect(req, err, sizeof(err))) == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		fuzz_note("not inspected: %s", err);
		return -1;
	}
	check_info(info);
	has_challenge = info->challenge_password != NULL && info->challenge_password_len > 0;
	ndes_csr_info_free(info);
	if (ndes_csr_pubkey_sha256(req, hex, sizeof(hex)) == 0)
		FUZZ_CHECK(strlen(hex) == NDES_CRYPTO_SHA256_HEX_LEN);
	return has_challenge;
}

/* The request of der with challenge as its only challengePassword, signed
 * again by the test device key with the hash it was signed with; DER or
 * NULL. */
static uint8_t *
with_challenge(const uint8_t *der, size_t len, const char *challenge, size_t *outlen)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	const EVP_MD *md = NULL;
	unsigned char *out = NULL;
	int i, mdnid = NID_undef, n = 0;

	if (req == NULL)
		goto done;
	while ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1)) >= 0)
		X509_ATTRIBUTE_free(X509_REQ_delete_attr(req, i));
	if (OBJ_find_sigid_algs(X509_REQ_get_signature_nid(req), &mdnid, NULL) != 1 ||
	    (md = EVP_get_digestbynid(mdnid)) == NULL)
		md = EVP_sha256();
	if (X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_ASC,
	    (const unsigned char *)challenge, -1) == 1 &&
	    X509_REQ_sign(req, fuzz_key("device"), md) > 0)
		n = i2d_X509_REQ(req, &out);
done:
	X509_REQ_free(req);
	ERR_clear_error();
	*outlen = n > 0 ? (size_t)n : 0;
	return n > 0 ? out : NULL;
}

/* 'C' inputs: the request with the claims sealed in; NULL when there is none. */
static uint8_t *
claims_request(const uint8_t *data, size_t size, size_t *outlen)
{
	size_t n = size >= 3 ? (size_t)data[1] << 8 | data[2] : 0;
	uint8_t *der = NULL;
	char *challenge;

	if (size < 3 || n > size - 3 ||
	    (challenge = fuzz_seal_claims(data + 3, n)) == NULL)
		return NULL;
	der = with_challenge(data + 3 + n, size - 3 - n, challenge, outlen);
	free(challenge);
	return der;
}

static void
verify(const uint8_t *data, size_t size)
{
	struct crp_verify_result res;
	X509_REQ *req;
	int seen;
	bool ok;

	req = ndes_csr_from_der(data, size);
	seen = inspect(req);
	X509_REQ_free(req);
	ok = crp_verify(fuzz_crp_keyset(), fuzz_crp_params(), data, size, &res);
	fuzz_note("%d 0x%08X %s", ndes_event_id(res.event), res.code, res.reason);
	fuzz_crp_check_result(ok, &res);
	if (seen == -1)
		FUZZ_CHECK(!ok && res.code == NDES_DIAG_REQUEST_MALFORMED);
	else if (seen == 0)
		FUZZ_CHECK(!ok && res.code == NDES_DIAG_CHALLENGE_MISSING);
	crp_verify_result_clear(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *der;
	size_t len;
	X509_REQ *req;

	if (size >= 5 && memcmp(data, "-----", 5) == 0) {
		req = ndes_csr_from_pem((const char *)data, size);
		inspect(req);
		X509_REQ_free(req);
	} else if (size >= 1 && data[0] == 'C') {
		if ((der = claims_request(data, size, &len)) != NULL)
			verify(der, len);
		OPENSSL_free(der);
	} else {
		verify(data, size);
	}
	return 0;
}
