/* Telling ndes-crpd to reload (d_crpd.h). */
#include "d_crpd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "d_ipc.h"
#include "ipc_peer.h"
#include "d_note.h"
#include "log.h"

void
connd_crpd_reloaded(const struct connd_env *env, uint32_t status, const char *msg)
{
	if (status == 0) {
		log_info("ndes-crpd reloaded: %s", msg);
		connd_note_success(env->notes, CONND_CRPD, true, NULL);
	} else
		connd_note_error(env->notes, CONND_CRPD, "ndes-crpd did not reload: %s", msg);
}

static int
crpd_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	const struct connd_env *env = arg;
	const char *msg = "";
	uint32_t st = 1, code;

	if (hdr->type == NDES_IPC_MSG_RELOAD_REPLY) {
		if (ndes_ipc_get_status_message(r, &st, &msg) == -1)
			return -1;
		connd_crpd_reloaded(env, st, msg);
	} else if (hdr->type == NDES_IPC_MSG_ERROR && ndes_ipc_get_error(r, &code, &msg) == 0)
		connd_note_error(env->notes, CONND_CRPD, "ndes-crpd refused RELOAD: %s", msg);
	ndes_ipc_peer_close(peer);
	return 0;
}

int
connd_crpd_send_reload(struct ndes_ipc_peer *peer)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, 1);
	int r = ndes_ipc_peer_send(peer, m);

	ndes_ipc_msg_free(m);
	return r;
}

void
connd_crpd_reload(const struct connd_env *env, struct connd_ipc *ipc, const char *why)
{
	const char *path = env->cfg->crp_socket;
	struct ndes_ipc_peer *peer, *fallback;
	char reason[256];

	peer = ndes_ipc_peer_connect(env->base, path, crpd_dispatch, (void *)env);
	if (peer != NULL && connd_crpd_send_reload(peer) == 0) {
		log_info("asked ndes-crpd to reload (%s)", why);
		return;
	}
	snprintf(reason, sizeof(reason), "%s: %s", path, strerror(errno));
	if (peer != NULL)
		ndes_ipc_peer_close(peer);
	if ((fallback = connd_ipc_crpd(ipc)) != NULL && connd_crpd_send_reload(fallback) == 0) {
		log_info("asked ndes-crpd to reload over its connection (%s; %s)", why, reason);
		return;
	}
	connd_note_error(env->notes, CONND_CRPD, "cannot ask ndes-crpd to reload (%s): it loads "
	    "the new certificates at its next start or SIGHUP", reason);
}
