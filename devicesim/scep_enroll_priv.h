/* One enrollment in flight (scep_enroll.c, scep_enroll_send.c). */
#ifndef NDES_DEVICESIM_SCEP_ENROLL_PRIV_H
#define NDES_DEVICESIM_SCEP_ENROLL_PRIV_H

#include "http_client.h"
#include "scep_int.h"

struct dsim_scep_enroll {
	struct event_base	*base;
	struct ndes_http_client	*http;
	char			*path;		/* the URL's path, "/scep" */
	X509_REQ		*csr;
	EVP_PKEY		*key;
	X509			*renew_cert;	/* NULL: PKCSReq */
	EVP_PKEY		*renew_key;
	int			poll_interval_ms;
	int			max_polls;
	dsim_scep_done_cb	cb;
	void			*arg;

	struct dsim_scep_caps	caps;
	X509			*recipient;	/* in res.ca_certs */
	X509			*signer;	/* ours: self-signed, or renew_cert */
	EVP_PKEY		*signer_key;	/* key or renew_key */
	const char		*message_type;	/* PKCSReq or RenewalReq */
	char			transaction_id[DSIM_SCEP_TRANSID_MAX];
	unsigned char		nonce[DSIM_SCEP_NONCE_LEN]; /* of the last message */
	struct event		*poll_timer;
	struct dsim_scep_result	res;
};

/* Sends GetCACaps, the first step; 0 or -1. */
int	dsim_scep_enroll_begin(struct dsim_scep_enroll *e);
/* Ends the enrollment: the result to the callback, then everything freed. */
void	dsim_scep_finish(struct dsim_scep_enroll *e, enum dsim_scep_outcome outcome,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An HTTP GET of path?operation=<op>; 0 or -1. */
int	dsim_scep_send_get(struct dsim_scep_enroll *e, const char *operation,
	    ndes_http_done_cb cb);
/* The HTTP outcome of a step: true when the enrollment ended on it. */
bool	dsim_scep_http_failed(struct dsim_scep_enroll *e, const struct ndes_http_result *r,
	    const char *step);
/* A pkiMessage with content (PKCSReq, RenewalReq or CertPoll): built with
 * a fresh senderNonce and sent by POST or GET as the capabilities say; the
 * answer goes to cb.  false when the enrollment ended (reason set). */
bool	dsim_scep_send_pki(struct dsim_scep_enroll *e, const char *message_type,
	    const uint8_t *content, size_t len, ndes_http_done_cb cb);

#endif
