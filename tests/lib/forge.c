/* Forged challenges (forge.h). */
#include "forge.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "challenge.h"
#include "lib/testpki.h"

static void
forge_add_signer(CMS_ContentInfo *cms, const struct forge_spec *s, X509 *cert, EVP_PKEY *key)
{
	unsigned int flags = CMS_PARTIAL | (s->signed_attrs ? 0 : CMS_NOATTR) |
	    (s->keyid ? CMS_USE_KEYID : 0) | (s->rsa_pss ? CMS_KEY_PARAM : 0) | CMS_NOCERTS |
	    CMS_NOSMIMECAP;
	CMS_SignerInfo *si = CMS_add1_signer(cms, cert, key, s->md ? s->md : EVP_sha256(), flags);

	cr_assert_not_null(si, "CMS_add1_signer");
	if (s->rsa_pss)
		cr_assert_gt(EVP_PKEY_CTX_set_rsa_padding(CMS_SignerInfo_get0_pkey_ctx(si),
		    RSA_PKCS1_PSS_PADDING), 0);
	if (s->unsigned_attr)
		cr_assert_eq(CMS_unsigned_add1_attr_by_NID(si, NID_pkcs9_unstructuredName,
		    V_ASN1_UTF8STRING, "forged", 6), 1);
}

/* Rewrite the signature algorithm of every SignerInfo (the signature stays). */
static void
forge_set_sigalg(CMS_ContentInfo *cms, int nid)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	X509_ALGOR *sig;

	for (int i = 0; i < sk_CMS_SignerInfo_num(sis); i++) {
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, i), NULL, NULL, NULL, &sig);
		cr_assert_eq(X509_ALGOR_set0(sig, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL), 1);
	}
}

static CMS_ContentInfo *
forge_build(const struct forge_spec *s)
{
	unsigned int flags = CMS_BINARY | CMS_PARTIAL | (s->detached ? CMS_DETACHED : 0);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	BIO *in = BIO_new_mem_buf(s->content, (int)strlen(s->content));

	cr_assert(cms != NULL && in != NULL);
	if (s->econtent_type != NULL)
		cr_assert_eq(CMS_set1_eContentType(cms, OBJ_txt2obj(s->econtent_type, 1)), 1);
	forge_add_signer(cms, s, s->signer, s->key);
	if (s->signer2 != NULL)
		forge_add_signer(cms, s, s->signer2, s->key2);
	for (size_t i = 0; i < 3 && s->embed[i] != NULL; i++)
		cr_assert_eq(CMS_add1_cert(cms, s->embed[i]), 1);
	if (s->crl != NULL)
		cr_assert_eq(CMS_add1_crl(cms, s->crl), 1);
	cr_assert_eq(CMS_final(cms, in, NULL, flags), 1, "CMS_final");
	if (s->sigalg_nid != 0)
		forge_set_sigalg(cms, s->sigalg_nid);
	BIO_free(in);
	return cms;
}

uint8_t *
forge_signed_data(const struct forge_spec *s, size_t *len)
{
	CMS_ContentInfo *cms = forge_build(s);
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);
	uint8_t *out;

	cr_assert_gt(n, 0);
	out = malloc((size_t)n);
	cr_assert_not_null(out);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	return out;
}

char *
forge_seal_der(const uint8_t *der, size_t len, X509 *recipient)
{
	STACK_OF(X509) *to = sk_X509_new_null();
	char err[256], *text = NULL;

	sk_X509_push(to, recipient);
	cr_assert_eq(ndes_challenge_envelope(der, len, to, &text, err, sizeof(err)), 0, "%s", err);
	sk_X509_free(to);
	return text;
}

char *
forge_challenge(const struct forge_spec *s, X509 *recipient)
{
	size_t len;
	uint8_t *der = forge_signed_data(s, &len);
	char *text = forge_seal_der(der, len, recipient);

	free(der);
	return text;
}

X509_CRL *
forge_crl(X509 *issuer, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	cr_assert(crl != NULL && t != NULL);
	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
	X509_gmtime_adj(t, 0);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	cr_assert_gt(X509_CRL_sign(crl, key, EVP_sha256()), 0);
	ASN1_TIME_free(t);
	return crl;
}

static void
forge_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(ext, "extension %s", value);
	cr_assert_eq(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *
forge_cert_ext(EVP_PKEY *key, const char *cn, const char *key_usage)
{
	X509 *cert = testpki_cert(key, cn, NULL, NULL, -60, 30);

	cr_assert_not_null(cert);
	forge_add_ext(cert, NID_subject_key_identifier, "hash");
	if (key_usage != NULL)
		forge_add_ext(cert, NID_key_usage, key_usage);
	cr_assert_gt(X509_sign(cert, key, EVP_sha256()), 0);
	return cert;
}

void
forge_other_ca(struct forge_pair *ca, struct forge_pair *leaf, const char *cn)
{
	ca->key = testpki_key("ec-p256");
	ca->cert = testpki_cert(ca->key, "another CA", NULL, NULL, -60, 30);
	leaf->key = testpki_key("ec-p256");
	leaf->cert = testpki_cert(leaf->key, cn, ca->cert, ca->key, -60, 30);
	cr_assert(ca->key && ca->cert && leaf->key && leaf->cert);
}

void
forge_pair_free(struct forge_pair *p)
{
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
	p->cert = NULL;
	p->key = NULL;
}

X509 *
forge_impostor(X509 *real, EVP_PKEY *key)
{
	X509 *fake = X509_dup(real);

	cr_assert_not_null(fake);
	cr_assert_eq(X509_set_pubkey(fake, key), 1);
	cr_assert_gt(X509_sign(fake, key, EVP_sha256()), 0);
	return fake;
}
