/* IPC peers on libevent (tmux proc.c style): a listening server that
 * authorises each connection by SO_PEERCRED, an outgoing connection for
 * daemon-to-daemon links, and one dispatch function per peer.
 *
 * Threading: everything here runs on the event loop's thread, except
 * ndes_ipc_peer_ref()/ndes_ipc_peer_unref(), which are atomic and may be
 * called from any thread.
 *
 * Lifetime: the layer holds one reference on a peer while its connection
 * is open.  When the connection ends for any reason (end of stream, socket
 * error, bad frame, dispatch returning -1, ndes_ipc_peer_close(),
 * ndes_ipc_server_free()) the socket is closed, the close callback runs
 * once, and the layer drops its reference.  A peer pointer is therefore
 * valid until the close callback returns, or for as long as you hold a
 * reference.  To answer later (work handed to a thread pool), take a
 * reference in dispatch, keep the request id, and on the loop thread call
 * ndes_ipc_peer_send() then ndes_ipc_peer_unref().  If the peer went away
 * meanwhile, send returns -1 (ENOTCONN) and does nothing else. */
#ifndef NDES_IPC_PEER_H
#define NDES_IPC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"

struct event_base;
struct ndes_ipc_peer;
struct ndes_ipc_server;

/* A peer whose output buffer would grow past this is not reading its
 * replies: it is dropped. */
#define NDES_IPC_PEER_MAX_OUTPUT (16u * 1024u * 1024u)

/* Who may connect: a peer passes if its uid is in uids, or its primary gid
 * or one of its supplementary groups (SO_PEERGROUPS) is in gids.  The
 * server's own effective uid always passes.  Root has no other privilege. */
struct ndes_ipc_acl {
	const uid_t *uids;
	size_t n_uids;
	const gid_t *gids;
	size_t n_gids;
};

/* uid in uids or gid in gids (NULL acl: false). */
bool ndes_ipc_acl_allows(const struct ndes_ipc_acl *acl, uid_t uid, gid_t gid);

/* Credentials of the process at the other end, from SO_PEERCRED when the
 * connection was made (for an outgoing peer: the server's). */
struct ndes_ipc_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Called once per complete frame.  r covers the payload and, like every
 * pointer it hands out, is valid only during this call.  Return 0, or -1 if
 * the message is malformed: the peer is then dropped (logged).  An unknown
 * type may be answered with an ERROR message instead. */
typedef int (*ndes_ipc_dispatch_fn)(struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r, void *arg);
/* A new authorised peer: -1 refuses it (it is closed, with the close
 * callback).  Set per-peer data here. */
typedef int (*ndes_ipc_accept_fn)(struct ndes_ipc_peer *peer, void *arg);
/* The connection ended; free per-peer data here. */
typedef void (*ndes_ipc_close_fn)(struct ndes_ipc_peer *peer, void *arg);

/* Listen on the Unix socket path with permissions mode (e.g. 0660).  A
 * stale socket file there is removed first; a socket another process still
 * listens on, or a non-socket file, is an error.  The ACL is copied.
 * NULL (logged with the reason) on failure. */
struct ndes_ipc_server *ndes_ipc_server_new(struct event_base *base, const char *path,
    mode_t mode, const struct ndes_ipc_acl *acl, ndes_ipc_dispatch_fn dispatch, void *arg);
/* Caps on connected peers, checked at accept after the ACL: a connection
 * over max_peers in all, or over max_peers_per_uid from its uid (whatever
 * the uid, the server's own too), is closed at once and logged (rate-
 * limited, log.h).  0: no cap.  Defaults below; ipc_config.h sets them from
 * the `ipc:` section. */
#define NDES_IPC_DEFAULT_MAX_PEERS 1024
#define NDES_IPC_DEFAULT_MAX_PEERS_PER_UID 256
void ndes_ipc_server_set_limits(struct ndes_ipc_server *srv, size_t max_peers,
    size_t max_peers_per_uid);
