/* Answers to requests, and admission of new ones. */
#include "crpd.h"

#include <time.h>

#include <event2/event.h>

#include "ipc_peer.h"
#include "log.h"

void
crp_reply_ipc(struct crp_reply_to *to, struct ndes_ipc_msg *msg)
{
	if (to->kind == CRP_REPLY_IPC && to->peer != NULL) {
		ndes_ipc_msg_set_request_id(msg, to->request_id);
		if (ndes_ipc_peer_is_open(to->peer) && ndes_ipc_peer_send(to->peer, msg) == -1)
			log_debug("ipc: reply %s to peer %llu not sent",
			    ndes_ipc_type_name(ndes_ipc_msg_type(msg)),
			    (unsigned long long)ndes_ipc_peer_id(to->peer));
	}
	ndes_ipc_msg_free(msg);
	crp_reply_release(to);
}

void
crp_reply_release(struct crp_reply_to *to)
{
	if (to->kind == CRP_REPLY_IPC && to->peer != NULL)
		ndes_ipc_peer_unref(to->peer);
	to->peer = NULL;
	to->http = NULL;
	to->kind = CRP_REPLY_NONE;
}

bool
crp_admit(struct crpd *d)
{
	if (d->stopping || d->inflight >= (size_t)d->cfg.max_queue)
		return false;
	d->inflight++;
	return true;
}

void
crp_release(struct crpd *d)
{
	struct timeval soon = { 0, 100000 };

	if (d->inflight > 0)
		d->inflight--;
	if (d->stopping && d->inflight == 0 && d->base != NULL)
		event_base_loopexit(d->base, &soon);
}

int64_t
crp_now(void)
{
	return (int64_t)time(NULL);
}
