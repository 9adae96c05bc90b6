/* The HTTP API of ndes-crpd (docs/crpd.md, "HTTP API"). */
#ifndef CRP_HTTP_API_H
#define CRP_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crpd.h"

struct crpd;
struct ndes_http_request;

/* Start the listener when the config has an http section: 0 or -1 (logged). */
int	crp_http_start(struct crpd *d);
void	crp_http_stop(struct crpd *d);
/* The bound port (0 when not listening). */
uint16_t crp_http_port(const struct crpd *d);

/* A VerifyRequest or Notify body as the handlers read it, before any job
 * runs: callable without a daemon (fuzz/fuzz_crp_http.c).  The strings
 * point into body. */
enum crp_http_call_kind {
	CRP_HTTP_VERIFY,
	CRP_HTTP_NOTIFY,
};

struct crp_http_call {
	enum crp_http_call_kind	 kind;
	json_t			*body;
	/* VerifyRequest */
	const char		*transaction_id, *template_name;
	uint8_t			*csr, *signer;
	size_t			 csr_len, signer_len;
	/* Notify (notify.cert_der is cert) */
	struct crp_notify_in	 notify;
	uint8_t			*cert;
};

/* 0, or -1 with the message of the 400 answer in err (call then empty). */
int	crp_http_read_call(enum crp_http_call_kind kind, const uint8_t *body, size_t len,
	    struct crp_http_call *call, char *err, size_t errlen);
void	crp_http_call_clear(struct crp_http_call *call);

/* The answer to a verification: *status (201, 403 or 503) and the JSON
 * body crp_http_reply_verify() sends. */
json_t	*crp_http_verify_answer(bool verified, int event_id, uint32_t code,
	    const char *reason, const char *challenge_id, const char *device_id,
	    const char *user_id, int *status);

/* Answers, on the loop thread. */
void	crp_http_reply_verify(struct crpd *d, struct ndes_http_request *req, bool verified,
	    int event_id, uint32_t code, const char *reason, const char *challenge_id,
	    const char *device_id, const char *user_id);
void	crp_http_reply_notify(struct crpd *d, struct ndes_http_request *req, bool accepted,
	    uint32_t code, const char *message, bool bad_request);

#endif
