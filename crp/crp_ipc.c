/* crp.sock: the policy module's socket (and the connector's RELOAD).
 * Message layouts are in docs/crpd.md. */
#include "crpd.h"

#include <errno.h>
#include <stdlib.h>

#include "disposition.h"
#include "ipc_peer.h"
#include "log.h"

static int
ipc_busy(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr)
{
	ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNAVAILABLE,
	    "ndes-crpd is busy or shutting down; try again");
	return 0;
}

static int
ipc_verify(struct crpd *d, struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r)
{
	const uint8_t *csr, *signer;
	size_t csr_len, signer_len;
	const char *template_name, *txn;
	struct crp_reply_to to = { CRP_REPLY_IPC, NULL, hdr->request_id, NULL };

	if (ndes_ipc_get_bytes(r, &csr, &csr_len) == -1 ||
	    ndes_ipc_get_bytes(r, &signer, &signer_len) == -1 ||
	    ndes_ipc_get_str(r, &template_name, NULL) == -1 ||
	    ndes_ipc_get_str(r, &txn, NULL) == -1 || ndes_ipc_reader_end(r) == -1)
		return -1;
	if (!crp_admit(d))
		return ipc_busy(peer, hdr);
	to.peer = ndes_ipc_peer_ref(peer);
	crp_verify_submit(d, &to, csr, csr_len, template_name, txn);
	return 0;
}

static int
ipc_notify(struct crpd *d, struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r)
{
	struct crp_notify_in in;
	struct crp_reply_to to = { CRP_REPLY_IPC, NULL, hdr->request_id, NULL };

	if (ndes_ipc_get_str(r, &in.challenge, NULL) == -1 ||
	    ndes_ipc_get_str(r, &in.transaction_id, NULL) == -1 ||
	    ndes_ipc_get_i64(r, &in.disposition) == -1 ||
	    ndes_ipc_get_u32(r, &in.last_hresult) == -1 ||
	    ndes_ipc_get_bytes(r, &in.cert_der, &in.cert_len) == -1 ||
	    ndes_ipc_get_str(r, &in.description, NULL) == -1 || ndes_ipc_reader_end(r) == -1)
		return -1;
	if (!ndes_disposition_valid(in.disposition)) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    "disposition must be -1, 0, 2, 3 or 11");
		return 0;
	}
	if (!crp_admit(d))
		return ipc_busy(peer, hdr);
	to.peer = ndes_ipc_peer_ref(peer);
	crp_notify_submit(d, &to, &in);
	return 0;
}

int
crp_ipc_answer_shared(struct crpd *d, struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r)
{
	struct crp_reply_to to = { CRP_REPLY_IPC, NULL, hdr->request_id, NULL };

	if (hdr->type != NDES_IPC_MSG_RELOAD) {
		ndes_ipc_peer_answer_default(peer, hdr);
		return 0;
	}
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	to.peer = ndes_ipc_peer_ref(peer);
	crp_reload_submit(d, &to);
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
	return d->ipc != NULL ? 0 : -1;
}

void
crp_ipc_stop(struct crpd *d)
{
	ndes_ipc_server_free(d->ipc);
	d->ipc = NULL;
}
