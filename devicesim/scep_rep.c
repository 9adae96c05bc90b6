/* The CertRep (RFC 8894 section 3.3.2): SignedData by the CA or RA over,
 * on SUCCESS, EnvelopedData to our signer certificate holding a certs-only
 * SignedData with the issued certificate.  Everything is checked against
 * what we sent; the signer is looked up among GetCACert's certificates
 * only (CMS_NOINTERN), never among those the reply carries. */
#include "scep_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>

static CMS_ContentInfo *
rep_d2i(OSSL_LIB_CTX *libctx, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = CMS_ContentInfo_new_ex(libctx, NULL);

	if (cms == NULL || d2i_CMS_ContentInfo(&cms, &p, (long)len) == NULL)
		return NULL;	/* d2i freed cms */
	if (p != der + len) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

static bool
err_queue_has(int reason_code)
{
	unsigned long e;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_CMS && ERR_GET_REASON(e) == reason_code)
			return true;
	return false;
}

/* The signature, against ca_certs only; the signed content into *content. */
static int
rep_verify(CMS_ContentInfo *cms, STACK_OF(X509) *ca_certs, BIO *content, char *reason)
{
	const unsigned flags = CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;
	BIO *dcont = NULL;
	int ok;

	if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		dsim_scep_reason(reason, "CertRep has %d signers, not one",
		    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)));
		return -1;
	}
	if (CMS_is_detached(cms) && (dcont = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	ERR_clear_error();
	ok = CMS_verify(cms, ca_certs, NULL, dcont, content, flags);
	BIO_free(dcont);
	if (ok == 1)
		return 0;
	if (err_queue_has(CMS_R_SIGNER_CERTIFICATE_NOT_FOUND))
		dsim_scep_reason(reason, "CertRep is not signed by a certificate of GetCACert");
	else
		dsim_scep_reason(reason, "CertRep signature does not verify");
	return -1;
}

static int
rep_check_ids(CMS_SignerInfo *si, const struct dsim_scep_expect *exp, char *reason)
{
	unsigned char buf[DSIM_SCEP_TRANSID_MAX];
	int n;

	n = dsim_scep_attr_get(si, DSIM_SCEP_ATTR_MESSAGE_TYPE, buf, sizeof(buf));
	if (n < 0 || strcmp((char *)buf, DSIM_SCEP_MSG_CERTREP) != 0) {
		dsim_scep_reason(reason, n < 0 ? "CertRep has no single messageType" :
		    "CertRep messageType is \"%.16s\", not 3 (CertRep)", buf);
		return -1;
	}
	n = dsim_scep_attr_get(si, DSIM_SCEP_ATTR_TRANSACTION_ID, buf, sizeof(buf));
	if (n < 0 || strcmp((char *)buf, exp->transaction_id) != 0) {
		dsim_scep_reason(reason, n < 0 ? "CertRep has no single transactionID" :
		    "CertRep transactionID does not match ours");
		return -1;
	}
	n = dsim_scep_attr_get(si, DSIM_SCEP_ATTR_RECIPIENT_NONCE, buf, sizeof(buf));
	if (n != DSIM_SCEP_NONCE_LEN ||
	    memcmp(buf, exp->sender_nonce, DSIM_SCEP_NONCE_LEN) != 0) {
		dsim_scep_reason(reason, n < 0 ? "CertRep has no single recipientNonce" :
		    "CertRep recipientNonce does not match our senderNonce");
		return -1;
	}
	return 0;
}

/* "0".."4" only: no sign, no leading zero, no other text. */
static int
rep_small_number(const unsigned char *s, int n, int max)
{
	if (n != 1 || s[0] < '0' || s[0] > '0' + max)
		return -1;
	return s[0] - '0';
}

static int
rep_status(CMS_SignerInfo *si, struct dsim_scep_rep *rep, char *reason)
{
	unsigned char buf[32];
	int n, v;

	n = dsim_scep_attr_get(si, DSIM_SCEP_ATTR_PKI_STATUS, buf, sizeof(buf));
	v = rep_small_number(buf, n, 3);
	if (v != DSIM_SCEP_STATUS_SUCCESS && v != DSIM_SCEP_STATUS_FAILURE &&
	    v != DSIM_SCEP_STATUS_PENDING) {
		dsim_scep_reason(reason, n < 0 ? "CertRep has no single pkiStatus" :
		    "CertRep pkiStatus \"%.16s\" is unknown", buf);
		return -1;
	}
	rep->status = v;
	if (v != DSIM_SCEP_STATUS_FAILURE)
		return 0;
	n = dsim_scep_attr_get(si, DSIM_SCEP_ATTR_FAIL_INFO, buf, sizeof(buf));
	rep->fail_info = rep_small_number(buf, n, DSIM_SCEP_FAIL_BAD_CERT_ID);
	if (rep->fail_info < 0) {
		dsim_scep_reason(reason, n < 0 ? "CertRep FAILURE has no single failInfo" :
		    "CertRep failInfo \"%.16s\" is unknown", buf);
		return -1;
	}
	return 0;
}

int
dsim_scep_rep_parse(const uint8_t *der, size_t len, const struct dsim_scep_expect *exp,
    struct dsim_scep_rep *rep, char *reason)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	BIO *content = BIO_new(BIO_s_mem());
	int rc = -1;

	rep->status = rep->fail_info = -1;
	rep->cert = NULL;
	if (content == NULL)
		goto out;
	if (len == 0 || len > INT32_MAX || (cms = rep_d2i(NULL, der, len)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		dsim_scep_reason(reason, "CertRep is not a PKCS#7 SignedData "
		    "(truncated or damaged)");
		goto out;
	}
	if (rep_verify(cms, exp->ca_certs, content, reason) < 0)
		goto out;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if (rep_check_ids(si, exp, reason) < 0 || rep_status(si, rep, reason) < 0)
		goto out;
	if (rep->status == DSIM_SCEP_STATUS_SUCCESS &&
	    (rep->cert = dsim_scep_rep_cert(content, exp, reason)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		rep->status = rep->fail_info = -1;
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	ERR_clear_error();
	return rc;
}
