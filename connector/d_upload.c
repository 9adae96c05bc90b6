/* Uploading the outbox (d_upload.h). */
#include "d_upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cloud.h"
#include "conf.h"
#include "conn_outbox.h"
#include "d_metrics.h"
#include "d_note.h"
#include "d_timer.h"
#include "events.h"
#include "log.h"

struct connd_upload {
	const struct connd_env	*env;
	struct connd_caller	 caller;
	struct event		*timer;
	bool			 uploading;
	int64_t			 backoff_s;	/* 0: no failure */
	time_t			 next_upload;
	size_t			 solo;		/* results one at a time, to find a refused one */
};

enum up_kind { UP_NOTIFICATIONS, UP_PKCS, UP_REVOCATIONS };

/* Notification calls of a batch in flight at once (each on its own
 * kept-alive connection). */
#define UP_IN_FLIGHT NDES_HTTP_MAX_CONNECTIONS

static const struct {
	const char *prefix, *what, *path;
} up_kinds[] = {
	[UP_NOTIFICATIONS] = { "n:", "notifications", NULL },
	[UP_PKCS] = { "p:", "PKCS results", "/PkcsRequests/uploadResults" },
	[UP_REVOCATIONS] = { "r:", "revocation results",
	    "/CertificateAuthorityRequests/uploadRevocationResults" },
};

/* One notification call of a batch. */
struct up_call {
	struct up_batch		*b;
	size_t			 i;
};

struct up_batch {
	struct connd_upload	*u;
	enum up_kind		 kind;
	struct conn_outbox_item	*items;
	struct conn_outbox_outcome *fates;	/* notifications: settled together */
	struct up_call		*calls;
	size_t			 n, next, in_flight, ok, rejected;
	bool			 failed;	/* transient failure: back off */
	bool			 noted;		/* lastUpload written in the settle's commit */
	uint32_t		 diag;
	char			 error[1024];
	char			 request_id[40];
};

static void up_schedule(struct connd_upload *u, int64_t delay_s);

static bool
up_permanent(int status)
{
	return status == 400 || status == 404 || status == 409 || status == 413 || status == 422;
}

static void
up_batch_free(struct up_batch *b)
{
	for (size_t i = 0; b->fates != NULL && i < b->n; i++)
		free((char *)b->fates[i].error);
	free(b->fates);
	free(b->calls);
	conn_outbox_items_free(b->items, b->n);
	free(b);
}

static void
up_record_failure(struct up_batch *b, const struct ndes_http_result *res)
{
	char text[1024];

	connd_result_text(res, text, sizeof(text));
	b->diag = conn_cloud_diag(res->err, res->status);
	snprintf(b->error, sizeof(b->error), "%s", text);
	snprintf(b->request_id, sizeof(b->request_id), "%s", res->request_id);
}

/* The cloud answered, but the outbox cannot record it: a failed upload. */
static void
up_outbox_failed(struct up_batch *b, const char *request_id, const char *what)
{
	if (request_id != b->request_id)
		snprintf(b->request_id, sizeof(b->request_id), "%s", request_id);
	b->failed = true;
	b->diag = NDES_DIAG_OUTBOX_WRITE_FAILED;
	snprintf(b->error, sizeof(b->error), "the cloud answered, but the outbox cannot record "
	    "that the %s: %s", what, conn_outbox_errmsg(b->u->env->ob));
}

