/* The device emulator's SCEP client (RFC 8894) on OpenSSL and the project's
 * libcurl HTTP client (common/http_client.h): one enrollment at one SCEP
 * server URL, asynchronous on a libevent loop so that a fleet runs many at
 * once in one process.
 *
 * One enrollment is: GetCACaps, GetCACert (one certificate, or the RA and CA
 * certificates in a certs-only PKCS#7; the certificate to encrypt to is the
 * RA's when there is one), then PKCSReq or RenewalReq (SignedData over
 * EnvelopedData, the strongest cipher and digest the capabilities allow;
 * POST when the capabilities say POSTPKIOperation, GET otherwise), then the
 * CertRep read: its signature verified against the CA/RA certificates of
 * GetCACert only (never a certificate the reply carries by itself), the
 * recipientNonce equal to our senderNonce, the transactionID ours, SUCCESS
 * decrypted and the certificate's public key equal to ours; PENDING polled
 * with GetCertInitial (CertPoll) until an answer or the poll limit.
 *
 * The outcome says whether the device should try its next URL
 * (docs/cloud-sim.md, "The profile payload": next URL on a connection
 * failure or a server error, never after a SCEP answer). */
#ifndef NDES_DEVICESIM_SCEP_CLIENT_H
#define NDES_DEVICESIM_SCEP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DSIM_SCEP_REASON_MAX 256

enum dsim_scep_outcome {
	DSIM_SCEP_ISSUED = 0,       /* cert set, checked against the key */
	DSIM_SCEP_REFUSED,          /* CertRep FAILURE; fail_info set */
	DSIM_SCEP_UNREACHABLE,      /* connect refused/unreachable/timeout: next URL */
	DSIM_SCEP_SERVER_ERROR,     /* HTTP 5xx: next URL */
	DSIM_SCEP_BAD_ANSWER,       /* HTTP 4xx, malformed or unverifiable CertRep,
	                             * wrong nonce or transaction, certificate for
	                             * another key, unknown pkiStatus: reason says which */
	DSIM_SCEP_PENDING_TIMEOUT,  /* still PENDING after max_polls */
	DSIM_SCEP_LOCAL_ERROR,      /* could not build the request (bad arguments) */
};

/* failInfo values (RFC 8894 section 3.2.1.4.5). */
enum dsim_scep_fail_info {
	DSIM_SCEP_FAIL_BAD_ALG = 0,
	DSIM_SCEP_FAIL_BAD_MESSAGE_CHECK = 1,
	DSIM_SCEP_FAIL_BAD_REQUEST = 2,
	DSIM_SCEP_FAIL_BAD_TIME = 3,
	DSIM_SCEP_FAIL_BAD_CERT_ID = 4,
};

struct dsim_scep_enroll_opts {
	const char	*url;		/* "http(s)://host:port/path" (scepserver: /scep) */
	X509_REQ	*csr;		/* signed by key; carries the challenge */
	EVP_PKEY	*key;		/* the new key pair */
	/* RenewalReq when set: signed with the certificate being renewed and
	 * its key (RFC 8894 section 3.3.1.2); else PKCSReq signed with a
	 * self-signed certificate on key. */
	X509		*renew_cert;
	EVP_PKEY	*renew_key;
	int		timeout_ms;	/* per HTTP request; 0: 30000 */
	int		poll_interval_ms; /* PENDING: GetCertInitial every ...; 0: 1000 */
	int		max_polls;	/* 0: 10 */
	/* https:// URLs: the server is verified against this context's CAs
	 * (referenced, not taken over); NULL: http:// only. */
	SSL_CTX		*tls;
};

struct dsim_scep_result {
	enum dsim_scep_outcome	outcome;
	int			fail_info;	/* DSIM_SCEP_REFUSED only, else -1 */
	int			http_status;	/* the last HTTP answer's, 0 when none */
	X509			*cert;		/* DSIM_SCEP_ISSUED: ours to keep (up-ref it) */
	STACK_OF(X509)		*ca_certs;	/* GetCACert's certificates, may be NULL */
	char			reason[DSIM_SCEP_REASON_MAX]; /* "" on ISSUED */
	int			polls;		/* GetCertInitial requests sent */
};

typedef void (*dsim_scep_done_cb)(const struct dsim_scep_result *res, void *arg);

struct dsim_scep_enroll;

/* Start one enrollment on base; cb is called exactly once from the loop
 * (the result and what it points to are valid only during the call).
 * NULL with err set on bad arguments (nothing started). */
struct dsim_scep_enroll *dsim_scep_enroll_start(struct event_base *base,
    const struct dsim_scep_enroll_opts *opts, dsim_scep_done_cb cb, void *arg,
    char *err, size_t errlen);
/* Cancel one in flight (its callback is not called). */
void	dsim_scep_enroll_cancel(struct dsim_scep_enroll *e);

/* Blocking form for the one-device command: runs a private loop.  Returns
 * res->outcome; the caller frees res->cert and res->ca_certs with
 * dsim_scep_result_clear(). */
enum dsim_scep_outcome dsim_scep_enroll_blocking(const struct dsim_scep_enroll_opts *opts,
    struct dsim_scep_result *res);
void	dsim_scep_result_clear(struct dsim_scep_result *res);

const char *dsim_scep_outcome_name(enum dsim_scep_outcome o);	/* "issued", ... */
const char *dsim_scep_fail_info_name(int fail_info);		/* "badRequest", ... */

#endif
