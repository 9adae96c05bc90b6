/* Uploading the outbox, oldest first, in batches of outbox.batch_size:
 *   notifications        POST /ScepActions/<kind>, one call per item (the
 *                        body exactly as crpd made it), one after the other
 *   PKCS results         POST /PkcsRequests/uploadResults {results: [...]}
 *   revocation results   POST /CertificateAuthorityRequests/uploadRevocationResults
 * An item is removed only when the cloud confirmed it (200; a duplicate
 * counts as confirmed: the cloud is idempotent by transactionId,
 * requestId, requestContext).  A refusal for good (400, 404, 409, 413,
 * 422) keeps the item, marked rejected; a batch refused that way is sent
 * again one item at a time to find the culprit.  Anything else (no
 * connection, TLS, 401/403, 408, 429, 5xx) waits with exponential backoff
 * and jitter (outbox.backoff_initial .. backoff_max).  So does an outbox
 * that cannot record what the cloud answered (disk full: the remove or the
 * rejected mark fails): the item stays, counts as not uploaded, and is sent
 * again after the backoff (the cloud keeps one copy).  Events per batch:
 * 20300 counting only the items settled in the outbox, or 20302 with
 * 0x1202 / 0x1203 / 0x1204, or 0x1205 when the outbox cannot be written. */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "events.h"
#include "log.h"

enum up_kind { UP_NOTIFICATIONS, UP_PKCS, UP_REVOCATIONS };

static const struct {
	const char *prefix, *what, *path;
} up_kinds[] = {
	[UP_NOTIFICATIONS] = { "n:", "notifications", NULL },
	[UP_PKCS] = { "p:", "PKCS results", "/PkcsRequests/uploadResults" },
	[UP_REVOCATIONS] = { "r:", "revocation results",
	    "/CertificateAuthorityRequests/uploadRevocationResults" },
};

struct up_batch {
	enum up_kind		 kind;
	struct conn_outbox_item	*items;
	size_t			 n, next, ok, rejected;
	bool			 failed;	/* transient failure: back off */
	uint32_t		 diag;
	char			 error[1024];
	char			 request_id[40];
};

static void up_schedule(struct connd *d, int64_t delay_s);

static bool
up_permanent(int status)
{
	return status == 400 || status == 404 || status == 409 || status == 413 || status == 422;
}

static void
up_batch_free(struct up_batch *b)
{
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
up_outbox_failed(struct connd *d, struct up_batch *b, const struct ndes_http_result *res,
    const char *what)
{
	snprintf(b->request_id, sizeof(b->request_id), "%s", res->request_id);
	b->failed = true;
	b->diag = NDES_DIAG_OUTBOX_WRITE_FAILED;
	snprintf(b->error, sizeof(b->error), "the cloud answered, but the outbox cannot record "
	    "that the %s: %s", what, conn_outbox_errmsg(d->ob));
}

static void
up_events(struct connd *d, struct up_batch *b)
{
	char detail[1400];
	struct ndes_event_ctx ctx = { .detail = detail, .request_id = b->request_id[0] ?
	    b->request_id : NULL };
	const char *what = up_kinds[b->kind].what;

	if (b->ok > 0) {
		snprintf(detail, sizeof(detail), "uploaded %zu %s", b->ok, what);
		ndes_event_emit(NDES_EV_UPLOAD_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
		log_info("%s", detail);
		connd_note_time(d, "lastUpload");
	}
	if (b->failed || b->rejected > 0) {
		snprintf(detail, sizeof(detail), "%s of %zu %s: %s%s", b->failed ?
		    "upload failed" : "the cloud refused some", b->n - b->ok, what, b->error,
		    b->failed ? "; they stay in the outbox and are sent again later" :
		    "; the refused ones are kept, marked rejected");
		ndes_event_emit(NDES_EV_UPLOAD_FAILURE, b->diag, &ctx);
		connd_note_error(d, "%s", detail);
	}
}

/* The batch is over: events, then the next batch or a backoff. */
static void
up_batch_end(struct connd *d, struct up_batch *b)
{
	int64_t delay = 0;

	up_events(d, b);
	if (conn_outbox_room(d->ob) > 0)
		d->full_reported = false;
	if (b->failed) {
		d->backoff_s = d->backoff_s == 0 ? d->cfg.outbox.backoff_initial :
		    d->backoff_s * 2 > d->cfg.outbox.backoff_max ? d->cfg.outbox.backoff_max :
		    d->backoff_s * 2;
		delay = d->backoff_s;
		connd_status(d, "uploads failing (%s): next try in about %llds", b->error,
		    (long long)delay);
	} else {
		d->backoff_s = 0;
		connd_status(d, "registered; %lld items in the outbox",
		    (long long)conn_outbox_count(d->ob));
	}
	if (b->kind != UP_NOTIFICATIONS && b->rejected == 0 && !b->failed && d->solo > 0)
		d->solo = d->solo > b->n ? d->solo - b->n : 0;
	d->uploading = false;
	up_batch_free(b);
	up_schedule(d, delay);
}

static void up_notification_next(struct connd *d, struct up_batch *b);

static void
up_notification_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	struct up_batch *b = arg;
	struct conn_outbox_item *it = &b->items[b->next++];
	char text[1024];

	if (res->err == NDES_HTTP_OK && res->status == 200) {
		if (conn_outbox_remove(d->ob, &it->seq, 1) == 0)
			b->ok++;
		else
			up_outbox_failed(d, b, res, "item was delivered");
	} else if (res->err == NDES_HTTP_OK && up_permanent(res->status)) {
		up_record_failure(b, res);
		connd_result_text(res, text, sizeof(text));
		if (conn_outbox_reject(d->ob, it->seq, text) == 0)
			b->rejected++;
		else
			up_outbox_failed(d, b, res, "item was refused for good");
	} else {
		up_record_failure(b, res);
		connd_result_text(res, text, sizeof(text));
		conn_outbox_failed(d->ob, &it->seq, 1, text);
		b->failed = true;
	}
	if (b->failed || d->stopping || b->next == b->n)
		up_batch_end(d, b);
	else
		up_notification_next(d, b);
}

static void
up_notification_next(struct connd *d, struct up_batch *b)
{
	struct conn_outbox_item *it = &b->items[b->next];
	char path[128];

	snprintf(path, sizeof(path), "/ScepActions/%s", it->kind);
	if (connd_call_text(d, "POST", path, it->body, up_notification_done, b) == -1) {
		snprintf(b->error, sizeof(b->error), "the cloud cannot be called now");
		b->diag = NDES_DIAG_UNKNOWN_ERROR;
		b->failed = true;
		up_batch_end(d, b);
	}
}

static void
up_results_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	struct up_batch *b = arg;
	int64_t *seqs = calloc(b->n, sizeof(*seqs));
	char text[1024];

	for (size_t i = 0; seqs != NULL && i < b->n; i++)
		seqs[i] = b->items[i].seq;
	if (seqs == NULL)
		b->failed = true;
	else if (res->err == NDES_HTTP_OK && res->status == 200) {
		if (conn_outbox_remove(d->ob, seqs, b->n) == 0)
			b->ok = b->n;
		else
			up_outbox_failed(d, b, res, "results were delivered");
	} else if (res->err == NDES_HTTP_OK && up_permanent(res->status) && b->n > 1) {
		up_record_failure(b, res);
		d->solo = b->n;		/* find the refused one */
		b->rejected = b->n;
	} else {
		up_record_failure(b, res);
		connd_result_text(res, text, sizeof(text));
		if (res->err == NDES_HTTP_OK && up_permanent(res->status)) {
			if (conn_outbox_reject(d->ob, seqs[0], text) == 0)
				b->rejected = 1;
			else
				up_outbox_failed(d, b, res, "result was refused for good");
		} else {
			conn_outbox_failed(d->ob, seqs, b->n, text);
			b->failed = true;
		}
	}
	free(seqs);
	up_batch_end(d, b);
}