static void
up_events(struct up_batch *b)
{
	char detail[1400];
	struct ndes_event_ctx ctx = { .detail = detail, .request_id = b->request_id[0] ?
	    b->request_id : NULL };
	static const char *const metric_kind[] = { [UP_NOTIFICATIONS] = "notification",
	    [UP_PKCS] = "pkcs_result", [UP_REVOCATIONS] = "revocation_result" };
	const char *what = up_kinds[b->kind].what;
	struct connd_notes *notes = b->u->env->notes;
	struct connd_metrics *m = b->u->env->metrics;

	connd_metrics_uploaded(m, metric_kind[b->kind], "ok", b->ok);
	connd_metrics_uploaded(m, metric_kind[b->kind], "rejected", b->rejected);
	if (b->failed)
		connd_metrics_uploaded(m, metric_kind[b->kind], "failed",
		    b->n - b->ok - b->rejected);

	if (b->ok > 0) {
		snprintf(detail, sizeof(detail), "uploaded %zu %s", b->ok, what);
		ndes_event_emit(NDES_EV_UPLOAD_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
		log_info("%s", detail);
		if (!b->noted)
			connd_note_success(notes, CONND_UPLOAD, !b->failed && b->rejected == 0,
			    "lastUpload");
	}
	if (b->failed || b->rejected > 0) {
		snprintf(detail, sizeof(detail), "%s of %zu %s: %s%s", b->failed ?
		    "upload failed" : "the cloud refused some", b->n - b->ok, what, b->error,
		    b->failed ? "; they stay in the outbox and are sent again later" :
		    "; the refused ones are kept, marked rejected");
		ndes_event_emit(NDES_EV_UPLOAD_FAILURE, b->diag, &ctx);
		connd_note_error(notes, CONND_UPLOAD, "%s", detail);
	}
}

/* The next backoff: backoff_initial, then doubled up to backoff_max. */
static int64_t
up_backoff_next(const struct connd_upload *u)
{
	const struct conn_cfg *cfg = u->env->cfg;

	if (u->backoff_s == 0)
		return cfg->outbox.backoff_initial;
	return u->backoff_s * 2 > cfg->outbox.backoff_max ? cfg->outbox.backoff_max :
	    u->backoff_s * 2;
}

/* The batch is over: events, then the next batch or a backoff. */
static void
up_batch_end(struct up_batch *b)
{
	struct connd_upload *u = b->u;
	int64_t delay = 0;

	up_events(b);
	connd_note_room(u->env->notes);
	if (b->failed) {
		u->backoff_s = up_backoff_next(u);
		delay = u->backoff_s;
		connd_status("uploads failing (%s): next try in about %llds", b->error,
		    (long long)delay);
	} else {
		u->backoff_s = 0;
		connd_status("registered; %lld items in the outbox",
		    (long long)conn_outbox_count(u->env->ob));
	}
	if (b->kind != UP_NOTIFICATIONS && b->rejected == 0 && !b->failed && u->solo > 0)
		u->solo = u->solo > b->n ? u->solo - b->n : 0;
	u->uploading = false;
	up_batch_free(b);
	up_schedule(u, delay);
}

/* Every call of the batch answered (or no more started): record all
 * outcomes in one transaction, with the notes of a success (lastUpload, the
 * upload error cleared: d_note.h) in the same commit, then end the batch. */
static void
up_notifications_settle(struct up_batch *b)
{
	struct connd_notes *notes = b->u->env->notes;
	struct conn_outbox_meta rows[2];
	size_t done = 0, rejected = 0, k = 0;
	bool clean;

	for (size_t i = 0; i < b->next; i++) {
		done += b->fates[i].fate == CONN_OUTBOX_DONE;
		rejected += b->fates[i].fate == CONN_OUTBOX_REJECTED;
	}
	clean = rejected == 0 && !b->failed;
	if (done > 0)
		k = connd_note_success_rows(notes, CONND_UPLOAD, clean, "lastUpload", rows);
	if (conn_outbox_settle(b->u->env->ob, b->fates, b->next, rows, k) == 0) {
		b->ok = done;
		b->rejected = rejected;
		if (k > 0) {
			connd_note_success_written(notes, CONND_UPLOAD, clean);
			b->noted = true;
		}
	} else {
		up_outbox_failed(b, b->request_id, done > 1 ? "items were delivered" :
		    done == 1 ? "item was delivered" : "item was refused for good");
	}
	up_batch_end(b);
}

static void up_notifications_fill(struct up_batch *b);

static void
up_notification_done(const struct ndes_http_result *res, void *arg)
{
	struct up_call *c = arg;
	struct up_batch *b = c->b;
	struct conn_outbox_outcome *fate = &b->fates[c->i];
	char text[1024];

	b->in_flight--;
	snprintf(b->request_id, sizeof(b->request_id), "%s", res->request_id);
	if (res->err == NDES_HTTP_OK && res->status == 200) {
		fate->fate = CONN_OUTBOX_DONE;
	} else {
		up_record_failure(b, res);
		connd_result_text(res, text, sizeof(text));
		fate->error = strdup(text);
		if (res->err == NDES_HTTP_OK && up_permanent(res->status)) {
			fate->fate = CONN_OUTBOX_REJECTED;
		} else {
			fate->fate = CONN_OUTBOX_RETRY;
			b->failed = true;
		}
	}
	up_notifications_fill(b);
}

/* Keep up to UP_IN_FLIGHT calls going until the batch is sent, or a
 * failure (or a stop) says to start no more; then settle it. */
static void
up_notifications_fill(struct up_batch *b)
{
	char path[128];
	struct up_call *c;

	while (!b->failed && !b->u->env->stopping && b->next < b->n &&
	    b->in_flight < UP_IN_FLIGHT) {
		c = &b->calls[b->next];
		c->b = b;
		c->i = b->next;
		snprintf(path, sizeof(path), "/ScepActions/%s", b->items[c->i].kind);
		if (connd_caller_text(&b->u->caller, "POST", path, b->items[c->i].body,
		    up_notification_done, c) == -1) {
			snprintf(b->error, sizeof(b->error), "the cloud cannot be called now");
			b->diag = NDES_DIAG_UNKNOWN_ERROR;
			b->failed = true;
			break;
		}
		b->next++;
		b->in_flight++;
	}
	if (b->in_flight == 0)
		up_notifications_settle(b);
}

static int
up_notifications_send(struct up_batch *b)
{
	if ((b->fates = calloc(b->n, sizeof(*b->fates))) == NULL ||
	    (b->calls = calloc(b->n, sizeof(*b->calls))) == NULL)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		b->fates[i].seq = b->items[i].seq;
	up_notifications_fill(b);
	return 0;
}

/* A batch of results refused for good: one alone is marked; several are
 * sent again one at a time to find the refused one. */
static void
up_results_refused(struct up_batch *b, const int64_t *seqs, const struct ndes_http_result *res)
{
	char text[1024];

	up_record_failure(b, res);
	if (b->n > 1) {
		b->u->solo = b->n;
		b->rejected = b->n;
		return;
	}
	connd_result_text(res, text, sizeof(text));
	if (conn_outbox_reject(b->u->env->ob, seqs[0], text) == 0)
		b->rejected = 1;
	else
		up_outbox_failed(b, res->request_id, "result was refused for good");
}

static void
up_results_done(const struct ndes_http_result *res, void *arg)
{
	struct up_batch *b = arg;
	struct conn_outbox *ob = b->u->env->ob;
	int64_t *seqs = calloc(b->n, sizeof(*seqs));
	char text[1024];

	for (size_t i = 0; seqs != NULL && i < b->n; i++)
		seqs[i] = b->items[i].seq;
	if (seqs == NULL)
		b->failed = true;
	else if (res->err == NDES_HTTP_OK && res->status == 200) {
		if (conn_outbox_remove(ob, seqs, b->n) == 0)
			b->ok = b->n;
		else
			up_outbox_failed(b, res->request_id, "results were delivered");
	} else if (res->err == NDES_HTTP_OK && up_permanent(res->status))
		up_results_refused(b, seqs, res);
	else {
		up_record_failure(b, res);
		connd_result_text(res, text, sizeof(text));
		conn_outbox_failed(ob, seqs, b->n, text);
		b->failed = true;
	}
	free(seqs);
	up_batch_end(b);
}

static int
up_results_send(struct up_batch *b)
{
	json_t *results = json_array(), *item;

	for (size_t i = 0; i < b->n; i++)
		if ((item = json_loads(b->items[i].body, 0, NULL)) != NULL)
			json_array_append_new(results, item);
	return connd_caller_json(&b->u->caller, "POST", up_kinds[b->kind].path,
	    json_pack("{s:o}", "results", results), up_results_done, b);
}

/* Items in the next batch of kind: one alone while results are searched
 * for a refused one, and for notifications after a failed batch (a probe:
 * a cloud or an outbox that still fails costs one call a round, not a
 * batch of them); else the configured batch size. */
static size_t
up_batch_limit(const struct connd_upload *u, enum up_kind kind, size_t limit)
{
	if (kind == UP_NOTIFICATIONS)
		return u->backoff_s > 0 ? 1 : limit;
	return u->solo > 0 ? 1 : limit;
}

/* The next batch: notifications first, then PKCS, then revocation results. */
static struct up_batch *
up_batch_take(struct connd_upload *u)
{
	struct up_batch *b = calloc(1, sizeof(*b));
	size_t limit = (size_t)u->env->cfg->outbox.batch_size;

	if (b == NULL)
		return NULL;
	b->u = u;
	for (int k = UP_NOTIFICATIONS; k <= UP_REVOCATIONS; k++) {
		b->kind = (enum up_kind)k;
		if (conn_outbox_fetch(u->env->ob, up_kinds[k].prefix, up_batch_limit(u, b->kind,
		    limit), &b->items, &b->n) == -1)
			break;
		if (b->n > 0)
			return b;
	}
	up_batch_free(b);
	return NULL;
}

void
connd_upload_run(struct connd_upload *u)
{
	struct up_batch *b;

	if (u->uploading || u->env->stopping)
		return;
	if (connd_caller_ready(&u->caller) == -1) {
		up_schedule(u, u->env->cfg->downloads.interval);
		return;
	}
	if ((b = up_batch_take(u)) == NULL)
		return;
	u->uploading = true;
	connd_status("uploading %zu %s", b->n, up_kinds[b->kind].what);
	if ((b->kind == UP_NOTIFICATIONS ? up_notifications_send(b) : up_results_send(b)) == -1) {
		u->uploading = false;
		up_batch_free(b);
		up_schedule(u, u->env->cfg->outbox.backoff_initial);
	}
}

static void
up_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_upload_run(arg);
}

