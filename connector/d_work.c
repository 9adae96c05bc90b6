/* Carrying out downloaded work on the CA (d_work.h). */
#include "d_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "conf.h"
#include "conn_outbox.h"
#include "d_note.h"
#include "d_timer.h"
#include "errmsg.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "pkcs.h"

struct connd_work {
	const struct connd_env	*env;
	struct connd_hook	 stored;
	struct event		*again;		/* the next turn */
};

/* A request for another CA than ours. */
static bool
work_other_ca(struct connd_work *w, const char *ca_conf, char *err, size_t errlen)
{
	const char *ours = w->env->cfg->ca.name;

	if (ca_conf == NULL || ca_conf[0] == '\0' || strcmp(ca_conf, ours) == 0)
		return false;
	snprintf(err, errlen, "CA \"%s\" is not served by this connector (it serves \"%s\")",
	    ca_conf, ours);
	return true;
}

static void
work_pkcs_event(struct connd_work *w, const struct conn_pkcs_request *req,
    const struct conn_pkcs_result *res)
{
	char detail[700];
	struct ndes_event_ctx ctx = { .device_id = req->device_id, .user_id = req->user_id,
	    .ca_name = w->env->cfg->ca.name, .template_name = req->template_name,
	    .request_id = req->request_id, .detail = detail };

	if (res->succeeded) {
		ctx.thumbprint = res->thumbprint;
		ctx.serial_number = res->serial;
		snprintf(detail, sizeof(detail), "issued certificate %s (serial %s) for PKCS "
		    "request %s, valid until %s", res->thumbprint, res->serial, req->request_id,
		    res->expiry);
		ndes_event_emit(NDES_EV_PKCS_ISSUE_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
		log_info("%s", detail);
		connd_note_success(w->env->notes, CONND_PKCS, true, NULL);
	} else {
		ndes_err_set(detail, sizeof(detail), "PKCS request %s: %s (error code %d)",
		    req->request_id, res->error_message, res->error_code);
		ndes_event_emit(NDES_EV_PKCS_ISSUE_FAILURE, conn_ca_pkcs_diag(res->status),
		    &ctx);
		connd_note_error(w->env->notes, CONND_PKCS, "%s", detail);
	}
}

static json_t *
work_pkcs(struct connd_work *w, json_t *item)
{
	const struct conn_cfg *cfg = w->env->cfg;
	struct conn_pkcs_opts opts = { .attribute_end_date = cfg->ca.attribute_end_date };
	struct conn_pkcs_request req;
	struct conn_pkcs_result res = { 0 };
	char err[NDES_ERR_MAX];
	json_t *out;
	int r = conn_pkcs_request_parse(item, &req, err, sizeof(err));

	if (r == -1)
		return NULL;
	if (r == -2) {
		res.status = CONN_CA_BAD_REQUEST;
		res.error_code = CONN_CAERR_SERIALIZATION;
		ndes_err_set(res.error_message, sizeof(res.error_message), "%s", err);
	} else if (work_other_ca(w, req.ca_configuration, err, sizeof(err))) {
		res.status = CONN_CA_UNAVAILABLE;
		res.error_code = CONN_CAERR_UNAVAILABLE;
		ndes_err_set(res.error_message, sizeof(res.error_message), "%s", err);
	} else {
		opts.template_s = conn_conf_template_validity(cfg, req.template_name);
		if (opts.template_s < 0)
			connd_note_unserved_template(w->env->notes,
			    req.template_name != NULL ? req.template_name : "");
		conn_pkcs_process(w->env->ca, &req, &opts, &res);
	}
	work_pkcs_event(w, &req, &res);
	out = conn_pkcs_result_json(req.request_id, &res);
	conn_pkcs_result_clear(&res);
	conn_pkcs_request_clear(&req);
	return out;
}

static void
work_revoke_event(struct connd_work *w, const char *ctx_id, const char *serial,
    enum conn_ca_status st, const char *msg)
{
	char detail[700];
	struct ndes_event_ctx ctx = { .ca_name = w->env->cfg->ca.name, .serial_number = serial,
	    .request_id = ctx_id, .detail = detail };

	if (st == CONN_CA_OK) {
		snprintf(detail, sizeof(detail), "revoked certificate %s (request %s) and "
		    "published a new CRL", serial, ctx_id);
		ndes_event_emit(NDES_EV_REVOKE_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
		log_info("%s", detail);
		connd_note_success(w->env->notes, CONND_REVOCATION, true, NULL);
	} else {
		snprintf(detail, sizeof(detail), "revocation of %s (request %s): %s", serial,
		    ctx_id, msg);
		ndes_event_emit(NDES_EV_REVOKE_FAILURE, conn_ca_revoke_diag(st), &ctx);
		connd_note_error(w->env->notes, CONND_REVOCATION, "%s", detail);
	}
}

static json_t *
work_revoke(struct connd_work *w, json_t *item, bool retried)
{
	const char *ctx_id = json_string_value(json_object_get(item, "requestContext"));
	const char *serial = json_string_value(json_object_get(item, "serialNumber"));
	const char *ca_conf = json_string_value(json_object_get(item, "caConfiguration"));
	enum conn_ca_status st;
	char err[NDES_ERR_MAX] = "";

	if (ctx_id == NULL)
		return NULL;
	if (serial == NULL || serial[0] == '\0') {
		st = CONN_CA_BAD_REQUEST;
		snprintf(err, sizeof(err), "the request has no serialNumber");
	} else if (work_other_ca(w, ca_conf, err, sizeof(err)))
		st = CONN_CA_UNAVAILABLE;
	else if ((st = conn_ca_revoke(w->env->ca, serial, err, sizeof(err))) ==
	    CONN_CA_ALREADY_REVOKED && retried) {
		log_info("revocation %s: %s, by our own attempt before a restart", ctx_id, err);
		st = CONN_CA_OK;
	}
	work_revoke_event(w, ctx_id, serial != NULL ? serial : "", st, err);
	if (st == CONN_CA_OK)
		return json_pack("{s:s, s:b, s:i, s:s}", "requestContext", ctx_id, "succeeded", 1,
		    "errorCode", 0, "errorMessage", "");
	return json_pack("{s:s, s:b, s:i, s:o}", "requestContext", ctx_id, "succeeded", 0,
	    "errorCode", conn_ca_request_error(st), "errorMessage", ndes_json_text(err));
}

static void
work_one(struct connd_work *w, const struct conn_outbox_item *it)
{
	struct conn_outbox *ob = w->env->ob;
	json_t *item = json_loads(it->body, 0, NULL), *res = NULL;
	bool pkcs = strcmp(it->kind, "pkcs") == 0;
	char *text;

	if (item == NULL || conn_outbox_work_start(ob, it->key) == -1) {
		json_decref(item);
		return;
	}
	res = pkcs ? work_pkcs(w, item) : work_revoke(w, item, it->started);
	json_decref(item);
	if (res == NULL || (text = json_dumps(res, JSON_COMPACT)) == NULL) {
		json_decref(res);
		return;
	}
	if (conn_outbox_work_finish(ob, it->key, pkcs ? "pkcsResult" : "revocationResult",
	    it->key, text) == -1)
		connd_note_error(w->env->notes, CONND_OUTBOX, "cannot store the result of %s in "
		    "the outbox: %s", it->key, conn_outbox_errmsg(ob));
	else
		connd_note_success(w->env->notes, CONND_OUTBOX, true, NULL);
	free(text);
	json_decref(res);
}

void
connd_work_run(struct connd_work *w)
{
	struct conn_outbox_item *items = NULL;
	struct timeval zero = { 0, 0 };
	size_t n = 0;

	if (w->env->ca == NULL || w->env->stopping || evtimer_pending(w->again, NULL) ||
	    conn_outbox_work_fetch(w->env->ob, CONND_WORK_PER_TURN + 1, &items, &n) == -1)
		return;
	for (size_t i = 0; i < n && i < CONND_WORK_PER_TURN && !w->env->stopping; i++)
		work_one(w, &items[i]);
	conn_outbox_items_free(items, n);
	if (n > CONND_WORK_PER_TURN && !w->env->stopping)
		connd_timer_after(w->again, zero);
	if (n > 0)
		connd_hook_call(&w->stored);
}

static void
work_again(evutil_socket_t fd, short what, void *arg)
{
	connd_work_run(arg);
}

struct connd_work *
connd_work_new(const struct connd_env *env, struct connd_hook stored)
{
	struct connd_work *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->env = env;
	w->stored = stored;
	w->again = connd_timer_new(env, work_again, w, "CA work");
	return w;
}

void
connd_work_free(struct connd_work *w)
{
	if (w != NULL)
		connd_timer_free(w->again);
	free(w);
}
