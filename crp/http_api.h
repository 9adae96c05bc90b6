/* The HTTP API of ndes-crpd (docs/crpd.md, "HTTP API"). */
#ifndef CRP_HTTP_API_H
#define CRP_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jobs.h"

struct crpd;

/* Start the listener when the config has an http section: 0 or -1 (logged). */
int	crp_http_start(struct crpd *d);
void	crp_http_stop(struct crpd *d);
/* The bound port (0 when not listening). */
uint16_t crp_http_port(const struct crpd *d);

/* A VerifyRequest or Notify body as the handlers read it, before any job
 * runs: callable without a daemon (fuzz/fuzz_crp_http.c).  The strings
 * point into body.  A VerifyRequest's signingCertificate is not read
 * (docs/crpd.md, "The policy module's signing certificate"). */
enum crp_http_call_kind {
	CRP_HTTP_VERIFY,
	CRP_HTTP_NOTIFY,
};

struct crp_http_call {
	enum crp_http_call_kind	 kind;
	json_t			*body;
	/* VerifyRequest */
	const char		*transaction_id, *template_name;
	uint8_t			*csr;
	size_t			 csr_len;
	/* Notify (notify.cert_der is cert) */
	struct crp_notify_in	 notify;
	uint8_t			*cert;
};

/* 0, or -1 with the message of the 400 answer in err (call then empty). */
int	crp_http_read_call(enum crp_http_call_kind kind, const uint8_t *body, size_t len,
	    struct crp_http_call *call, char *err, size_t errlen);
void	crp_http_call_clear(struct crp_http_call *call);

/* The reply to req: answered through the HTTP reply operations (a
 * request of ndes_http_request_local() too). */
struct ndes_http_request;
struct crp_reply crp_http_reply(struct ndes_http_request *req);

/* The answer to a verification: *status (201, 403 or 503) and the JSON
 * body the HTTP reply operations send. */
json_t	*crp_http_verify_answer(const struct crp_verify_answer *a, int *status);

#endif
