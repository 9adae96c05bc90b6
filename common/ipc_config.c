/* The `ipc:` configuration section shared by the daemons.  See ipc_config.h. */
#include "ipc_config.h"

/* The section's allowed ids as an ACL (borrowing its arrays). */
static struct ndes_ipc_acl
acl_of(const struct ndes_ipc_listen_cfg *cfg)
{
	return (struct ndes_ipc_acl){
		.uids = cfg->allowed_uids,
		.n_uids = cfg->n_allowed_uids,
		.gids = cfg->allowed_gids,
		.n_gids = cfg->n_allowed_gids,
	};
}

struct ndes_ipc_server *
ndes_ipc_server_from_cfg(struct event_base *base, const struct ndes_ipc_listen_cfg *cfg,
    ndes_ipc_dispatch_fn dispatch, void *arg)
{
	struct ndes_ipc_acl acl = acl_of(cfg);
	struct ndes_ipc_server *srv;

	srv = ndes_ipc_server_new(base, cfg->socket, cfg->mode, &acl, dispatch, arg);
	if (srv != NULL)
		ndes_ipc_server_set_limits(srv, (size_t)cfg->max_connections,
		    (size_t)cfg->max_connections_per_uid);
	return srv;
}

int
ndes_ipc_server_set_acl_from_cfg(struct ndes_ipc_server *srv,
    const struct ndes_ipc_listen_cfg *cfg)
{
	struct ndes_ipc_acl acl = acl_of(cfg);

	return ndes_ipc_server_set_acl(srv, &acl);
}
