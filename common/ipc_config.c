/* The `ipc:` configuration section shared by the daemons.  See ipc_config.h. */
#include "ipc_config.h"

struct ndes_ipc_server *
ndes_ipc_server_from_cfg(struct event_base *base, const struct ndes_ipc_listen_cfg *cfg,
    ndes_ipc_dispatch_fn dispatch, void *arg)
{
	struct ndes_ipc_acl acl = {
		.uids = cfg->allowed_uids,
		.n_uids = cfg->n_allowed_uids,
		.gids = cfg->allowed_gids,
		.n_gids = cfg->n_allowed_gids,
	};

	return ndes_ipc_server_new(base, cfg->socket, cfg->mode, &acl, dispatch, arg);
}
