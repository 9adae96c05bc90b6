/* Challenge sealing and opening with OpenSSL CMS.  See challenge.h. */
#include "challenge_int.h"
#include "b64.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "errmsg.h"

static void
openssl_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	ndes_err_set(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static CMS_ContentInfo *
challenge_sign(const char *json, X509 *signer_cert, EVP_PKEY *signer_key)
{
	BIO *in = BIO_new_mem_buf(json, (int)strlen(json));
	CMS_ContentInfo *signed_data;

	if (in == NULL)
		return NULL;
	signed_data = CMS_sign(signer_cert, signer_key, NULL, in,
	    CMS_BINARY | CMS_NOCERTS | CMS_NOATTR | CMS_NOSMIMECAP);
	BIO_free(in);
	return signed_data;
}

/* RSAES-OAEP with SHA-256 and MGF1 with SHA-256, in one call: the three
 * EVP_PKEY_CTX_set_rsa_* calls each go through the ctrl translation and
 * look the digest up by name (5 % of a sealing); the parameters are the
 * same, and so are the bytes of the recipient's algorithm identifier. */
static int
challenge_use_oaep(CMS_RecipientInfo *ri)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
	int pad = RSA_PKCS1_OAEP_PADDING;
	OSSL_PARAM oaep[] = {
		OSSL_PARAM_construct_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, &pad),
		OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	return pctx != NULL && EVP_PKEY_CTX_set_params(pctx, oaep) > 0 ? 0 : -1;
}

static int
challenge_add_recipients(CMS_ContentInfo *env, STACK_OF(X509) *recipients)
{
	for (int i = 0; i < sk_X509_num(recipients); i++) {
		X509 *cert = sk_X509_value(recipients, i);
		int is_rsa = EVP_PKEY_is_a(X509_get0_pubkey(cert), "RSA");
		CMS_RecipientInfo *ri;

		ri = CMS_add1_recipient_cert(env, cert, is_rsa ? CMS_KEY_PARAM : 0);
		if (ri == NULL)
			return -1;
		if (is_rsa && challenge_use_oaep(ri) != 0)
			return -1;
	}
	return 0;
}

static CMS_ContentInfo *
challenge_encrypt(const uint8_t *der, size_t len, STACK_OF(X509) *recipients)
{
	CMS_ContentInfo *env = NULL;
	BIO *in;

	if (len == 0 || len > INT_MAX || (in = BIO_new_mem_buf(der, (int)len)) == NULL)
		return NULL;
	env = CMS_encrypt(NULL, in, EVP_aes_256_gcm(), CMS_BINARY | CMS_PARTIAL);
	if (env == NULL || challenge_add_recipients(env, recipients) != 0 ||
	    CMS_final(env, in, NULL, CMS_BINARY) != 1) {
		CMS_ContentInfo_free(env);
		env = NULL;
	}
	BIO_free(in);
	return env;
}

static char *
challenge_encode(CMS_ContentInfo *env)
{
	unsigned char *der = NULL;
	int der_len = i2d_CMS_ContentInfo(env, &der);
	char *text;

	if (der_len <= 0)
		return NULL;
	text = ndes_b64_encode(der, (size_t)der_len);
	OPENSSL_free(der);
	return text;
}

int
ndes_challenge_envelope(const uint8_t *signed_der, size_t len, STACK_OF(X509) *recipients,
    char **out, char *err, size_t errlen)
{
	CMS_ContentInfo *env;

	*out = NULL;
	if (sk_X509_num(recipients) <= 0) {
		snprintf(err, errlen, "no CRP encryption certificate registered");
		return -1;
	}
	if ((env = challenge_encrypt(signed_der, len, recipients)) != NULL)
		*out = challenge_encode(env);
	if (*out == NULL)
		openssl_error(err, errlen, "encrypting the challenge");
	CMS_ContentInfo_free(env);
	return *out ? 0 : -1;
}

