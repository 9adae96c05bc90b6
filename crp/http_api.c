/* Placeholder until the HTTP helpers (common/http.h) are merged. */
#include "http_api.h"

#include "crpd.h"
#include "log.h"

int
crp_http_start(struct crpd *d)
{
	if (d->cfg.http_present)
		log_warnx("http: this build has no HTTP listener yet");
	return 0;
}

void
crp_http_stop(struct crpd *d)
{
}

uint16_t
crp_http_port(const struct crpd *d)
{
	return 0;
}

void
crp_http_reply_verify(struct crpd *d, struct ndes_http_request *req, bool verified,
    int event_id, uint32_t code, const char *reason, const char *challenge_id,
    const char *device_id, const char *user_id)
{
}

void
crp_http_reply_notify(struct crpd *d, struct ndes_http_request *req, bool accepted,
    uint32_t code, const char *message, bool bad_request)
{
}
