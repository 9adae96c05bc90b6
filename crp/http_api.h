/* The HTTP API of ndes-crpd (docs/crpd.md, "HTTP API"). */
#ifndef CRP_HTTP_API_H
#define CRP_HTTP_API_H

#include <stdbool.h>
#include <stdint.h>

struct crpd;
struct ndes_http_request;

/* Start the listener when the config has an http section: 0 or -1 (logged). */
int	crp_http_start(struct crpd *d);
void	crp_http_stop(struct crpd *d);
/* The bound port (0 when not listening). */
uint16_t crp_http_port(const struct crpd *d);

/* Answers, on the loop thread. */
void	crp_http_reply_verify(struct crpd *d, struct ndes_http_request *req, bool verified,
	    int event_id, uint32_t code, const char *reason, const char *challenge_id,
	    const char *device_id, const char *user_id);
void	crp_http_reply_notify(struct crpd *d, struct ndes_http_request *req, bool accepted,
	    uint32_t code, const char *message, bool bad_request);

#endif