int
ndes_challenge_seal(const struct ndes_challenge_claims *claims, X509 *signer_cert,
    EVP_PKEY *signer_key, STACK_OF(X509) *recipients, char **out, char *err, size_t errlen)
{
	CMS_ContentInfo *signed_data = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	char *json;

	*out = NULL;
	if (sk_X509_num(recipients) <= 0) {
		snprintf(err, errlen, "no CRP encryption certificate registered");
		return -1;
	}
	if ((json = ndes_challenge_claims_to_json(claims)) == NULL) {
		snprintf(err, errlen, "claims: a required field is missing");
		return -1;
	}
	if ((signed_data = challenge_sign(json, signer_cert, signer_key)) == NULL ||
	    (der_len = i2d_CMS_ContentInfo(signed_data, &der)) <= 0)
		openssl_error(err, errlen, "signing the challenge");
	else
		ndes_challenge_envelope(der, (size_t)der_len, recipients, out, err, errlen);
	OPENSSL_free(der);
	CMS_ContentInfo_free(signed_data);
	free(json);
	return *out ? 0 : -1;
}

/* The recipient entry of ours a challenge was encrypted to. */
struct challenge_recipient {
	const struct ndes_challenge_key	*key;
	CMS_RecipientInfo		*ri;
	CMS_RecipientEncryptedKey	*rek;	/* key agreement: our entry in it */
};

static int
recipient_matches(CMS_RecipientInfo *ri, X509 *cert, CMS_RecipientEncryptedKey **rek)
{
	STACK_OF(CMS_RecipientEncryptedKey) *reks;

	*rek = NULL;
	switch (CMS_RecipientInfo_type(ri)) {
	case CMS_RECIPINFO_TRANS:
		return CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0;
	case CMS_RECIPINFO_AGREE:
		reks = CMS_RecipientInfo_kari_get0_reks(ri);
		for (int i = 0; i < sk_CMS_RecipientEncryptedKey_num(reks); i++) {
			*rek = sk_CMS_RecipientEncryptedKey_value(reks, i);
			if (CMS_RecipientEncryptedKey_cert_cmp(*rek, cert) == 0)
				return 1;
		}
		*rek = NULL;
		return 0;
	default:
		return 0;
	}
}

static int
challenge_find_key(CMS_ContentInfo *env, const struct ndes_challenge_key *keys, size_t n_keys,
    struct challenge_recipient *r)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env);

	for (size_t k = 0; k < n_keys; k++) {
		for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
			r->ri = sk_CMS_RecipientInfo_value(ris, i);
			r->key = &keys[k];
			if (recipient_matches(r->ri, keys[k].cert, &r->rek))
				return 0;
		}
	}
	return -1;
}

/* Our entry's key, then the content into out: an EC recipient with the
 * quick point check (challenge_ecdh.c), anything else as CMS_decrypt()
 * does it.  1 when it decrypted, NDES_CHALLENGE_KARI_OFF_CURVE, or 0. */
static int
challenge_decrypt(CMS_ContentInfo *env, const struct challenge_recipient *r, BIO *out)
{
	int rc = -1;

	if (r->rek != NULL)
		rc = ndes_challenge_kari_decrypt(env, r->ri, r->rek, r->key->key, out);
	if (rc == -1)
		rc = CMS_decrypt(env, r->key->key, r->key->cert, NULL, out, CMS_BINARY) == 1;
	return rc;
}

/* Strict base64 (one line, padded) of a DER AuthEnvelopedData. */
static enum ndes_challenge_error
challenge_decode(const char *text, size_t len, CMS_ContentInfo **out)
{
	CMS_ContentInfo *cms = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;

	*out = NULL;
	if (ndes_b64_decode(text, len, &der, &der_len) != 0)
		return NDES_CHALLENGE_NOT_BASE64;
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	if (cms != NULL && (p != der + der_len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_id_smime_ct_authEnvelopedData)) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	free(der);
	*out = cms;
	return cms != NULL ? NDES_CHALLENGE_OK : NDES_CHALLENGE_MALFORMED;
}

