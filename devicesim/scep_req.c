/* A pkiMessage (RFC 8894 section 3): the content (a PKCS#10 request, or
 * IssuerAndSubject for CertPoll) in EnvelopedData to the CA or RA, that in
 * SignedData with the SCEP authenticated attributes. */
#include "scep_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/rand.h>

#include "csr.h"

static int
cms_to_der(CMS_ContentInfo *cms, uint8_t **der, size_t *len)
{
	unsigned char *out = NULL;
	int n = i2d_CMS_ContentInfo(cms, &out);

	if (n <= 0)
		return -1;
	*der = out;
	*len = (size_t)n;
	return 0;
}

static int
req_envelope(const struct dsim_scep_req *req, uint8_t **der, size_t *len)
{
	BIO *in = BIO_new_mem_buf(req->content, (int)req->content_len);
	STACK_OF(X509) *recips = sk_X509_new_null();
	CMS_ContentInfo *env = NULL;
	int rc = -1;

	if (in == NULL || recips == NULL || sk_X509_push(recips, req->recipient) <= 0)
		goto out;
	env = CMS_encrypt(recips, in, req->cipher, CMS_BINARY);
	if (env != NULL)
		rc = cms_to_der(env, der, len);
out:
	CMS_ContentInfo_free(env);
	sk_X509_free(recips);
	BIO_free(in);
	return rc;
}

static int
req_attrs(const struct dsim_scep_req *req, CMS_SignerInfo *si)
{
	const char *mt = req->message_type, *tid = req->transaction_id;

	if (dsim_scep_attr_add(si, DSIM_SCEP_ATTR_MESSAGE_TYPE, mt, strlen(mt)) < 0 ||
	    dsim_scep_attr_add(si, DSIM_SCEP_ATTR_TRANSACTION_ID, tid, strlen(tid)) < 0 ||
	    dsim_scep_attr_add(si, DSIM_SCEP_ATTR_SENDER_NONCE, req->sender_nonce,
	    DSIM_SCEP_NONCE_LEN) < 0)
		return -1;
	return 0;
}

static int
req_sign(const struct dsim_scep_req *req, const uint8_t *env, size_t env_len,
    uint8_t **der, size_t *len)
{
	const unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	BIO *data = BIO_new_mem_buf(env, (int)env_len);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si;
	int rc = -1;

	if (data == NULL || cms == NULL)
		goto out;
	si = CMS_add1_signer(cms, req->signer, req->signer_key, req->digest, flags);
	if (si == NULL || req_attrs(req, si) < 0 || CMS_final(cms, data, NULL, CMS_BINARY) != 1)
		goto out;
	rc = cms_to_der(cms, der, len);
out:
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	return rc;
}

int
dsim_scep_req_build(const struct dsim_scep_req *req, uint8_t **der, size_t *len,
    char *reason)
{
	uint8_t *env = NULL;
	size_t env_len = 0;
	int rc;

	*der = NULL;
	*len = 0;
	if (req->content_len > INT32_MAX || req_envelope(req, &env, &env_len) < 0) {
		dsim_scep_reason(reason, "cannot encrypt the request to the CA certificate");
		return -1;
	}
	rc = req_sign(req, env, env_len, der, len);
	OPENSSL_free(env);
	if (rc < 0)
		dsim_scep_reason(reason, "cannot sign the request");
	return rc;
}

X509 *
dsim_scep_self_signed(X509_REQ *csr, EVP_PKEY *key, const EVP_MD *md, char *reason)
{
	X509 *cert = X509_new();
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = BN_new();
	const X509_NAME *subject = X509_REQ_get_subject_name(csr);

	if (cert == NULL || bn == NULL || !BN_rand(bn, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_version(cert, X509_VERSION_3) || !X509_set_serialNumber(cert, serial) ||
	    !X509_set_subject_name(cert, subject) || !X509_set_issuer_name(cert, subject) ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 86400) == NULL ||
	    !X509_set_pubkey(cert, key) || X509_sign(cert, key, md) <= 0) {
		X509_free(cert);
		cert = NULL;
		dsim_scep_reason(reason, "cannot make the self-signed signer certificate");
	}
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return cert;
}

int
dsim_scep_transaction_id(X509_REQ *csr, char *buf, size_t buflen)
{
	return ndes_csr_pubkey_sha256(csr, buf, buflen);
}

/* IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

int
dsim_scep_issuer_and_subject(const X509_NAME *issuer, const X509_NAME *subject,
    uint8_t **der, size_t *len)
{
	SCEP_ISSUER_AND_SUBJECT ias = {
		.issuer = (X509_NAME *)issuer, .subject = (X509_NAME *)subject,
	};
	unsigned char *out = NULL;
	int n = ASN1_item_i2d((ASN1_VALUE *)&ias, &out, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));

	if (n <= 0)
		return -1;
	*der = out;
	*len = (size_t)n;
	return 0;
}
