/* The test SCEP responder's PKIOperation: the request read (signature by
 * the key it carries, attributes, envelope decrypted with the CA's or the
 * RA's key) and the CertRep the test configured. */
#include "scep_responder_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "b64.h"
#include "scep_int.h"

struct req_view {
	X509		*signer;
	char		message_type[8];
	char		transaction_id[DSIM_SCEP_TRANSID_MAX];
	unsigned char	nonce[DSIM_SCEP_NONCE_LEN + 1];
	BIO		*content;	/* decrypted */
};

PKCS7 *
resp_certs_only(X509 *a, X509 *b)
{
	PKCS7 *p7 = PKCS7_new();

	if (p7 == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data) || !PKCS7_add_certificate(p7, a) ||
	    (b != NULL && !PKCS7_add_certificate(p7, b))) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

static int
envelope_cipher_nid(BIO *env)
{
	char *data;
	long len = BIO_get_mem_data(env, &data);
	const unsigned char *p = (const unsigned char *)data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	int nid = -1;

	if (p7 != NULL && PKCS7_type_is_enveloped(p7))
		nid = OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
	PKCS7_free(p7);
	return nid;
}

static int
req_decrypt(struct resp *r, BIO *env, struct req_view *v)
{
	char *data;
	long len = BIO_get_mem_data(env, &data);
	const unsigned char *p = (const unsigned char *)data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
	int ok = 0;

	r->seen.cipher_nid = envelope_cipher_nid(env);
	v->content = BIO_new(BIO_s_mem());
	if (cms != NULL && r->ra_cert != NULL) {
		ok = CMS_decrypt(cms, r->ra_key, r->ra_cert, NULL, v->content, CMS_BINARY);
		r->seen.decrypted_by_ra = ok == 1;
	} else if (cms != NULL)
		ok = CMS_decrypt(cms, r->ca_key, r->ca_cert, NULL, v->content, CMS_BINARY);
	CMS_ContentInfo_free(cms);
	return ok == 1 ? 0 : -1;
}

static void
req_seen_signer(struct resp *r, CMS_SignerInfo *si, X509 *signer)
{
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	r->seen.digest_nid = OBJ_obj2nid(obj);
	r->seen.signer_is_renewed = X509_check_issued(r->ca_cert, signer) == X509_V_OK;
}

