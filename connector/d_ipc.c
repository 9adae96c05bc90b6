/* connector.sock: crpd hands over notifications.
 *
 *   CONNECTOR_NOTIFICATION  str notification_id, str kind
 *                           ("successNotification" | "failureNotification"),
 *                           str body (the JSON for the cloud, a JSON object)
 *   -> CONNECTOR_ACK        str notification_id, once stored durably (a repeat
 *                           of a stored id is acknowledged again, not stored twice)
 *   -> ERROR                UNAVAILABLE when the outbox is full (event 20302 with
 *                           0x00001201), BAD_REQUEST for a kind or body refused,
 *                           INTERNAL when the outbox cannot be written (event
 *                           20302 with 0x00001205 once until a write works)
 *   PING -> PONG
 * A malformed message drops the peer.  A peer is logged at its first
 * message: a notification makes it ndes-crpd (info, and the connection a
 * RELOAD falls back to); PING-only peers such as `ndes-connector diagnose`
 * are logged at debug level. */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "ipc_peer.h"
#include "log.h"

/* 20302 with code, once until *reported is cleared. */
static void
ipc_report_once(struct connd *d, bool *reported, uint32_t code, json_t *body,
    const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail, .transaction_id =
	    json_string_value(json_object_get(body, "transactionId")) };

	if (*reported)
		return;
	*reported = true;
	ndes_event_emit(NDES_EV_UPLOAD_FAILURE, code, &ctx);
	connd_note_error(d, "%s", detail);
}

static void
ipc_report_full(struct connd *d, const char *id, json_t *body)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "the outbox is full (%lld items, outbox.max_items): "
	    "notification %s refused until uploads make room", (long long)conn_outbox_count(d->ob),
	    id);
	ipc_report_once(d, &d->full_reported, NDES_DIAG_OUTBOX_FULL, body, detail);
}

static void
ipc_report_write_failed(struct connd *d, const char *id, json_t *body)
{
	char detail[768];

	snprintf(detail, sizeof(detail), "the outbox cannot be written (%s): notification %s "
	    "refused, ndes-crpd keeps it and tries again", conn_outbox_errmsg(d->ob), id);
	ipc_report_once(d, &d->write_failed_reported, NDES_DIAG_OUTBOX_WRITE_FAILED, body,
	    detail);
}

static int
ipc_send_ack(struct ndes_ipc_peer *peer, uint32_t request_id, const char *id)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_ACK, request_id);

	ndes_ipc_msg_add_str(m, id);
	ndes_ipc_peer_send(peer, m);
	ndes_ipc_msg_free(m);
	return 0;
}

static int
ipc_on_notification(struct connd *d, struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r)
{
	const char *id, *kind, *body;
	char key[300];
	json_t *obj;
	enum conn_outbox_add res;

	if (ndes_ipc_get_str(r, &id, NULL) == -1 || ndes_ipc_get_str(r, &kind, NULL) == -1 ||
	    ndes_ipc_get_str(r, &body, NULL) == -1 || ndes_ipc_reader_end(r) == -1)
		return -1;
	if (strcmp(kind, "successNotification") != 0 &&
	    strcmp(kind, "failureNotification") != 0) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    "kind must be successNotification or failureNotification");
		return 0;
	}
	if (id[0] == '\0' || strlen(id) > 256 ||
	    (obj = json_loads(body, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(obj)) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    id[0] == '\0' || strlen(id) > 256 ? "notification_id must be 1 to 256 bytes" :
		    "the body is not a JSON object");
		return 0;
	}
	snprintf(key, sizeof(key), "n:%s", id);
	res = conn_outbox_add(d->ob, kind, key, body);
	if (res == CONN_OUTBOX_ADDED || res == CONN_OUTBOX_DUPLICATE) {
		if (res == CONN_OUTBOX_ADDED && d->write_failed_reported) {
			d->write_failed_reported = false;
			log_info("the outbox can be written again");
		}
		log_debug("notification %s (%s) %s", id, kind, res == CONN_OUTBOX_ADDED ?
		    "stored" : "already stored");
		ipc_send_ack(peer, hdr->request_id, id);
		connd_upload_kick(d);
	} else if (res == CONN_OUTBOX_FULL) {
		ipc_report_full(d, id, obj);
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNAVAILABLE,
		    "the connector's outbox is full: try again later");
	} else {
		ipc_report_write_failed(d, id, obj);
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_INTERNAL,
		    "the connector cannot write its outbox");
	}
	json_decref(obj);
	return 0;
}

