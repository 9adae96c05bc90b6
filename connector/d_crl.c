/* Keeping the CA's CRL fresh: at start, every CONND_CRL_CHECK_S and after a
 * configuration reload, conn_ca_crl_refresh() publishes a new crl.pem when
 * there is none, when it does not verify with the CA certificate, or when
 * less than half of ca.crl_days is left before its nextUpdate (so with the
 * default 7 days a CRL is re-issued every 3.5 days, never left to expire).
 * A CRL that cannot be published is event 20202 RevokeCert_Failure (the
 * CRL is how revocations reach relying parties) with 0x00001303 (CA
 * unavailable: files missing, unreadable or locked) or 0x0FFFFFFF. */
#include "connectord.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "events.h"
#include "log.h"

static void
crl_failed(struct connd *d, enum conn_ca_status st, const struct conn_ca_crl_info *info,
    const char *err)
{
	char detail[2048];
	struct ndes_event_ctx ctx = { .detail = detail, .ca_name = d->cfg.ca.name };

	snprintf(detail, sizeof(detail), "cannot publish a fresh CRL for CA %s: %s%s%s%s",
	    d->cfg.ca.name, err[0] != '\0' ? err : conn_ca_status_name(st),
	    info->reason[0] != '\0' ? " (needed: " : "", info->reason,
	    info->reason[0] != '\0' ? ")" : "");
	ndes_event_emit(NDES_EV_REVOKE_FAILURE, conn_ca_revoke_diag(st), &ctx);
	connd_note_error(d, "%s", detail);
}

void
connd_crl_check(struct connd *d)
{
	struct conn_ca_crl_info info;
	enum conn_ca_status st;
	char err[1024], when[32] = "?";

	if (d->ca == NULL || d->stopping)
		return;
	if ((st = conn_ca_crl_refresh(d->ca, &info, err, sizeof(err))) != CONN_CA_OK) {
		crl_failed(d, st, &info, err);
		return;
	}
	if (info.next_update > 0)
		ndes_clock_iso8601(info.next_update, when, sizeof(when));
	if (info.published)
		log_info("published a fresh CRL for CA %s (%d revoked, next update %s): %s",
		    d->cfg.ca.name, info.revoked, when, info.reason);
	else
		log_debug("the CRL of CA %s is fresh (next update %s)", d->cfg.ca.name, when);
}

static void
crl_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_crl_check(arg);
}

void
connd_crl_start(struct connd *d)
{
	struct timeval tv = { CONND_CRL_CHECK_S, 0 };

	d->ev_crl = event_new(d->base, -1, EV_PERSIST, crl_tick, d);
	if (d->ev_crl == NULL || event_add(d->ev_crl, &tv) == -1)
		fatalx("cannot start the CRL timer");
	connd_crl_check(d);
}
