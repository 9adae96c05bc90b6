/* Renewal of the registration certificates: every renewal.check_interval,
 * when less than renewal.threshold_percent of the client certificate's
 * lifetime is left, POST /connectors/renew (mutual TLS with the current
 * certificate) with fresh client and CRP requests.  The new pairs are
 * written (the old CRP pair kept as crp-previous.*), the HTTPS client
 * switches to the new certificate and crpd is told to reload.  Events:
 * 10100 on success, 10102 with 0x1202 / 0x1203 / 0x1204 / 0x0FFFFFFF on
 * failure (0x405 when the certificate has expired: d_registration.c). */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "enroll.h"
#include "events.h"
#include "log.h"

struct renew_job {
	struct conn_enroll	 e;
};

static void
renew_failed(struct connd *d, uint32_t diag, const char *what)
{
	struct ndes_event_ctx ctx = { .detail = what, .thumbprint = d->loaded_thumb };

	ndes_event_emit(NDES_EV_CERT_RENEWAL_FAILURE, diag, &ctx);
	connd_note_error(d, "renewal failed: %s", what);
}

static void
renew_switch(evutil_socket_t fd, short what, void *arg)
{
	struct connd *d = arg;

	connd_registration_check(d);
	connd_crpd_reload(d, "renewed CRP certificate");
}

static void
renew_store(struct connd *d, struct renew_job *j, const struct ndes_http_result *res)
{
	struct conn_enroll_reply rep;
	struct timeval zero = { 0, 0 };
	char err[1024], detail[1200], old[64];
	struct ndes_event_ctx ctx = { .detail = detail };
	char until[32] = "?";

	if (conn_enroll_parse(res->body, res->len, &j->e, &rep, err, sizeof(err)) == -1) {
		renew_failed(d, NDES_DIAG_UNKNOWN_ERROR, err);
		return;
	}
	snprintf(old, sizeof(old), "%s", d->loaded_thumb);
	if (conn_enroll_store(&d->st, &j->e, &rep, &d->reg, true, err, sizeof(err)) == -1) {
		renew_failed(d, NDES_DIAG_UNKNOWN_ERROR, err);
		conn_enroll_reply_clear(&rep);
		return;
	}
	ndes_crypto_not_after_iso8601(rep.client, until, sizeof(until));
	snprintf(detail, sizeof(detail), "renewed the registration certificate %s: new "
	    "certificate %s valid until %s, new CRP certificate", old,
	    d->reg.client_thumbprint, until);
	ctx.thumbprint = d->reg.client_thumbprint;
	ndes_event_emit(NDES_EV_CERT_RENEWAL_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
	log_info("%s", detail);
	conn_enroll_reply_clear(&rep);
	/* switch outside this HTTP callback, once nothing else is in flight */
	event_base_once(d->base, -1, EV_TIMEOUT, renew_switch, d, &zero);
}

static void
renew_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	struct renew_job *j = arg;
	char text[1024];

	d->renewing = false;
	if (res->err == NDES_HTTP_OK && res->status == 200)
		renew_store(d, j, res);
	else {
		connd_result_text(res, text, sizeof(text));
		renew_failed(d, conn_cloud_diag(res->err, res->status), text);
	}
	conn_enroll_clear(&j->e);
	free(j);
}

void
connd_renew_check(struct connd *d)
{
	time_t now = time(NULL);
	int64_t life = (int64_t)(d->client_not_after - d->client_not_before);
	int64_t left = (int64_t)(d->client_not_after - now);
	struct renew_job *j;
	char err[512], *body;

	if (d->renewing || d->stopping || connd_registration_check(d) == -1 || life <= 0 ||
	    left * 100 >= life * d->cfg.renewal.threshold_percent)
		return;
	log_info("the registration certificate has %lld of %lld seconds left (under %lld%%): "
	    "renewing", (long long)left, (long long)life,
	    (long long)d->cfg.renewal.threshold_percent);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	if (conn_enroll_prepare(&j->e, d->reg.name != NULL ? d->reg.name : "ndes-connector",
	    err, sizeof(err)) == -1) {
		renew_failed(d, NDES_DIAG_UNKNOWN_ERROR, err);
		free(j);
		return;
	}
	d->renewing = true;
	body = conn_enroll_renew_body(&j->e);
	if (body != NULL && connd_call_text(d, "POST", "/connectors/renew", body, renew_done,
	    j) == 0) {
		free(body);
		return;
	}
	free(body);
	d->renewing = false;
	conn_enroll_clear(&j->e);
	free(j);
}

static void
renew_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_renew_check(arg);
}

void
connd_renew_start(struct connd *d)
{
	struct timeval tv = { (time_t)d->cfg.renewal.check_interval, 0 };

	d->ev_renew = event_new(d->base, -1, EV_PERSIST, renew_tick, d);
	if (d->ev_renew == NULL || event_add(d->ev_renew, &tv) == -1)
		fatalx("cannot start the renewal timer");
	connd_renew_check(d);
}
