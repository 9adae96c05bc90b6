/* The link to the connector (connector.sock) and the outbox sender.
 *
 * crpd connects to the connector; while connected it sends the outbox
 * oldest first as CONNECTOR_NOTIFICATION, at most max_in_flight without an
 * acknowledgement, and deletes each item when its CONNECTOR_ACK arrives
 * (event 20600).  When the connector cannot be reached, each notification
 * waiting in the outbox is reported once with 20602 + 0x00001101 and sent
 * again after the connector comes back (connection retried every
 * retry_interval).  All database work goes through the group commit
 * (work.h).  RELOAD, PING and the rest are answered as on crp.sock
 * (crp_ipc_answer_shared, with the IPC reply operations). */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "crp_errors.h"
#include "crp_ipc.h"
#include "crpd.h"
#include "events.h"
#include "ipc_peer.h"
#include "log.h"
#include "outbox.h"
#include "work.h"

#define LINK_REPORT_BATCH 256

struct crp_link {
	struct ndes_ipc_peer	*peer;		/* NULL while down */
	uint64_t		 generation;	/* counts connections */
	int64_t			 cursor;	/* last seq sent on this connection */
	size_t			 in_flight;
	bool			 fetching;
	bool			 dirty;		/* more may wait: fetch again */
	bool			 reporting;
	bool			 down_logged;
	uint32_t		 next_id;
	char			 down_reason[128];
	struct event		*timer;
};

enum link_job_kind { LINK_FETCH, LINK_ACK, LINK_REPORT };

struct link_job {
	struct crp_job		 job;
	enum link_job_kind	 kind;
	uint64_t		 generation;
	int64_t			 after_seq;
	size_t			 limit;
	char			*notification_id;	/* ACK */
	char			 reason[128];		/* REPORT */
	struct crp_outbox_item	*items;
	size_t			 n;
	int			 found;			/* ACK: 1 deleted */
};

static void link_pump(struct crpd *d);
static void link_kick(struct crpd *d);

static int
link_job_db(struct crp_job *job, struct crpd *d)
{
	struct link_job *lj = (struct link_job *)job;
	struct crp_outbox_item *one;

	switch (lj->kind) {
	case LINK_FETCH:
		return crp_outbox_fetch(d->db, lj->after_seq, lj->limit, &lj->items, &lj->n);
	case LINK_ACK:
		if ((one = calloc(1, sizeof(*one))) == NULL)
			return -1;
		lj->items = one;
		lj->found = crp_outbox_take(d->db, lj->notification_id, one);
		lj->n = lj->found == 1 ? 1 : 0;
		return lj->found == -1 ? -1 : 0;
	case LINK_REPORT:
		return crp_outbox_take_unreported(d->db, LINK_REPORT_BATCH, &lj->items, &lj->n);
	}
	return -1;
}

static void
link_item_ctx(const struct crp_outbox_item *it, struct ndes_event_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->transaction_id = it->transaction_id;
	ctx->challenge_id = it->challenge_id;
	ctx->device_id = it->device_id;
	ctx->user_id = it->user_id;
	ctx->thumbprint = it->thumbprint;
	ctx->serial_number = it->serial_number;
}

/* 20600 only for an issued certificate; a failure notification is 20610,
 * its HRESULT and description (from the body) in the message. */
static void
link_ack_event(const struct crp_outbox_item *it, struct ndes_event_ctx *ctx)
{
	const char *why;
	json_t *body;
	char detail[512];

	if (strcmp(it->kind, "successNotification") == 0) {
		ndes_event_emit(NDES_EV_CRP_NOTIFY_SUCCESS, NDES_DIAG_SUCCESS, ctx);
		return;
	}
	body = json_loads(it->body, 0, NULL);
	why = json_string_value(json_object_get(body, "errorDescription"));
	snprintf(detail, sizeof(detail), "%s: the SCEP server did not issue (hResult 0x%08X: %s)",
	    ctx->detail, (uint32_t)json_integer_value(json_object_get(body, "hResult")),
	    why != NULL ? why : "no description");
	ctx->detail = detail;
	ndes_event_emit(NDES_EV_CRP_NOTIFY_NOT_ISSUED, NDES_DIAG_SCEP_ISSUANCE_FAILED, ctx);
	json_decref(body);
}

