/* The `ipc:` section of a daemon that listens on a Unix socket
 * (docs/crpd.md, docs/connector.md):
 *
 *	ipc:
 *	  socket: /run/ndes/crp.sock	# default: the daemon's own
 *	  mode: 0660
 *	  allowed_uids: [_scep]		# user names or numbers
 *	  allowed_gids: [ndes]		# group names or numbers
 *	  max_connections: 1024		# peers at once, in all
 *	  max_connections_per_uid: 256	# peers at once from one uid
 *
 * A daemon declares a `struct ndes_ipc_listen_cfg ipc;` member and its schema
 *	static const struct ndes_config_field ipc_fields[] = {
 *		NDES_IPC_LISTEN_CFG_FIELDS("/run/ndes/crp.sock"),
 *	};
 *	static const struct ndes_config_schema ipc_schema =
 *	    NDES_CFG_SCHEMA(struct ndes_ipc_listen_cfg, ipc_fields);
 * then listens with ndes_ipc_server_from_cfg(). */
#ifndef NDES_IPC_CONFIG_H
#define NDES_IPC_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "config_loader.h"
#include "ipc_peer.h"

struct ndes_ipc_listen_cfg {
	char	*socket;
	mode_t	 mode;
	uid_t	*allowed_uids;
	size_t	 n_allowed_uids;
	gid_t	*allowed_gids;
	size_t	 n_allowed_gids;
	int64_t	 max_connections;
	int64_t	 max_connections_per_uid;
};

/* The section's fields; the socket defaults to default_socket (a literal). */
#define NDES_IPC_LISTEN_CFG_FIELDS(default_socket)				\
	NDES_CFG_PATH("socket", struct ndes_ipc_listen_cfg, socket,		\
	    NDES_CFG_DEFAULT(default_socket)),					\
	NDES_CFG_MODE("mode", struct ndes_ipc_listen_cfg, mode,		\
	    NDES_CFG_DEFAULT("0660")),						\
	NDES_CFG_UID_LIST("allowed_uids", struct ndes_ipc_listen_cfg,		\
	    allowed_uids, n_allowed_uids),					\
	NDES_CFG_GID_LIST("allowed_gids", struct ndes_ipc_listen_cfg,		\
	    allowed_gids, n_allowed_gids),					\
	NDES_CFG_INT("max_connections", struct ndes_ipc_listen_cfg,		\
	    max_connections, NDES_CFG_RANGE(1, 1000000),			\
	    NDES_CFG_DEFAULT("1024")),						\
	NDES_CFG_INT("max_connections_per_uid", struct ndes_ipc_listen_cfg,	\
	    max_connections_per_uid, NDES_CFG_RANGE(1, 1000000),		\
	    NDES_CFG_DEFAULT("256"))

/* ndes_ipc_server_new() on the section's socket, mode and allowed ids, with
 * its connection caps (ndes_ipc_server_set_limits()). */
struct ndes_ipc_server *ndes_ipc_server_from_cfg(struct event_base *base,
    const struct ndes_ipc_listen_cfg *cfg, ndes_ipc_dispatch_fn dispatch, void *arg);
/* A reload: the section's allowed ids become srv's ACL (ndes_ipc_server_set_acl:
 * connected peers no longer allowed are closed). */
int ndes_ipc_server_set_acl_from_cfg(struct ndes_ipc_server *srv,
    const struct ndes_ipc_listen_cfg *cfg);

#endif
