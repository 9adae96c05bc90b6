/* A small SCEP responder for the client's tests (tests/test_scep_client*.c):
 * on the project's HTTP server, with a test CA (and optionally an RA) made
 * in memory; it answers GetCACaps, GetCACert and PKIOperation, and its
 * CertRep is whatever the test asks for, well-formed or not. */
#ifndef NDES_TESTS_SCEP_RESPONDER_H
#define NDES_TESTS_SCEP_RESPONDER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

enum resp_answer {
	RESP_SUCCESS = 0,
	RESP_FAILURE,		/* with fail_info */
	RESP_PENDING,		/* PENDING for `pending` answers, then SUCCESS */
	RESP_TRUNCATED,		/* the CertRep's DER cut in half */
	RESP_WRONG_NONCE,	/* recipientNonce random */
	RESP_WRONG_TRANSID,
	RESP_OTHER_KEY,		/* the certificate issued for another key */
	RESP_UNKNOWN_STATUS,	/* pkiStatus "7" */
	RESP_OTHER_SIGNER,	/* signed by another key, no certificate inside */
	RESP_SMUGGLED_SIGNER,	/* signed by another key whose certificate it carries */
	RESP_FORGED_CA,		/* signed by another key, carrying a certificate with
				 * the CA's name and serial number */
	RESP_HTTP_500,		/* PKIOperation answered 500 */
	RESP_NO_RECIPIENT_NONCE,
	RESP_TWO_STATUSES,	/* pkiStatus twice */
};

struct resp_config {
	enum resp_answer answer;
	int fail_info;		/* RESP_FAILURE */
	int pending;		/* RESP_PENDING: PENDING answers before SUCCESS */
	const char *caps;	/* GetCACaps body; NULL: a default with POST */
	bool ra;		/* GetCACert: RA and CA in a certs-only PKCS#7 */
	X509 *ca_cert;		/* the CA (referenced); NULL: one made in memory */
	EVP_PKEY *ca_key;
	SSL_CTX *tls;		/* https (referenced); NULL: http */
};

/* What the responder saw. */
struct resp_seen {
	int requests;		/* PKIOperation requests */
	int polls;		/* of which CertPoll (GetCertInitial) */
	char method[8];		/* of the last PKIOperation */
	char message_type[8];	/* of the last request other than CertPoll */
	int cipher_nid;		/* of the last envelope */
	int digest_nid;		/* of the last signer */
	bool decrypted_by_ra;
	bool signer_is_renewed;	/* signed by a certificate this CA issued */
};

struct resp;

/* base NULL: no HTTP server, resp_certrep() only. */
struct resp *resp_new(struct event_base *base, const struct resp_config *cfg);
void	resp_free(struct resp *r);
/* "http(s)://127.0.0.1:<port>/scep" (static until resp_free). */
const char *resp_url(const struct resp *r);
const struct resp_seen *resp_seen(const struct resp *r);
/* The CertRep (DER, OPENSSL_free it) the responder answers to a
 * pkiMessage; -1 when it cannot read the request. */
int	resp_certrep(struct resp *r, const uint8_t *req, size_t req_len, uint8_t **der,
	    size_t *len);
X509	*resp_ca_cert(const struct resp *r);
EVP_PKEY *resp_ca_key(const struct resp *r);
/* A certificate for key signed by the responder's CA (tests of renewal). */
X509	*resp_issue(struct resp *r, EVP_PKEY *key, const char *cn);
/* A test certificate: CA (basicConstraints CA:TRUE, keyCertSign) or an end
 * entity with keyUsage ku ("digitalSignature,keyEncipherment"; NULL: none). */
/* Add an extension (X509V3_EXT_conf_nid's text) to cert; sign it again after. */
int	resp_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);
X509	*resp_make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
	    bool ca, const char *ku);

#endif