static void
link_job_after_db(struct crp_job *job, struct crpd *d, bool committed)
{
	struct link_job *lj = (struct link_job *)job;
	struct ndes_event_ctx ctx;
	char detail[256];

	if (!job->db_ok)
		return;
	for (size_t i = 0; i < lj->n; i++) {
		link_item_ctx(&lj->items[i], &ctx);
		if (lj->kind == LINK_ACK) {
			snprintf(detail, sizeof(detail), "%s %s handed to the connector",
			    lj->items[i].kind, lj->items[i].notification_id);
			ctx.detail = detail;
			link_ack_event(&lj->items[i], &ctx);
		} else if (lj->kind == LINK_REPORT) {
			snprintf(detail, sizeof(detail), "%s %s not handed over yet (%s); it is "
			    "kept and sent again", lj->items[i].kind, lj->items[i].notification_id,
			    lj->reason);
			ctx.detail = detail;
			ndes_event_emit(NDES_EV_CRP_NOTIFY_FAILURE,
			    NDES_DIAG_CONNECTOR_UNAVAILABLE, &ctx);
		}
	}
}

static void
link_send_items(struct crpd *d, struct link_job *lj)
{
	struct crp_link *l = d->link;

	for (size_t i = 0; i < lj->n; i++) {
		struct crp_outbox_item *it = &lj->items[i];
		struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_NOTIFICATION,
		    ++l->next_id);

		ndes_ipc_msg_add_str(m, it->notification_id);
		ndes_ipc_msg_add_str(m, it->kind);
		ndes_ipc_msg_add_str(m, it->body);
		if (ndes_ipc_peer_send(l->peer, m) == -1) {
			const char *why = strerror(errno);

			log_warnx("connector: cannot send notification %s: %s",
			    it->notification_id, why);
			crp_error_note(CRP_ACTIVITY_LINK, "cannot send to the connector: %s", why);
		} else
			l->in_flight++;
		ndes_ipc_msg_free(m);
		l->cursor = it->seq;
		if (l->peer == NULL)
			break;
	}
}

static void
link_job_done(struct crp_job *job, struct crpd *d)
{
	struct link_job *lj = (struct link_job *)job;
	struct crp_link *l = d->link;

	if (lj->kind == LINK_FETCH) {
		l->fetching = false;
		if (!job->db_ok)
			l->dirty = true;
		else if (l->peer != NULL && lj->generation == l->generation) {
			link_send_items(d, lj);
			if (lj->n == lj->limit)
				l->dirty = true;
			if (lj->n == 0 && l->in_flight == 0)	/* up, nothing left to send */
				crp_error_clear(CRP_ACTIVITY_LINK);
		}
	} else if (lj->kind == LINK_ACK && lj->found == 1)
		crp_error_clear(CRP_ACTIVITY_LINK);	/* an item delivered */
	else if (lj->kind == LINK_REPORT)
		l->reporting = false;
	if (!d->stopping && l->dirty)
		link_pump(d);
	crp_outbox_items_free(lj->items, lj->n);
	free(lj->notification_id);
	free(lj);
}

static const struct crp_job_ops link_job_ops = {
	.name = "outbox",
	.db = link_job_db,
	.after_db = link_job_after_db,
	.done = link_job_done,
};

static struct link_job *
link_job_new(struct crpd *d, enum link_job_kind kind)
{
	struct link_job *lj = calloc(1, sizeof(*lj));

	if (lj == NULL)
		fatal("outbox job");
	crp_job_init(&lj->job, &link_job_ops, true);
	lj->kind = kind;
	lj->generation = d->link->generation;
	return lj;
}

static void
link_submit(struct crpd *d, struct link_job *lj)
{
	if (crp_work_submit(d->work, &lj->job) == -1) {
		free(lj->notification_id);
		free(lj);
	}
}

/* Fetch more to send when there is room. */
static void
link_pump(struct crpd *d)
{
	struct crp_link *l = d->link;
	struct link_job *lj;
	size_t max = (size_t)d->cfg.connector.max_in_flight;

	if (l->peer == NULL || l->fetching || l->in_flight >= max)
		return;
	lj = link_job_new(d, LINK_FETCH);
	lj->after_seq = l->cursor;
	lj->limit = max - l->in_flight;
	l->fetching = true;
	l->dirty = false;
	link_submit(d, lj);
}

/* Report (once each) what waits while the connector is unreachable. */
static void
link_report(struct crpd *d)
{
	struct crp_link *l = d->link;
	struct link_job *lj;

	if (l->reporting)
		return;
	lj = link_job_new(d, LINK_REPORT);
	snprintf(lj->reason, sizeof(lj->reason), "%s", l->down_reason);
	l->reporting = true;
	link_submit(d, lj);
}

static int
link_on_ack(struct crpd *d, struct ndes_ipc_reader *r)
{
	struct crp_link *l = d->link;
	struct link_job *lj;
	const char *id = NULL;

	ndes_ipc_get_str(r, &id, NULL);
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	if (l->in_flight > 0)
		l->in_flight--;
	lj = link_job_new(d, LINK_ACK);
	if ((lj->notification_id = strdup(id)) == NULL)
		fatal("outbox ack");
	link_submit(d, lj);
	return 0;
}

