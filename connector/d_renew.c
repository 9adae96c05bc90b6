/* Renewal of the registration certificates (d_renew.h). */
#include "d_renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "conf.h"
#include "crypto.h"
#include "d_note.h"
#include "d_registration.h"
#include "d_timer.h"
#include "enroll.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"

struct connd_renew {
	const struct connd_env	*env;
	struct connd_reg	*reg;
	struct connd_caller	 caller;
	struct connd_hook	 renewed;
	struct event		*timer;
	struct event		*after;		/* the renewed hook, outside the HTTP callback */
	bool			 renewing;
	struct conn_enroll	 e;		/* the keys of the renewal under way */
};

bool
connd_renew_due(time_t not_before, time_t not_after, time_t now, int64_t threshold_percent)
{
	int64_t life = (int64_t)(not_after - not_before);
	int64_t left = (int64_t)(not_after - now);

	return life > 0 && left * 100 < life * threshold_percent;
}

static void
renew_failed(struct connd_renew *rn, uint32_t diag, const char *what)
{
	struct ndes_event_ctx ctx = { .detail = what,
	    .thumbprint = connd_reg_thumb_in_use(rn->reg) };

	ndes_event_emit(NDES_EV_CERT_RENEWAL_FAILURE, diag, &ctx);
	connd_note_error(rn->env->notes, CONND_RENEWAL, "renewal failed: %s", what);
}

static void
renew_store(struct connd_renew *rn, const struct ndes_http_result *res)
{
	struct conn_enroll_reply rep;
	struct timeval zero = { 0, 0 };
	char err[NDES_ERR_MAX], detail[1200], old[64];
	struct ndes_event_ctx ctx = { .detail = detail };
	char until[32] = "?";

	if (conn_enroll_parse(res->body, res->len, &rn->e, &rep, err, sizeof(err)) == -1) {
		renew_failed(rn, NDES_DIAG_UNKNOWN_ERROR, err);
		return;
	}
	snprintf(old, sizeof(old), "%s", connd_reg_thumb_in_use(rn->reg));
	if (connd_reg_store_renewal(rn->reg, &rn->e, &rep, err, sizeof(err)) == -1) {
		renew_failed(rn, NDES_DIAG_UNKNOWN_ERROR, err);
		conn_enroll_reply_clear(&rep);
		return;
	}
	ndes_crypto_not_after_iso8601(rep.client, until, sizeof(until));
	ctx.thumbprint = connd_reg_thumb_registered(rn->reg);
	snprintf(detail, sizeof(detail), "renewed the registration certificate %s: new "
	    "certificate %s valid until %s, new CRP certificate", old, ctx.thumbprint, until);
	ndes_event_emit(NDES_EV_CERT_RENEWAL_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
	log_info("%s", detail);
	connd_note_success(rn->env->notes, CONND_RENEWAL, true, NULL);
	conn_enroll_reply_clear(&rep);
	/* switch outside this HTTP callback, once nothing else is in flight */
	connd_timer_after(rn->after, zero);
}

static void
renew_done(const struct ndes_http_result *res, void *arg)
{
	struct connd_renew *rn = arg;
	char text[1024];

	rn->renewing = false;
	if (res->err == NDES_HTTP_OK && res->status == 200)
		renew_store(rn, res);
	else {
		connd_result_text(res, text, sizeof(text));
		renew_failed(rn, conn_cloud_diag(res->err, res->status), text);
	}
	conn_enroll_clear(&rn->e);
}

static void
renew_begin(struct connd_renew *rn)
{
	const char *name = connd_reg_name(rn->reg);
	char err[NDES_ERR_MAX], *body;

	if (conn_enroll_prepare(&rn->e, name != NULL ? name : "ndes-connector", err,
	    sizeof(err)) == -1) {
		renew_failed(rn, NDES_DIAG_UNKNOWN_ERROR, err);
		return;
	}
	rn->renewing = true;
	body = conn_enroll_renew_body(&rn->e);
	if (body == NULL || connd_caller_text(&rn->caller, "POST", "/connectors/renew", body,
	    renew_done, rn) == -1) {
		rn->renewing = false;
		conn_enroll_clear(&rn->e);
	}
	free(body);
}

void
connd_renew_check(struct connd_renew *rn)
{
	time_t nb, na, now = rn->env->now();
	int64_t threshold = rn->env->cfg->renewal.threshold_percent;

	if (rn->renewing || rn->env->stopping || connd_caller_ready(&rn->caller) == -1)
		return;
	connd_reg_validity(rn->reg, &nb, &na);
	if (!connd_renew_due(nb, na, now, threshold))
		return;
	log_info("the registration certificate has %lld of %lld seconds left (under %lld%%): "
	    "renewing", (long long)(na - now), (long long)(na - nb), (long long)threshold);
	renew_begin(rn);
}

static void
renew_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_renew_check(arg);
}

static void
renew_after(evutil_socket_t fd, short what, void *arg)
{
	struct connd_renew *rn = arg;

	connd_hook_call(&rn->renewed);
}

struct connd_renew *
connd_renew_new(const struct connd_env *env, struct connd_reg *reg,
    const struct connd_caller *caller, struct connd_hook renewed)
{
	struct connd_renew *rn = calloc(1, sizeof(*rn));

	if (rn == NULL)
		return NULL;
	rn->env = env;
	rn->reg = reg;
	rn->caller = *caller;
	rn->renewed = renewed;
	rn->after = connd_timer_new(env, renew_after, rn, "renewal switch");
	return rn;
}

void
connd_renew_free(struct connd_renew *rn)
{
	if (rn != NULL) {
		connd_timer_free(rn->timer);
		connd_timer_free(rn->after);
		conn_enroll_clear(&rn->e);
	}
	free(rn);
}

void
connd_renew_reschedule(struct connd_renew *rn)
{
	connd_timer_reset(rn->timer, rn->env->cfg->renewal.check_interval);
}

void
connd_renew_start(struct connd_renew *rn)
{
	struct timeval tv = { (time_t)rn->env->cfg->renewal.check_interval, 0 };

	rn->timer = connd_timer_every(rn->env, tv, renew_tick, rn, "renewal");
	connd_renew_check(rn);
}

bool
connd_renew_busy(const struct connd_renew *rn)
{
	return rn->renewing;
}