/* The BIO's bytes, all of them, as a SignedData; NULL otherwise. */
static CMS_ContentInfo *
signed_data_from_bio(BIO *bio)
{
	const unsigned char *data, *p;
	long len = BIO_get_mem_data(bio, (char **)&data);
	CMS_ContentInfo *cms;

	if (len <= 0)
		return NULL;
	p = data;
	cms = d2i_CMS_ContentInfo(NULL, &p, len);
	if (cms != NULL && (p != data + len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	return cms;
}

static enum ndes_challenge_error
challenge_verify_and_parse(CMS_ContentInfo *signed_data, STACK_OF(X509) *signing_certs,
    struct ndes_challenge_claims *claims, char *err, size_t errlen)
{
	BIO *json = BIO_new(BIO_s_mem());
	enum ndes_challenge_error rc;
	char *data;
	long len;

	if (json == NULL) {
		snprintf(err, errlen, "out of memory");
		return NDES_CHALLENGE_MALFORMED;
	}
	rc = ndes_challenge_verify_signed(signed_data, signing_certs, json, err, errlen);
	if (rc == NDES_CHALLENGE_OK) {
		len = BIO_get_mem_data(json, &data);
		if (ndes_challenge_claims_from_json(data, (size_t)len, claims, err, errlen) != 0)
			rc = NDES_CHALLENGE_MALFORMED;
	}
	BIO_free(json);
	return rc;
}

static enum ndes_challenge_error
challenge_open_envelope(CMS_ContentInfo *env, const struct challenge_recipient *r,
    STACK_OF(X509) *signing_certs, struct ndes_challenge_claims *claims, char *err,
    size_t errlen)
{
	BIO *inner = BIO_new(BIO_s_mem());
	CMS_ContentInfo *signed_data = NULL;
	enum ndes_challenge_error rc;
	int decrypted = inner != NULL ? challenge_decrypt(env, r, inner) : 0;

	if (decrypted == NDES_CHALLENGE_KARI_OFF_CURVE) {
		snprintf(err, errlen, "challenge does not decrypt: its ephemeral key is not a "
		    "point of the recipient's curve");
		rc = NDES_CHALLENGE_MALFORMED;
	} else if (decrypted != 1) {
		openssl_error(err, errlen, "challenge does not decrypt");
		rc = NDES_CHALLENGE_MALFORMED;
	} else if (sk_X509_num(signing_certs) <= 0) {
		snprintf(err, errlen, "no challenge-signing certificate has been downloaded");
		rc = NDES_CHALLENGE_NO_SIGNING_CERT;
	} else if ((signed_data = signed_data_from_bio(inner)) == NULL) {
		snprintf(err, errlen, "challenge content is not DER CMS SignedData");
		rc = NDES_CHALLENGE_MALFORMED;
	} else {
		rc = challenge_verify_and_parse(signed_data, signing_certs, claims, err, errlen);
	}
	CMS_ContentInfo_free(signed_data);
	BIO_free(inner);
	ERR_clear_error();
	return rc;
}

enum ndes_challenge_error
ndes_challenge_open(const char *text, size_t len, const struct ndes_challenge_key *keys,
    size_t n_keys, STACK_OF(X509) *signing_certs, struct ndes_challenge_claims *claims,
    char *err, size_t errlen)
{
	struct challenge_recipient r;
	CMS_ContentInfo *env;
	enum ndes_challenge_error rc;

	memset(claims, 0, sizeof(*claims));
	if ((rc = challenge_decode(text, len, &env)) != NDES_CHALLENGE_OK) {
		ERR_clear_error();
		snprintf(err, errlen, rc == NDES_CHALLENGE_NOT_BASE64 ? "challenge is not "
		    "one-line standard base64 (RFC 4648, padded, no whitespace)" :
		    "challenge is not a DER CMS AuthEnvelopedData");
		return rc;
	}
	if (challenge_find_key(env, keys, n_keys, &r) == -1) {
		snprintf(err, errlen, "challenge is not encrypted to any CRP encryption "
		    "certificate of this node");
		rc = NDES_CHALLENGE_NO_RECIPIENT_KEY;
	} else {
		rc = challenge_open_envelope(env, &r, signing_certs, claims, err, errlen);
	}
	CMS_ContentInfo_free(env);
	return rc;
}
