/* Internal to the IPC peer layer (ipc_peer.c, ipc_server.c). */
#ifndef NDES_IPC_PEER_INT_H
#define NDES_IPC_PEER_INT_H

#include <sys/queue.h>

#include "ipc_peer.h"

struct bufferevent;
struct event;
struct evbuffer;

struct ndes_ipc_peer {
	unsigned int refs; /* atomic */
	uint64_t id;
	struct bufferevent *bev; /* NULL once closed; the writes */
	struct event *rev; /* the reads, into in (ipc_peer.c, peer_readable_cb) */
	struct evbuffer *in;
	struct ndes_ipc_server *server; /* NULL for outgoing peers */
	TAILQ_ENTRY(ndes_ipc_peer) entry;
	struct ndes_ipc_cred cred;
	ndes_ipc_dispatch_fn dispatch;
	ndes_ipc_close_fn close_cb;
	void *arg;
	void *data;
	int in_dispatch;
	bool close_pending;
};

/* A peer on the connected socket fd (taken over: closed on failure too). */
struct ndes_ipc_peer *ndes_ipc_peer_new_fd(struct event_base *base, int fd,
    const struct ndes_ipc_cred *cred, ndes_ipc_dispatch_fn dispatch, void *arg);
/* SO_PEERCRED of fd; -1 with errno on failure. */
int ndes_ipc_peer_cred_of(int fd, struct ndes_ipc_cred *cred);
/* Server-side decision for connected socket fd: own uid, ACL, or one of
 * the peer's supplementary groups (SO_PEERGROUPS) in acl->gids. */
bool ndes_ipc_acl_allows_fd(const struct ndes_ipc_acl *acl, uid_t self, int fd,
    const struct ndes_ipc_cred *cred);
/* Deep copy of src (NULL: empty) into dst; ndes_ipc_acl_clear() frees it. */
int ndes_ipc_acl_copy(struct ndes_ipc_acl *dst, const struct ndes_ipc_acl *src);
void ndes_ipc_acl_clear(struct ndes_ipc_acl *acl);
/* Send fd's peer an ERROR frame (request id 0, code, the formatted reason,
 * at most NDES_IPC_REFUSAL_MAX bytes) without blocking, then close fd
 * (ipc_refuse.c). */
#define NDES_IPC_REFUSAL_MAX 512
void ndes_ipc_refuse_fd(int fd, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The server forgets a closing peer (defined in ipc_server.c). */
void ndes_ipc_server_forget_peer(struct ndes_ipc_server *srv, struct ndes_ipc_peer *peer);

#endif