/* The request's signature by its own certificate, attributes, envelope. */
static int
req_read(struct resp *r, const uint8_t *der, size_t len, struct req_view *v)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	BIO *env = BIO_new(BIO_s_mem());
	STACK_OF(X509) *signers = NULL;
	CMS_SignerInfo *si;
	int rc = -1;

	if (cms == NULL || CMS_verify(cms, NULL, NULL, NULL, env,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto out;
	signers = CMS_get0_signers(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if (signers == NULL || sk_X509_num(signers) != 1 ||
	    dsim_scep_attr_get(si, DSIM_SCEP_ATTR_MESSAGE_TYPE, (unsigned char *)v->message_type,
	    sizeof(v->message_type)) < 0 ||
	    dsim_scep_attr_get(si, DSIM_SCEP_ATTR_TRANSACTION_ID,
	    (unsigned char *)v->transaction_id, sizeof(v->transaction_id)) < 0 ||
	    dsim_scep_attr_get(si, DSIM_SCEP_ATTR_SENDER_NONCE, v->nonce,
	    sizeof(v->nonce)) != DSIM_SCEP_NONCE_LEN)
		goto out;
	v->signer = sk_X509_value(signers, 0);
	X509_up_ref(v->signer);
	req_seen_signer(r, si, v->signer);
	rc = req_decrypt(r, env, v);
out:
	sk_X509_free(signers);
	CMS_ContentInfo_free(cms);
	BIO_free(env);
	return rc;
}

/* The request's key and subject: from the PKCS#10, or kept while PENDING. */
static int
req_subject(struct resp *r, struct req_view *v)
{
	char *data;
	long len = BIO_get_mem_data(v->content, &data);
	const unsigned char *p = (const unsigned char *)data;
	X509_REQ *csr;

	if (strcmp(v->message_type, DSIM_SCEP_MSG_CERTPOLL) == 0) {
		r->seen.polls++;
		return r->pending_key != NULL ? 0 : -1;
	}
	if ((csr = d2i_X509_REQ(NULL, &p, len)) == NULL)
		return -1;
	EVP_PKEY_free(r->pending_key);
	X509_NAME_free(r->pending_subject);
	r->pending_key = X509_REQ_get_pubkey(csr);
	r->pending_subject = X509_NAME_dup(X509_REQ_get_subject_name(csr));
	X509_REQ_free(csr);
	return 0;
}

static X509 *
rep_issue(struct resp *r)
{
	EVP_PKEY *key = r->cfg.answer == RESP_OTHER_KEY ? r->other_key : r->pending_key;
	X509 *cert = resp_issue(r, key, "issued");

	if (cert != NULL)
		X509_set_subject_name(cert, r->pending_subject);
	if (cert != NULL && X509_sign(cert, r->ca_key, EVP_sha256()) <= 0) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

/* SUCCESS's content: the certs-only SignedData with the issued
 * certificate, encrypted to the request's signer certificate. */
static BIO *
rep_envelope(struct resp *r, X509 *recipient)
{
	X509 *cert = rep_issue(r);
	PKCS7 *deg = cert != NULL ? resp_certs_only(cert, NULL) : NULL;
	unsigned char *der = NULL;
	int len = deg != NULL ? i2d_PKCS7(deg, &der) : -1;
	BIO *in = len > 0 ? BIO_new_mem_buf(der, len) : NULL, *out = BIO_new(BIO_s_mem());
	STACK_OF(X509) *recips = sk_X509_new_null();
	CMS_ContentInfo *env = NULL;

	sk_X509_push(recips, recipient);
	if (in != NULL)
		env = CMS_encrypt(recips, in, EVP_aes_128_cbc(), CMS_BINARY);
	if (env == NULL || i2d_CMS_bio(out, env) != 1) {
		BIO_free(out);
		out = NULL;
	}
	CMS_ContentInfo_free(env);
	sk_X509_free(recips);
	BIO_free(in);
	OPENSSL_free(der);
	PKCS7_free(deg);
	X509_free(cert);
	return out;
}

static X509 *
forged_signer(struct resp *r)
{
	X509 *cert = resp_make_cert(r->other_key, "Not The CA", NULL, NULL, true, NULL);

	if (cert != NULL && r->cfg.answer == RESP_FORGED_CA &&
	    (!X509_set_subject_name(cert, X509_get_subject_name(r->ca_cert)) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(r->ca_cert)) ||
	    !X509_set_serialNumber(cert, X509_get_serialNumber(r->ca_cert)) ||
	    X509_sign(cert, r->other_key, EVP_sha256()) <= 0)) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static const char *
rep_status(struct resp *r)
{
	switch (r->cfg.answer) {
	case RESP_FAILURE: return "2";
	case RESP_UNKNOWN_STATUS: return "7";
	case RESP_PENDING: return r->seen.requests <= r->cfg.pending ? "3" : "0";
	default: return "0";
	}
}

static int
rep_attrs(struct resp *r, CMS_SignerInfo *si, const struct req_view *v, const char *status)
{
	unsigned char nonce[DSIM_SCEP_NONCE_LEN], recip[DSIM_SCEP_NONCE_LEN];
	const char *tid = r->cfg.answer == RESP_WRONG_TRANSID ? "0123ABCD" : v->transaction_id;
	char fail_info[2] = { (char)('0' + r->cfg.fail_info), 0 };
	int rc = 0;

	RAND_bytes(nonce, sizeof(nonce));
	memcpy(recip, v->nonce, sizeof(recip));
	if (r->cfg.answer == RESP_WRONG_NONCE)
		RAND_bytes(recip, sizeof(recip));
	rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_MESSAGE_TYPE, "3", 1);
	rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_TRANSACTION_ID, tid, strlen(tid));
	rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_PKI_STATUS, status, strlen(status));
	if (r->cfg.answer == RESP_TWO_STATUSES)
		rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_PKI_STATUS, "2", 1);
	if (strcmp(status, "2") == 0)
		rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_FAIL_INFO, fail_info, 1);
	rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_SENDER_NONCE, nonce, sizeof(nonce));
	if (r->cfg.answer != RESP_NO_RECIPIENT_NONCE)
		rc |= dsim_scep_attr_add(si, DSIM_SCEP_ATTR_RECIPIENT_NONCE, recip, sizeof(recip));
	return rc;
}

