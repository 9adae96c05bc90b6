/* The issued certificate of a SUCCESS CertRep: the envelope decrypted with
 * our request's signer key, the certs-only SignedData inside, and the one
 * certificate on our key. */
#include "scep_int.h"

#include <openssl/bio.h>

static CMS_ContentInfo *
cms_from_bio(OSSL_LIB_CTX *libctx, BIO *bio)
{
	CMS_ContentInfo *cms = CMS_ContentInfo_new_ex(libctx, NULL);
	const unsigned char *p;
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	p = (const unsigned char *)data;
	if (cms == NULL || len <= 0 || d2i_CMS_ContentInfo(&cms, &p, len) == NULL)
		return NULL;	/* d2i freed cms */
	if (p != (const unsigned char *)data + len) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

static BIO *
rep_decrypt(BIO *content, const struct dsim_scep_expect *exp, char *reason)
{
	CMS_ContentInfo *env = cms_from_bio(dsim_scep_legacy_ctx(), content);
	BIO *out = BIO_new(BIO_s_mem());

	if (env == NULL || CMS_get0_type(env) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped) {
		dsim_scep_reason(reason, "CertRep SUCCESS does not hold an EnvelopedData");
		goto fail;
	}
	if (out == NULL ||
	    CMS_decrypt(env, exp->decrypt_key, exp->decrypt_cert, NULL, out, CMS_BINARY) != 1) {
		dsim_scep_reason(reason, "cannot decrypt the CertRep envelope with our key");
		goto fail;
	}
	CMS_ContentInfo_free(env);
	return out;
fail:
	CMS_ContentInfo_free(env);
	BIO_free(out);
	return NULL;
}

static X509 *
rep_pick_cert(STACK_OF(X509) *certs, EVP_PKEY *key, char *reason)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *cert = sk_X509_value(certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1 && X509_up_ref(cert))
			return cert;
	}
	dsim_scep_reason(reason, "issued certificate is for another key");
	return NULL;
}

X509 *
dsim_scep_rep_cert(BIO *content, const struct dsim_scep_expect *exp, char *reason)
{
	BIO *plain = rep_decrypt(content, exp, reason);
	CMS_ContentInfo *deg = NULL;
	STACK_OF(X509) *certs = NULL;
	X509 *cert = NULL;

	if (plain == NULL)
		return NULL;
	deg = cms_from_bio(NULL, plain);
	if (deg == NULL || OBJ_obj2nid(CMS_get0_type(deg)) != NID_pkcs7_signed ||
	    (certs = CMS_get1_certs(deg)) == NULL || sk_X509_num(certs) == 0)
		dsim_scep_reason(reason, "CertRep envelope holds no certs-only PKCS#7 "
		    "with a certificate");
	else
		cert = rep_pick_cert(certs, exp->key, reason);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(deg);
	BIO_free(plain);
	return cert;
}
