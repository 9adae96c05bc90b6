/* The crpd targets' key material and result checks.  See fuzz_crp.h. */
#include "fuzz.h"
#include "fuzz_crp.h"

#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "b64.h"
#include "events.h"
#include "http_api.h"

const struct crp_keyset *
fuzz_crp_keyset(void)
{
	static struct crp_keyset ks;

	if (ks.refs == 0) {
		ks.refs = 1;
		ks.keys[0].cert = fuzz_cert("crp");
		ks.keys[0].key = fuzz_key("crp");
		ks.keys[1].cert = fuzz_cert("crp-rsa");
		ks.keys[1].key = fuzz_key("crp-rsa");
		ks.n_keys = 2;
		FUZZ_CHECK((ks.signing = sk_X509_new_null()) != NULL &&
		    sk_X509_push(ks.signing, fuzz_cert("signer")) == 1);
	}
	return &ks;
}

const struct crp_verify_params *
fuzz_crp_params(void)
{
	static const struct crp_verify_params params = {
		.tenant_id = FUZZ_TENANT, .now = FUZZ_NOW, .grace = 300,
	};

	return &params;
}

/* What crpd's HTTP API answers (its reply operations, crp_http_reply()):
 * 201 exactly when verified, else 403 or 503, always with a JSON body. */
static void
check_answer(bool ok, const struct crp_verify_result *res)
{
	struct crp_verify_answer a = {
		.verified = ok, .event_id = ndes_event_id(res->event), .code = res->code,
		.reason = res->reason, .challenge_id = res->challenge_id,
		.device_id = res->device_id, .user_id = res->user_id,
	};
	json_t *answer;
	int status = 0;

	answer = crp_http_verify_answer(&a, &status);
	FUZZ_CHECK(answer != NULL);
	FUZZ_CHECK(ok ? status == 201 : (status == 403 || status == 503));
	json_decref(answer);
}

void
fuzz_crp_check_result(bool ok, const struct crp_verify_result *res)
{
	FUZZ_CHECK(ndes_diag_name(res->code) != NULL);
	check_answer(ok, res);
	if (ok) {
		FUZZ_CHECK(res->event == NDES_EV_CRP_VERIFY_SUCCESS && res->code == 0);
		FUZZ_CHECK(res->challenge_id != NULL && res->device_id != NULL);
		FUZZ_CHECK(res->pubkey_hash[0] != '\0');
		return;
	}
	FUZZ_CHECK(res->event == NDES_EV_CRP_VERIFY_WARNING ||
	    res->event == NDES_EV_CRP_VERIFY_FAILURE);
	FUZZ_CHECK(res->code != 0 && res->reason[0] != '\0');
	/* Expiry and the request checks come after the claims were read. */
	if (res->event == NDES_EV_CRP_VERIFY_WARNING)
		FUZZ_CHECK(res->challenge_id != NULL);
}

/* ---- Sealing as the cloud does ---- */

char *
fuzz_seal_envelope(const uint8_t *content, size_t len)
{
	STACK_OF(X509) *to = sk_X509_new_null();
	BIO *in = BIO_new_mem_buf(content, (int)len);
	CMS_ContentInfo *env = NULL;
	unsigned char *der = NULL;
	char *text = NULL;
	int n;

	FUZZ_CHECK(to != NULL && in != NULL && sk_X509_push(to, fuzz_cert("crp")) == 1);
	env = CMS_encrypt(to, in, EVP_aes_256_gcm(), CMS_BINARY);
	if (env != NULL && (n = i2d_CMS_ContentInfo(env, &der)) > 0)
		text = ndes_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	CMS_ContentInfo_free(env);
	BIO_free(in);
	sk_X509_free(to);
	ERR_clear_error();
	return text;
}

uint8_t *
fuzz_seal_sign(const uint8_t *content, size_t len, size_t *outlen)
{
	BIO *in = BIO_new_mem_buf(content, (int)len);
	CMS_ContentInfo *sd;
	unsigned char *der = NULL;
	int n = 0;

	FUZZ_CHECK(in != NULL);
	sd = CMS_sign(fuzz_cert("signer"), fuzz_key("signer"), NULL, in,
	    CMS_BINARY | CMS_NOCERTS | CMS_NOATTR | CMS_NOSMIMECAP);
	if (sd != NULL)
		n = i2d_CMS_ContentInfo(sd, &der);
	CMS_ContentInfo_free(sd);
	BIO_free(in);
	ERR_clear_error();
	*outlen = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

char *
fuzz_seal_claims(const uint8_t *json, size_t len)
{
	size_t sd_len;
	uint8_t *sd = fuzz_seal_sign(json, len, &sd_len);
	char *text;

	if (sd == NULL)
		return NULL;
	text = fuzz_seal_envelope(sd, sd_len);
	OPENSSL_free(sd);
	return text;
}