static int
rep_sign(struct resp *r, const struct req_view *v, BIO *content, uint8_t **der, int *len)
{
	bool forged = r->cfg.answer == RESP_OTHER_SIGNER || r->cfg.answer == RESP_SMUGGLED_SIGNER ||
	    r->cfg.answer == RESP_FORGED_CA;
	X509 *cert = forged ? forged_signer(r) : r->ra_cert != NULL ? r->ra_cert : r->ca_cert;
	EVP_PKEY *key = forged ? r->other_key : r->ra_key != NULL ? r->ra_key : r->ca_key;
	unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP |
	    (r->cfg.answer == RESP_OTHER_SIGNER ? CMS_NOCERTS : 0);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si = CMS_add1_signer(cms, cert, key, EVP_sha256(), flags);

	*der = NULL;
	*len = -1;
	if (si != NULL && rep_attrs(r, si, v, rep_status(r)) == 0 &&
	    CMS_final(cms, content, NULL, CMS_BINARY) == 1)
		*len = i2d_CMS_ContentInfo(cms, der);
	CMS_ContentInfo_free(cms);
	if (forged)
		X509_free(cert);
	return *len > 0 ? 0 : -1;
}

static int
request_der(struct ndes_http_request *req, uint8_t **der, size_t *len)
{
	const char *msg;

	if (strcmp(req->method, "POST") == 0) {
		*der = malloc(req->body_len ? req->body_len : 1);
		memcpy(*der, req->body, req->body_len);
		*len = req->body_len;
		return 0;
	}
	msg = ndes_http_query(req, "message");
	return msg != NULL ? ndes_b64_decode(msg, strlen(msg), der, len) : -1;
}

/* The CertRep for a read request; its DER (OPENSSL_free) cut in half for
 * RESP_TRUNCATED. */
static int
rep_answer(struct resp *r, struct req_view *v, uint8_t **der, size_t *len)
{
	bool success = strcmp(rep_status(r), "0") == 0;
	BIO *content = success ? rep_envelope(r, v->signer) : BIO_new(BIO_s_mem());
	int n = -1;

	if (strcmp(v->message_type, DSIM_SCEP_MSG_CERTPOLL) != 0)
		snprintf(r->seen.message_type, sizeof(r->seen.message_type), "%s",
		    v->message_type);
	if (content != NULL && rep_sign(r, v, content, der, &n) == 0)
		*len = r->cfg.answer == RESP_TRUNCATED ? (size_t)n / 2 : (size_t)n;
	BIO_free(content);
	return n > 0 ? 0 : -1;
}

int
resp_certrep(struct resp *r, const uint8_t *req, size_t req_len, uint8_t **der, size_t *len)
{
	struct req_view v = { 0 };
	int rc = -1;

	*der = NULL;
	*len = 0;
	r->seen.requests++;
	if (req_read(r, req, req_len, &v) == 0 && req_subject(r, &v) == 0)
		rc = rep_answer(r, &v, der, len);
	X509_free(v.signer);
	BIO_free(v.content);
	return rc;
}

void
resp_pki_operation(struct resp *r, struct ndes_http_request *req)
{
	uint8_t *in = NULL, *der = NULL;
	size_t in_len = 0, len = 0;

	snprintf(r->seen.method, sizeof(r->seen.method), "%s", req->method);
	if (r->cfg.answer == RESP_HTTP_500) {
		r->seen.requests++;
		ndes_http_reply_raw(req, 500, "text/plain", "internal error", 14);
	} else if (request_der(req, &in, &in_len) < 0 ||
	    resp_certrep(r, in, in_len, &der, &len) < 0)
		ndes_http_reply_raw(req, 400, "text/plain", "bad request", 11);
	else
		ndes_http_reply_raw(req, 200, "application/x-pki-message", der, len);
	free(in);
	OPENSSL_free(der);
}