static int
link_on_error(struct crpd *d, struct ndes_ipc_peer *peer, struct ndes_ipc_reader *r)
{
	struct crp_link *l = d->link;
	const char *msg;
	uint32_t code;

	if (ndes_ipc_get_error(r, &code, &msg) == -1)
		return -1;
	log_warnx("connector: refused a notification: error %u: %s", code, msg);
	snprintf(l->down_reason, sizeof(l->down_reason), "the connector refused it: %s", msg);
	crp_error_note(CRP_ACTIVITY_LINK, "%s", l->down_reason);
	link_report(d);
	/* Start over on a new connection after retry_interval. */
	ndes_ipc_peer_close(peer);
	return 0;
}

static int
link_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct crpd *d = arg;

	switch (hdr->type) {
	case NDES_IPC_MSG_CONNECTOR_ACK:
		return link_on_ack(d, r);
	case NDES_IPC_MSG_HELLO_REPLY:
		return 0;
	case NDES_IPC_MSG_ERROR:	/* request id 0: HELLO, refused by an older connector */
		return hdr->request_id == 0 ? 0 : link_on_error(d, peer, r);
	}
	return crp_ipc_answer_shared(d, peer, hdr, r);
}

static void
link_on_close(struct ndes_ipc_peer *peer, void *arg)
{
	struct crpd *d = arg;
	struct crp_link *l = d->link;

	if (l == NULL || l->peer != peer)
		return;
	l->peer = NULL;
	l->generation++;
	l->in_flight = 0;
	l->cursor = 0;
	if (l->down_reason[0] == '\0')
		snprintf(l->down_reason, sizeof(l->down_reason),
		    "the connection to the connector was lost");
	if (!d->stopping) {
		log_warnx("connector: %s; retrying every %llds", l->down_reason,
		    (long long)d->cfg.connector.retry_interval);
		crp_error_note(CRP_ACTIVITY_LINK, "%s", l->down_reason);
	}
	l->down_logged = true;
}

static void
link_connect(struct crpd *d)
{
	struct crp_link *l = d->link;
	const char *path = d->cfg.connector.socket;
	struct ndes_ipc_peer *peer;

	if (l->peer != NULL || d->stopping)
		return;
	if ((peer = ndes_ipc_peer_connect(d->base, path, link_dispatch, d)) == NULL) {
		snprintf(l->down_reason, sizeof(l->down_reason), "%s: %s", path,
		    strerror(errno));
		crp_error_note(CRP_ACTIVITY_LINK, "cannot connect to %s", l->down_reason);
		if (!l->down_logged)
			log_warnx("connector: cannot connect to %s: %s; notifications wait in "
			    "the outbox, retrying every %llds", path, strerror(errno),
			    (long long)d->cfg.connector.retry_interval);
		l->down_logged = true;
		link_report(d);
		return;
	}
	l->down_logged = false;
	ndes_ipc_peer_set_close_cb(peer, link_on_close);
	l->peer = peer;
	l->generation++;
	l->cursor = 0;
	l->in_flight = 0;
	l->down_reason[0] = '\0';
	l->dirty = true;
	ndes_ipc_peer_send_hello(peer, NDES_IPC_MSG_HELLO, 0, NDES_IPC_ROLE_CRPD);
	log_info("connector: connected to %s", path);
	link_pump(d);
}

static void
link_tick(evutil_socket_t fd, short what, void *arg)
{
	struct crpd *d = arg;

	d->link->dirty = true;
	if (d->link->peer == NULL)
		link_connect(d);
	else
		link_pump(d);
}

int
crp_link_start(struct crpd *d)
{
	struct timeval tv = { (time_t)d->cfg.connector.retry_interval, 0 };
	struct crp_link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return -1;
	d->link = l;
	d->outbox_queued = link_kick;
	l->timer = event_new(d->base, -1, EV_PERSIST, link_tick, d);
	if (l->timer == NULL || event_add(l->timer, &tv) == -1)
		return -1;
	link_connect(d);
	return 0;
}

void
crp_link_stop(struct crpd *d)
{
	struct crp_link *l = d->link;

	if (l == NULL)
		return;
	if (l->timer != NULL)
		event_free(l->timer);
	if (l->peer != NULL)
		ndes_ipc_peer_close(l->peer);
	d->link = NULL;
	d->outbox_queued = NULL;
	free(l);
}

/* A notification was queued: send it now if possible. */
static void
link_kick(struct crpd *d)
{
	if (d->link == NULL)
		return;
	d->link->dirty = true;
	if (d->link->peer == NULL)
		link_connect(d);
	else
		link_pump(d);
}