static int
up_results_send(struct connd *d, struct up_batch *b)
{
	json_t *results = json_array(), *item;

	for (size_t i = 0; i < b->n; i++)
		if ((item = json_loads(b->items[i].body, 0, NULL)) != NULL)
			json_array_append_new(results, item);
	return connd_call(d, "POST", up_kinds[b->kind].path,
	    json_pack("{s:o}", "results", results), up_results_done, b);
}

/* The next batch: notifications first, then PKCS, then revocation results. */
static struct up_batch *
up_batch_take(struct connd *d)
{
	struct up_batch *b = calloc(1, sizeof(*b));
	size_t limit = (size_t)d->cfg.outbox.batch_size;

	if (b == NULL)
		return NULL;
	for (int k = UP_NOTIFICATIONS; k <= UP_REVOCATIONS; k++) {
		b->kind = (enum up_kind)k;
		if (conn_outbox_fetch(d->ob, up_kinds[k].prefix, k != UP_NOTIFICATIONS &&
		    d->solo > 0 ? 1 : limit, &b->items, &b->n) == -1)
			break;
		if (b->n > 0)
			return b;
	}
	up_batch_free(b);
	return NULL;
}

static void
up_run(struct connd *d)
{
	struct up_batch *b;
	int r;

	if (d->uploading || d->stopping)
		return;
	if (connd_registration_check(d) == -1) {
		up_schedule(d, d->cfg.downloads.interval);
		return;
	}
	if ((b = up_batch_take(d)) == NULL)
		return;
	d->uploading = true;
	connd_status(d, "uploading %zu %s", b->n, up_kinds[b->kind].what);
	if (b->kind == UP_NOTIFICATIONS) {
		up_notification_next(d, b);
		return;
	}
	if ((r = up_results_send(d, b)) == -1) {
		d->uploading = false;
		up_batch_free(b);
		up_schedule(d, d->cfg.outbox.backoff_initial);
	}
}

static void
up_tick(evutil_socket_t fd, short what, void *arg)
{
	up_run(arg);
}

/* Full jitter on the upper half: delay/2 .. delay. */
static void
up_schedule(struct connd *d, int64_t delay_s)
{
	struct timeval tv = { 0, 0 };
	uint32_t rnd = 0;

	if (d->stopping || d->ev_upload == NULL)
		return;
	if (delay_s > 0) {
		RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		int64_t ms = delay_s * 500 + (int64_t)(rnd % (uint32_t)(delay_s * 500 + 1));

		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	}
	d->next_upload = time(NULL) + (time_t)tv.tv_sec;
	evtimer_del(d->ev_upload);
	evtimer_add(d->ev_upload, &tv);
}

void
connd_upload_kick(struct connd *d)
{
	/* during a backoff, new items wait for the timer already set */
	if (d->uploading || d->stopping || (d->backoff_s > 0 && time(NULL) < d->next_upload))
		return;
	if (d->ev_upload != NULL && !evtimer_pending(d->ev_upload, NULL))
		up_schedule(d, 0);
}

void
connd_upload_start(struct connd *d)
{
	if ((d->ev_upload = evtimer_new(d->base, up_tick, d)) == NULL)
		fatalx("cannot start the upload timer");
	up_schedule(d, 0);
}