/* Peer data: what its first message said it is. */
static char ipc_seen_crpd, ipc_seen_other;

static void
ipc_first_message(struct connd *d, struct ndes_ipc_peer *peer, uint16_t type)
{
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);

	if (ndes_ipc_peer_data(peer) != NULL)
		return;
	if (type == NDES_IPC_MSG_CONNECTOR_NOTIFICATION) {
		ndes_ipc_peer_set_data(peer, &ipc_seen_crpd);
		d->crpd_peer = peer;
		log_info("peer connected on connector.sock (pid %ld, uid %lu): ndes-crpd, it "
		    "hands over notifications", (long)cred->pid, (unsigned long)cred->uid);
		return;
	}
	ndes_ipc_peer_set_data(peer, &ipc_seen_other);
	if (type == NDES_IPC_MSG_PING)
		log_debug("peer connected on connector.sock (pid %ld, uid %lu): PING only so far "
		    "(a check such as ndes-connector diagnose)", (long)cred->pid,
		    (unsigned long)cred->uid);
	else
		log_info("peer connected on connector.sock (pid %ld, uid %lu): first message %s",
		    (long)cred->pid, (unsigned long)cred->uid, ndes_ipc_type_name(type));
}

static int
ipc_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct connd *d = arg;
	const char *msg;
	uint32_t code;

	ipc_first_message(d, peer, hdr->type);
	switch (hdr->type) {
	case NDES_IPC_MSG_CONNECTOR_NOTIFICATION:
		return ipc_on_notification(d, peer, hdr, r);
	case NDES_IPC_MSG_RELOAD_REPLY:
		if (ndes_ipc_get_u32(r, &code) == -1 || ndes_ipc_get_str(r, &msg, NULL) == -1)
			return -1;
		log_info("ndes-crpd %s: %s", code == 0 ? "reloaded" : "did not reload", msg);
		return 0;
	case NDES_IPC_MSG_ERROR:
		if (ndes_ipc_get_error(r, &code, &msg) == -1)
			return -1;
		log_warnx("ndes-crpd answered error %u: %s", code, msg);
		return 0;
	}
	ndes_ipc_peer_answer_default(peer, hdr);
	return 0;
}

static int
ipc_accept(struct ndes_ipc_peer *peer, void *arg)
{
	struct connd *d = arg;
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);

	/* until a peer sends a notification, the newest one is the RELOAD fallback */
	if (d->crpd_peer == NULL || ndes_ipc_peer_data(d->crpd_peer) != &ipc_seen_crpd)
		d->crpd_peer = peer;
	log_debug("peer connected on connector.sock (pid %ld, uid %lu)", (long)cred->pid,
	    (unsigned long)cred->uid);
	return 0;
}

static void
ipc_close(struct ndes_ipc_peer *peer, void *arg)
{
	struct connd *d = arg;
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);

	if (d->crpd_peer == peer)
		d->crpd_peer = NULL;
	if (ndes_ipc_peer_data(peer) == &ipc_seen_crpd)
		log_info("ndes-crpd (pid %ld) disconnected from connector.sock", (long)cred->pid);
	else
		log_debug("peer (pid %ld, uid %lu) disconnected from connector.sock",
		    (long)cred->pid, (unsigned long)cred->uid);
}

int
connd_ipc_start(struct connd *d)
{
	d->ipc = ndes_ipc_server_from_cfg(d->base, &d->cfg.ipc, ipc_dispatch, d);
	if (d->ipc == NULL)
		return -1;
	ndes_ipc_server_set_callbacks(d->ipc, ipc_accept, ipc_close);
	return 0;
}

void
connd_ipc_stop(struct connd *d)
{
	if (d->ipc == NULL)
		return;
	ndes_ipc_server_free(d->ipc);
	d->ipc = NULL;
	d->crpd_peer = NULL;
}
