/* crp.sock: the policy module's socket (and the connector's RELOAD), and
 * the reply operations that answer over IPC.  Message layouts are in
 * docs/crpd.md. */
#include "crp_ipc.h"

#include <errno.h>
#include <stdlib.h>

#include "crp_errors.h"
#include "crpd.h"
#include "disposition.h"
#include "ipc_peer.h"
#include "jobs.h"
#include "log.h"

/* ---- Answers (reply.h) ---- */

struct ipc_reply {
	struct ndes_ipc_peer	*peer;		/* a reference is held */
	uint32_t		 request_id;
};

static void
ipc_reply_send(struct ipc_reply *ir, struct ndes_ipc_msg *msg)
{
	ndes_ipc_msg_set_request_id(msg, ir->request_id);
	if (ndes_ipc_peer_is_open(ir->peer) && ndes_ipc_peer_send(ir->peer, msg) == -1)
		log_debug("ipc: reply %s to peer %llu not sent",
		    ndes_ipc_type_name(ndes_ipc_msg_type(msg)),
		    (unsigned long long)ndes_ipc_peer_id(ir->peer));
	ndes_ipc_msg_free(msg);
}

static void
ipc_verified(void *state, const struct crp_verify_answer *a)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REPLY, 0);

	ndes_ipc_msg_add_bool(m, a->verified);
	ndes_ipc_msg_add_u32(m, (uint32_t)a->event_id);
	ndes_ipc_msg_add_u32(m, a->code);
	ndes_ipc_msg_add_str(m, a->reason);
	ndes_ipc_msg_add_str(m, a->challenge_id != NULL ? a->challenge_id : "");
	ndes_ipc_msg_add_str(m, a->device_id != NULL ? a->device_id : "");
	ndes_ipc_msg_add_str(m, a->user_id != NULL ? a->user_id : "");
	ndes_ipc_msg_add_str(m, a->transaction_id != NULL ? a->transaction_id : "");
	ipc_reply_send(state, m);
}

static void
ipc_notified(void *state, const struct crp_notify_answer *a)
{
	struct ipc_reply *ir = state;
	struct ndes_ipc_msg *m;

	if (a->bad_request) {
		ndes_ipc_peer_send_error(ir->peer, ir->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    a->message);
		return;
	}
	m = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY_REPLY, 0);
	ndes_ipc_msg_add_bool(m, a->accepted);
	ndes_ipc_msg_add_u32(m, a->code);
	ndes_ipc_msg_add_str(m, a->message);
	ipc_reply_send(ir, m);
}

static void
ipc_reloaded(void *state, const struct crp_reload_answer *a)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD_REPLY, 0);

	ndes_ipc_msg_add_u32(m, a->status);
	ndes_ipc_msg_add_str(m, a->message);
	ipc_reply_send(state, m);
}

static void
ipc_release(void *state)
{
	struct ipc_reply *ir = state;

	ndes_ipc_peer_unref(ir->peer);
	free(ir);
}

static const struct crp_reply_ops ipc_reply_ops = {
	.name = "ipc",
	.verified = ipc_verified,
	.notified = ipc_notified,
	.reloaded = ipc_reloaded,
	.release = ipc_release,
};

/* The answer to this request goes back to peer (a reference is taken). */
static struct crp_reply
ipc_reply(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr)
{
	struct ipc_reply *ir = malloc(sizeof(*ir));

	if (ir == NULL)
		fatal("ipc reply");
	ir->peer = ndes_ipc_peer_ref(peer);
	ir->request_id = hdr->request_id;
	return (struct crp_reply){ &ipc_reply_ops, ir };
}

/* ---- Requests ---- */

static int
ipc_busy(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr)
{
	ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNAVAILABLE,
	    "ndes-crpd is busy or shutting down; try again");
	return 0;
}

/* signing_cert_der is read past, not used: the challenge alone decides
 * (docs/crpd.md, "The policy module's signing certificate"). */
static int
ipc_verify(struct crpd *d, struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r)
{
	const uint8_t *csr = NULL, *signing_cert = NULL;
	size_t csr_len = 0, signing_cert_len = 0;
	const char *template_name = NULL, *txn = NULL;
	struct crp_reply reply;

	ndes_ipc_get_bytes(r, &csr, &csr_len);
	ndes_ipc_get_bytes(r, &signing_cert, &signing_cert_len);
	ndes_ipc_get_str(r, &template_name, NULL);
	ndes_ipc_get_str(r, &txn, NULL);
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	if (!crp_admit(d))
		return ipc_busy(peer, hdr);
	reply = ipc_reply(peer, hdr);
	crp_verify_submit(d, &reply, csr, csr_len, template_name, txn);
	return 0;
}

static int
ipc_notify(struct crpd *d, struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r)
{
	struct crp_reply reply;
	struct crp_notify_in in = { 0 };

	ndes_ipc_get_str(r, &in.challenge, NULL);
	ndes_ipc_get_str(r, &in.transaction_id, NULL);
	ndes_ipc_get_i64(r, &in.disposition);
	ndes_ipc_get_u32(r, &in.last_hresult);
	ndes_ipc_get_bytes(r, &in.cert_der, &in.cert_len);
	ndes_ipc_get_str(r, &in.description, NULL);
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	if (!ndes_disposition_valid(in.disposition)) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    "disposition must be -1, 0, 2, 3 or 11");
		return 0;
	}
	if (!crp_admit(d))
		return ipc_busy(peer, hdr);
	reply = ipc_reply(peer, hdr);
	crp_notify_submit(d, &reply, &in);
	return 0;
}

int
crp_ipc_answer_shared(struct crpd *d, struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r)
{
	struct crp_reply reply;
	struct ndes_ipc_msg *msg;

	if (hdr->type == NDES_IPC_MSG_STATUS) {
		msg = crp_errors_status_reply(hdr->request_id);
		if (msg == NULL || ndes_ipc_peer_send(peer, msg) == -1)
			log_warnx("ipc: cannot answer STATUS");
		ndes_ipc_msg_free(msg);
		return 0;
	}
	if (hdr->type != NDES_IPC_MSG_RELOAD) {
		ndes_ipc_peer_answer_default(peer, hdr);
		return 0;
	}
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	reply = ipc_reply(peer, hdr);
	crp_reload_submit(d, &reply);
	return 0;
}

static int
ipc_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct crpd *d = arg;

	switch (hdr->type) {
	case NDES_IPC_MSG_VERIFY_REQUEST:
		return ipc_verify(d, peer, hdr, r);
	case NDES_IPC_MSG_NOTIFY:
		return ipc_notify(d, peer, hdr, r);
	}
	return crp_ipc_answer_shared(d, peer, hdr, r);
}

int
crp_ipc_start(struct crpd *d)
{
	d->ipc = ndes_ipc_server_from_cfg(d->base, &d->cfg.ipc, ipc_dispatch, d);
	if (d->ipc == NULL || ndes_ipc_server_set_config_name(d->ipc, d->config_path) == -1)
		return -1;
	return 0;
}

void
crp_ipc_stop(struct crpd *d)
{
	ndes_ipc_server_free(d->ipc);
	d->ipc = NULL;
}