/* Full jitter on the upper half: delay/2 .. delay. */
static void
up_schedule(struct connd_upload *u, int64_t delay_s)
{
	struct timeval tv = { 0, 0 };
	uint32_t rnd = 0;

	if (u->env->stopping || u->timer == NULL)
		return;
	if (delay_s > 0) {
		RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		int64_t ms = delay_s * 500 + (int64_t)(rnd % (uint32_t)(delay_s * 500 + 1));

		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	}
	u->next_upload = u->env->now() + (time_t)tv.tv_sec;
	connd_timer_after(u->timer, tv);
}

void
connd_upload_kick(struct connd_upload *u)
{
	/* during a backoff, new items wait for the timer already set */
	if (u->uploading || u->env->stopping ||
	    (u->backoff_s > 0 && u->env->now() < u->next_upload))
		return;
	if (u->timer != NULL && !evtimer_pending(u->timer, NULL))
		up_schedule(u, 0);
}

struct connd_upload *
connd_upload_new(const struct connd_env *env, const struct connd_caller *caller)
{
	struct connd_upload *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->env = env;
	u->caller = *caller;
	return u;
}

void
connd_upload_start(struct connd_upload *u)
{
	u->timer = connd_timer_new(u->env, up_tick, u, "upload");
	up_schedule(u, 0);
}

void
connd_upload_free(struct connd_upload *u)
{
	if (u != NULL)
		connd_timer_free(u->timer);
	free(u);
}

int64_t
connd_upload_backoff(const struct connd_upload *u)
{
	return u->backoff_s;
}

time_t
connd_upload_due(const struct connd_upload *u)
{
	return u->next_upload;
}

bool
connd_upload_busy(const struct connd_upload *u)
{
	return u->uploading;
}