/* A refused peer is told why before the close, in an ERROR frame with
 * request id 0 (code NDES_IPC_ERR_NOT_ALLOWED for the ACL, UNAVAILABLE for
 * the caps) naming the key to change in name, the daemon's configuration
 * file (copied; NULL: "the daemon's configuration").  0, or -1 out of
 * memory. */
int ndes_ipc_server_set_config_name(struct ndes_ipc_server *srv, const char *name);
/* Optional callbacks for peers accepted from now on (either may be NULL). */
void ndes_ipc_server_set_callbacks(struct ndes_ipc_server *srv, ndes_ipc_accept_fn accept_cb,
    ndes_ipc_close_fn close_cb);
/* Replace the ACL (a configuration reload); connected peers it no longer
 * allows are closed (close callbacks run), the others stay. */
int ndes_ipc_server_set_acl(struct ndes_ipc_server *srv, const struct ndes_ipc_acl *acl);
size_t ndes_ipc_server_peer_count(const struct ndes_ipc_server *srv);
/* Close every peer (close callbacks run), stop listening, and remove the
 * socket file if it is still the one this server created. */
void ndes_ipc_server_free(struct ndes_ipc_server *srv);

/* Connect to a server's socket.  Unix sockets connect at once, so failure
 * is reported here: NULL with errno (ENOENT, ECONNREFUSED, ETIMEDOUT when
 * its backlog is full, ...); retry later from a timer.  Later loss of the
 * connection is reported by the close callback. */
struct ndes_ipc_peer *ndes_ipc_peer_connect(struct event_base *base, const char *path,
    ndes_ipc_dispatch_fn dispatch, void *arg);
void ndes_ipc_peer_set_close_cb(struct ndes_ipc_peer *peer, ndes_ipc_close_fn close_cb);

/* Queue msg's frame for sending: 0, or -1 with errno: ENOTCONN (peer
 * closed), EINVAL (msg NULL or failed), ENOBUFS (the peer is not reading:
 * it has been dropped), ENOMEM. */
int ndes_ipc_peer_send(struct ndes_ipc_peer *peer, const struct ndes_ipc_msg *msg);
/* Send an ERROR reply (code, message) for request_id. */
int ndes_ipc_peer_send_error(struct ndes_ipc_peer *peer, uint32_t request_id, uint32_t code,
    const char *message);
/* Send HELLO (or HELLO_REPLY: type) with role and this build's version. */
int ndes_ipc_peer_send_hello(struct ndes_ipc_peer *peer, uint16_t type, uint32_t request_id,
    const char *role);
/* The answer to a message a dispatcher does not handle itself: PONG to a
 * PING, STATUS_REPLY to a STATUS (ipc.h), an ERROR UNSUPPORTED ("unsupported message type") to anything else.
 * Returns the send's result; the dispatcher returns 0 (the peer stays). */
int ndes_ipc_peer_answer_default(struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr);
/* Close now (unsent output is discarded).  Inside dispatch the close takes
 * effect when dispatch returns.  No-op on a closed peer. */
void ndes_ipc_peer_close(struct ndes_ipc_peer *peer);
bool ndes_ipc_peer_is_open(const struct ndes_ipc_peer *peer);

struct ndes_ipc_peer *ndes_ipc_peer_ref(struct ndes_ipc_peer *peer);
void ndes_ipc_peer_unref(struct ndes_ipc_peer *peer);

const struct ndes_ipc_cred *ndes_ipc_peer_cred(const struct ndes_ipc_peer *peer);
/* Unique in this process, for logs and lookups (never reused). */
uint64_t ndes_ipc_peer_id(const struct ndes_ipc_peer *peer);
void ndes_ipc_peer_set_data(struct ndes_ipc_peer *peer, void *data);
void *ndes_ipc_peer_data(const struct ndes_ipc_peer *peer);

#endif
