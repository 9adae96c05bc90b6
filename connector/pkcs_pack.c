/* PKCS#12 inside a CMS EnvelopedData to the device's public key.
 *
 * OpenSSL adds CMS recipients from certificates, and the device sends only
 * its public key.  So the recipient is given as a throwaway "holder"
 * certificate: the device's public key, a subjectKeyIdentifier computed
 * from it, signed by a throwaway key.  With CMS_USE_KEYID the envelope
 * names the recipient by that subjectKeyIdentifier only; the holder
 * certificate itself is not in the envelope and is thrown away. */
#include "pkcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "crypto.h"

static X509 *
pack_holder(EVP_PKEY *recipient)
{
	EVP_PKEY *signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *holder = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509_EXTENSION *skid = NULL;
	X509V3_CTX ctx;
	int ok = 0;

	if (signer == NULL || holder == NULL || name == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"PKCS envelope recipient", -1, -1, 0) != 1 ||
	    X509_set_version(holder, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(holder), 1) != 1 ||
	    X509_set_subject_name(holder, name) != 1 || X509_set_issuer_name(holder, name) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(holder), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(holder), 3600) == NULL ||
	    X509_set_pubkey(holder, recipient) != 1)
		goto out;
	X509V3_set_ctx(&ctx, NULL, holder, NULL, NULL, 0);
	if ((skid = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash")) == NULL ||
	    X509_add_ext(holder, skid, -1) != 1 || X509_sign(holder, signer, EVP_sha256()) <= 0)
		goto out;
	ok = 1;
out:
	X509_EXTENSION_free(skid);
	X509_NAME_free(name);
	EVP_PKEY_free(signer);
	if (!ok) {
		X509_free(holder);
		holder = NULL;
	}
	return holder;
}

static int
pack_add_recipient(CMS_ContentInfo *cms, X509 *holder)
{
	EVP_PKEY *pub = X509_get0_pubkey(holder);
	bool rsa = EVP_PKEY_is_a(pub, "RSA");
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pctx;

	ri = CMS_add1_recipient_cert(cms, holder, CMS_USE_KEYID | (rsa ? CMS_KEY_PARAM : 0));
	if (ri == NULL)
		return -1;
	if (!rsa)
		return 0;
	if ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
		return -1;
	return 0;
}

static int
pack_p12(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, BIO **out)
{
	PKCS12 *p12;
	int r = -1;

	p12 = PKCS12_create_ex("", NULL, key, cert, chain, NID_aes_256_cbc, NID_aes_256_cbc,
	    PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0, NULL, NULL);
	if (p12 == NULL)
		return -1;
	if (PKCS12_set_mac(p12, "", 0, NULL, 0, PKCS12_DEFAULT_ITER, EVP_sha256()) == 1 &&
	    (*out = BIO_new(BIO_s_mem())) != NULL && i2d_PKCS12_bio(*out, p12) == 1)
		r = 0;
	PKCS12_free(p12);
	return r;
}

int
conn_pkcs_pack(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *recipient,
    uint8_t **der, size_t *len, char *err, size_t errlen)
{
	BIO *p12 = NULL;
	X509 *holder = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *buf = NULL;
	int n, r = -1;

	*der = NULL;
	if (pack_p12(key, cert, chain, &p12) == -1) {
		snprintf(err, errlen, "cannot make the PKCS#12: %s",
		    ndes_crypto_last_error("out of memory"));
		goto out;
	}
	if ((holder = pack_holder(recipient)) == NULL ||
	    (cms = CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL)) == NULL ||
	    pack_add_recipient(cms, holder) == -1 || CMS_final(cms, p12, NULL, CMS_BINARY) != 1 ||
	    (n = i2d_CMS_ContentInfo(cms, &buf)) <= 0) {
		snprintf(err, errlen, "cannot encrypt to the device's public key: %s",
		    ndes_crypto_last_error("unsupported key"));
		goto out;
	}
	if ((*der = malloc((size_t)n)) == NULL)
		goto out;
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	r = 0;
out:
	OPENSSL_free(buf);
	CMS_ContentInfo_free(cms);
	X509_free(holder);
	BIO_free(p12);
	return r;
}

int
conn_pkcs_unpack(const uint8_t *der, size_t len, EVP_PKEY *device_key, EVP_PKEY **key,
    X509 **cert, STACK_OF(X509) **chain, char *err, size_t errlen)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	BIO *out = BIO_new(BIO_s_mem());
	PKCS12 *p12 = NULL;
	int r = -1;

	*key = NULL;
	*cert = NULL;
	*chain = NULL;
	if (cms == NULL || out == NULL || p != der + len) {
		snprintf(err, errlen, "not a CMS structure");
		goto out;
	}
	if (CMS_decrypt(cms, device_key, NULL, NULL, out, CMS_BINARY) != 1) {
		snprintf(err, errlen, "cannot decrypt: %s", ndes_crypto_last_error("failed"));
		goto out;
	}
	if ((p12 = d2i_PKCS12_bio(out, NULL)) == NULL ||
	    PKCS12_parse(p12, "", key, cert, chain) != 1) {
		snprintf(err, errlen, "not a PKCS#12 with password \"\": %s",
		    ndes_crypto_last_error("failed"));
		goto out;
	}
	r = 0;
out:
	PKCS12_free(p12);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}
