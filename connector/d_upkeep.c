/* Upkeep: the CRL and the WAL (d_upkeep.h). */
#include "d_upkeep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "clock.h"
#include "conf.h"
#include "conn_outbox.h"
#include "d_metrics.h"
#include "d_note.h"
#include "d_timer.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"
#include "storage.h"

struct connd_upkeep {
	const struct connd_env	*env;
	struct event		*crl_timer, *wal_timer;
};

static void
upkeep_crl_failed(struct connd_upkeep *k, enum conn_ca_status st,
    const struct conn_ca_crl_info *info, const char *err)
{
	const char *name = k->env->cfg->ca.name;
	char detail[2048];
	struct ndes_event_ctx ctx = { .detail = detail, .ca_name = name };

	snprintf(detail, sizeof(detail), "cannot publish a fresh CRL for CA %s: %s%s%s%s",
	    name, err[0] != '\0' ? err : conn_ca_status_name(st),
	    info->reason[0] != '\0' ? " (needed: " : "", info->reason,
	    info->reason[0] != '\0' ? ")" : "");
	ndes_event_emit(NDES_EV_CRL_PUBLISH_FAILURE, conn_ca_crl_diag(st), &ctx);
	connd_note_error(k->env->notes, CONND_CRL, "%s", detail);
}

void
connd_upkeep_crl(struct connd_upkeep *k)
{
	const char *name = k->env->cfg->ca.name;
	struct conn_ca_crl_info info;
	enum conn_ca_status st;
	char err[NDES_ERR_MAX], when[32] = "?";

	if (k->env->ca == NULL || k->env->stopping)
		return;
	if ((st = conn_ca_crl_refresh(k->env->ca, &info, err, sizeof(err))) != CONN_CA_OK) {
		upkeep_crl_failed(k, st, &info, err);
		return;
	}
	connd_metrics_crl(k->env->metrics, info.next_update);
	connd_note_success(k->env->notes, CONND_CRL, true, NULL);
	if (info.next_update > 0)
		ndes_clock_iso8601(info.next_update, when, sizeof(when));
	if (info.published)
		log_info("published a fresh CRL for CA %s (%d revoked, next update %s): %s",
		    name, info.revoked, when, info.reason);
	else
		log_debug("the CRL of CA %s is fresh (next update %s)", name, when);
}

static void
upkeep_crl_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_upkeep_crl(arg);
}

static void
upkeep_wal_tick(evutil_socket_t fd, short what, void *arg)
{
	struct connd_upkeep *k = arg;

	conn_outbox_maintain(k->env->ob);
}

struct connd_upkeep *
connd_upkeep_new(const struct connd_env *env)
{
	struct connd_upkeep *k = calloc(1, sizeof(*k));

	if (k != NULL)
		k->env = env;
	return k;
}

void
connd_upkeep_free(struct connd_upkeep *k)
{
	if (k != NULL) {
		connd_timer_free(k->crl_timer);
		connd_timer_free(k->wal_timer);
	}
	free(k);
}

void
connd_upkeep_start(struct connd_upkeep *k)
{
	struct timeval crl = { CONND_CRL_CHECK_S, 0 };
	struct timeval wal = { NDES_DB_MAINTAIN_MS / 1000, NDES_DB_MAINTAIN_MS % 1000 * 1000 };

	k->crl_timer = connd_timer_every(k->env, crl, upkeep_crl_tick, k, "CRL");
	connd_upkeep_crl(k);
	k->wal_timer = connd_timer_every(k->env, wal, upkeep_wal_tick, k,
	    "outbox maintenance");
}
