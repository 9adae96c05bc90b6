/* The SCEP client's parts below the enrollment state machine (scep_enroll.c):
 * the capability list, the GetCACert answer, the pkiMessage builder and the
 * CertRep reader.  They do no I/O, so the fuzz targets and the tests call
 * them directly.  Functions that can fail write one reason line into
 * `reason` (DSIM_SCEP_REASON_MAX bytes) and clear OpenSSL's error queue. */
#ifndef NDES_DEVICESIM_SCEP_INT_H
#define NDES_DEVICESIM_SCEP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_client.h"

/* messageType values (RFC 8894 section 3.2.1.2), as PrintableString. */
#define DSIM_SCEP_MSG_CERTREP "3"
#define DSIM_SCEP_MSG_RENEWALREQ "17"
#define DSIM_SCEP_MSG_PKCSREQ "19"
#define DSIM_SCEP_MSG_CERTPOLL "20"

/* pkiStatus values (section 3.2.1.3). */
enum dsim_scep_status {
	DSIM_SCEP_STATUS_SUCCESS = 0,
	DSIM_SCEP_STATUS_FAILURE = 2,
	DSIM_SCEP_STATUS_PENDING = 3,
};

#define DSIM_SCEP_NONCE_LEN 16
#define DSIM_SCEP_TRANSID_MAX 129

/* The authenticated attributes (OIDs 2.16.840.1.113733.1.9.x). */
enum dsim_scep_attr {
	DSIM_SCEP_ATTR_MESSAGE_TYPE = 2,
	DSIM_SCEP_ATTR_PKI_STATUS = 3,
	DSIM_SCEP_ATTR_FAIL_INFO = 4,
	DSIM_SCEP_ATTR_SENDER_NONCE = 5,
	DSIM_SCEP_ATTR_RECIPIENT_NONCE = 6,
	DSIM_SCEP_ATTR_TRANSACTION_ID = 7,
};

/* scep_attr.c: add one attribute to a signer (PrintableString for
 * messageType, pkiStatus, failInfo and transactionID, OCTET STRING for
 * the nonces); read one back: exactly one attribute of that OID with
 * exactly one value of the expected type, copied into buf (NUL-terminated
 * for strings); the length, or -1 when absent, repeated, of another type
 * or longer than buflen - 1. */
int	dsim_scep_attr_add(CMS_SignerInfo *si, enum dsim_scep_attr attr,
	    const void *data, size_t len);
int	dsim_scep_attr_get(CMS_SignerInfo *si, enum dsim_scep_attr attr,
	    unsigned char *buf, size_t buflen);
const char *dsim_scep_attr_name(enum dsim_scep_attr attr);

/* scep_caps.c: the GetCACaps answer (one capability a line, any case,
 * CR LF or LF), and the cipher and digest it allows. */
struct dsim_scep_caps {
	bool	post, renewal, scep_standard;
	bool	aes, des3;
	bool	sha1, sha256, sha512;
};
void	dsim_scep_caps_parse(const char *text, size_t len, struct dsim_scep_caps *caps);
const EVP_CIPHER *dsim_scep_caps_cipher(const struct dsim_scep_caps *caps);
const EVP_MD *dsim_scep_caps_digest(const struct dsim_scep_caps *caps);

/* scep_cacert.c: the GetCACert answer by its Content-Type (NULL: guessed
 * from the bytes): every certificate, and the one to encrypt to (the RA's,
 * a certificate that is not a CA with keyEncipherment, when there is one;
 * else the CA's).  0, or -1 with reason. */
int	dsim_scep_cacert_parse(const char *content_type, const uint8_t *der, size_t len,
	    STACK_OF(X509) **certs, X509 **recipient, char *reason);

/* scep_req.c: one pkiMessage. */
struct dsim_scep_req {
	const char	*message_type;	/* DSIM_SCEP_MSG_* */
	const uint8_t	*content;	/* PKCS#10 DER, or IssuerAndSubject DER */
	size_t		content_len;
	X509		*recipient;	/* encrypted to */
	const EVP_CIPHER *cipher;
	X509		*signer;	/* self-signed, or the certificate renewed */
	EVP_PKEY	*signer_key;
	const EVP_MD	*digest;
	const char	*transaction_id;
	const unsigned char *sender_nonce; /* DSIM_SCEP_NONCE_LEN bytes */
};
int	dsim_scep_req_build(const struct dsim_scep_req *req, uint8_t **der, size_t *len,
	    char *reason);
/* A self-signed certificate on key with the request's subject (PKCSReq's
 * signer, RFC 8894 section 2.3). */
X509	*dsim_scep_self_signed(X509_REQ *csr, EVP_PKEY *key, const EVP_MD *md, char *reason);
/* IssuerAndSubject (section 3.3.3) DER. */
int	dsim_scep_issuer_and_subject(const X509_NAME *issuer, const X509_NAME *subject,
	    uint8_t **der, size_t *len);
/* The transactionID: upper-case hex of SHA-256 of the request's public key. */
int	dsim_scep_transaction_id(X509_REQ *csr, char *buf, size_t buflen);

/* scep_rep.c: one CertRep read against what we sent. */
struct dsim_scep_expect {
	STACK_OF(X509)	*ca_certs;	/* the only signers trusted */
	const char	*transaction_id;
	const unsigned char *sender_nonce;
	X509		*decrypt_cert;	/* our request's signer certificate */
	EVP_PKEY	*decrypt_key;	/* and its key */
	EVP_PKEY	*key;		/* the issued certificate's key must be it */
};
struct dsim_scep_rep {
	int	status;			/* enum dsim_scep_status, or -1 */
	int	fail_info;		/* FAILURE only, else -1 */
	X509	*cert;			/* SUCCESS: ours (X509_free it) */
};
/* 0 with rep set (SUCCESS checked and decrypted, FAILURE with its
 * failInfo, PENDING); -1 with reason when the answer is refused. */
int	dsim_scep_rep_parse(const uint8_t *der, size_t len, const struct dsim_scep_expect *exp,
	    struct dsim_scep_rep *rep, char *reason);

/* scep_rep_cert.c: SUCCESS's certificate from the signed content (the
 * envelope): decrypted, and on exp->key; NULL with reason. */
X509	*dsim_scep_rep_cert(BIO *content, const struct dsim_scep_expect *exp, char *reason);

/* scep_util.c: "http://host:port/path?query" split into the client's base
 * URL ("http://host:port") and the path ("/path"; "/" when none; a query
 * in the URL is refused).  0 or -1. */
int	dsim_scep_url_split(const char *url, char **base, char **path);

/* A library context with the default and the legacy providers, for the
 * CertRep's envelope only (scepserver 2.1.0 encrypts it with DES-CBC). */
OSSL_LIB_CTX *dsim_scep_legacy_ctx(void);

void	dsim_scep_reason(char *reason, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
