/* IPC server: a listening Unix socket on libevent whose connections are
 * authorised by SO_PEERCRED and become peers.  See ipc_peer.h. */
#include "ipc_peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <event2/listener.h>

#include "ipc_int.h"
#include "ipc_peer_int.h"
#include "listener.h"
#include "log.h"

/* Connected peers of one uid. */
struct server_uid_count {
	uid_t uid;
	size_t n;
};

struct ndes_ipc_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct ndes_accept_backoff *backoff; /* after EMFILE etc. */
	char *path;
	char *config_name;	/* named in refusals; NULL: "the daemon's configuration" */
	dev_t dev;
	ino_t ino;
	uid_t self_uid;
	struct ndes_ipc_acl acl; /* owned copy */
	ndes_ipc_dispatch_fn dispatch;
	ndes_ipc_accept_fn accept_cb;
	ndes_ipc_close_fn close_cb;
	void *arg;
	TAILQ_HEAD(, ndes_ipc_peer) peers;
	size_t n_peers;
	size_t max_peers;		/* 0: no cap */
	size_t max_peers_per_uid;	/* 0: no cap */
	struct server_uid_count *uids;	/* the uids with peers, unordered */
	size_t n_uids, cap_uids;
};

/* Make path free for bind(): remove a stale socket, refuse anything else. */
static int
server_clear_path(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = ndes_ipc_io_connect(path, ndes_ipc_deadline(100))) != -1) {
		close(fd);
		errno = EADDRINUSE; /* a live server owns it */
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* A bound, listening, non-blocking socket at path with that mode.  It is
 * bound under a temporary name in the same folder and renamed into place
 * once it has its mode and listens: a client that waits for the path never
 * finds a socket that refuses connections (bound, not listening yet) or
 * one with the umask's mode instead of the configured one. */
static int
server_listen_fd(struct ndes_ipc_server *srv, mode_t mode)
{
	struct sockaddr_un sun;
	struct stat st;
	char tmp[sizeof(sun.sun_path)];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld", srv->path, (long)getpid()) >= (int)sizeof(tmp))
		snprintf(tmp, sizeof(tmp), "%s", srv->path); /* no room: bind in place */
	if (ndes_ipc_io_sockaddr(&sun, tmp) == -1 || server_clear_path(srv->path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if ((strcmp(tmp, srv->path) != 0 && unlink(tmp) == -1 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if (chmod(tmp, mode) == -1 || listen(fd, SOMAXCONN) == -1 ||
	    rename(tmp, srv->path) == -1 || stat(srv->path, &st) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* The count of uid's peers (created at 0 when create); NULL if absent or
 * out of memory. */
static size_t *
server_uid_count(struct ndes_ipc_server *srv, uid_t uid, bool create)
{
	struct server_uid_count *grown;
	size_t i;

	for (i = 0; i < srv->n_uids; i++)
		if (srv->uids[i].uid == uid)
			return &srv->uids[i].n;
	if (!create)
		return NULL;
	if (srv->n_uids == srv->cap_uids) {
		grown = reallocarray(srv->uids, srv->cap_uids ? srv->cap_uids * 2 : 8,
		    sizeof(*grown));
		if (grown == NULL)
			return NULL;
		srv->uids = grown;
		srv->cap_uids = srv->cap_uids ? srv->cap_uids * 2 : 8;
	}
	srv->uids[srv->n_uids] = (struct server_uid_count){ uid, 0 };
	return &srv->uids[srv->n_uids++].n;
}

static void
server_uid_release(struct ndes_ipc_server *srv, uid_t uid)
{
	for (size_t i = 0; i < srv->n_uids; i++) {
		if (srv->uids[i].uid != uid)
			continue;
		if (--srv->uids[i].n == 0)
			srv->uids[i] = srv->uids[--srv->n_uids];
		return;
	}
}

/* The configuration file refusals name. */
static const char *
server_config_name(const struct ndes_ipc_server *srv)
{
	return srv->config_name != NULL ? srv->config_name : "the daemon's configuration";
}

/* Whether a peer of cred fits under the caps; else the refusal logged and
 * told to the peer (fd closed). */
static bool
server_peer_fits(struct ndes_ipc_server *srv, int fd, const struct ndes_ipc_cred *cred)
{
	size_t *n;

	if (srv->max_peers > 0 && srv->n_peers >= srv->max_peers) {
		log_warnx("ipc %s: refused peer uid %u pid %d: %zu connections already "
		    "(ipc.max_connections)", srv->path, (unsigned)cred->uid, (int)cred->pid,
		    srv->n_peers);
		ndes_ipc_refuse_fd(fd, NDES_IPC_ERR_UNAVAILABLE, "%zu connections already, the "
		    "most ipc.max_connections in %s allows: try again later", srv->n_peers,
		    server_config_name(srv));
		return false;
	}
	n = server_uid_count(srv, cred->uid, false);
	if (srv->max_peers_per_uid > 0 && n != NULL && *n >= srv->max_peers_per_uid) {
		log_warnx("ipc %s: refused peer uid %u pid %d: %zu connections from uid %u "
		    "already (ipc.max_connections_per_uid)", srv->path, (unsigned)cred->uid,
		    (int)cred->pid, *n, (unsigned)cred->uid);
		ndes_ipc_refuse_fd(fd, NDES_IPC_ERR_UNAVAILABLE, "uid %u has %zu connections "
		    "already, the most ipc.max_connections_per_uid in %s allows: try again "
		    "later", (unsigned)cred->uid, *n, server_config_name(srv));
		return false;
	}
	return true;
}

/* A connection allowed by the ACL and the caps becomes a peer; -1 refused
 * (fd closed). */
static int
server_admit(struct ndes_ipc_server *srv, int fd, struct ndes_ipc_cred *cred)
{
	if (ndes_ipc_peer_cred_of(fd, cred) == -1) {
		log_warn("ipc %s: SO_PEERCRED", srv->path);
		close(fd);
		return -1;
	}
	if (!ndes_ipc_acl_allows_fd(&srv->acl, srv->self_uid, fd, cred)) {
		log_warnx("ipc %s: refused peer uid %u gid %u pid %d: not allowed", srv->path,
		    (unsigned)cred->uid, (unsigned)cred->gid, (int)cred->pid);
		ndes_ipc_refuse_fd(fd, NDES_IPC_ERR_NOT_ALLOWED, "uid %u is not allowed: add it "
		    "to ipc.allowed_uids (or its group %u to ipc.allowed_gids) in %s",
		    (unsigned)cred->uid, (unsigned)cred->gid, server_config_name(srv));
		return -1;
	}
	if (!server_peer_fits(srv, fd, cred))
		return -1;
	if (server_uid_count(srv, cred->uid, true) == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ndes_ipc_server *srv = arg;
	struct ndes_ipc_cred cred;
	struct ndes_ipc_peer *peer;

	ndes_accept_backoff_ok(srv->backoff);
	if (server_admit(srv, fd, &cred) == -1)
		return;
	peer = ndes_ipc_peer_new_fd(srv->base, fd, &cred, srv->dispatch, srv->arg);
	if (peer == NULL) {
		log_warnx("ipc %s: out of memory for a new peer", srv->path);
		return;
	}
	peer->server = srv;
	peer->close_cb = srv->close_cb;
	TAILQ_INSERT_TAIL(&srv->peers, peer, entry);
	srv->n_peers++;
	(*server_uid_count(srv, cred.uid, true))++;
	log_debug("ipc %s: peer %llu connected (uid %u gid %u pid %d)", srv->path,
	    (unsigned long long)peer->id, (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid);
	if (srv->accept_cb != NULL && srv->accept_cb(peer, srv->arg) == -1)
		ndes_ipc_peer_close(peer);
}

static int
server_start(struct ndes_ipc_server *srv, mode_t mode)
{
	char what[300];
	int fd;

	if ((fd = server_listen_fd(srv, mode)) == -1) {
		log_warn("ipc %s: cannot listen", srv->path);
		return -1;
	}
	srv->listener = evconnlistener_new(srv->base, server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	snprintf(what, sizeof(what), "ipc %s", srv->path);
	if (srv->listener == NULL ||
	    (srv->backoff = ndes_accept_backoff_new(srv->base, srv->listener, what)) == NULL) {
		log_warnx("ipc %s: cannot create the listener", srv->path);
		if (srv->listener == NULL)
			close(fd);
		unlink(srv->path);
		return -1;
	}
	return 0;
}

struct ndes_ipc_server *
ndes_ipc_server_new(struct event_base *base, const char *path, mode_t mode,
    const struct ndes_ipc_acl *acl, ndes_ipc_dispatch_fn dispatch, void *arg)
{
	struct ndes_ipc_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL || (srv->path = strdup(path)) == NULL ||
	    ndes_ipc_acl_copy(&srv->acl, acl) == -1) {
		log_warnx("ipc %s: out of memory", path);
		if (srv != NULL)
			free(srv->path);
		free(srv);
		return NULL;
	}
	srv->base = base;
	srv->self_uid = geteuid();
	srv->dispatch = dispatch;
	srv->arg = arg;
	srv->max_peers = NDES_IPC_DEFAULT_MAX_PEERS;
	srv->max_peers_per_uid = NDES_IPC_DEFAULT_MAX_PEERS_PER_UID;
	TAILQ_INIT(&srv->peers);
	if (server_start(srv, mode) == -1) {
		ndes_ipc_server_free(srv);
		return NULL;
	}
	return srv;
}

void
ndes_ipc_server_set_callbacks(struct ndes_ipc_server *srv, ndes_ipc_accept_fn accept_cb,
    ndes_ipc_close_fn close_cb)
{
	srv->accept_cb = accept_cb;
	srv->close_cb = close_cb;
}

/* Close the connected peers the ACL no longer allows. */
static void
server_drop_disallowed(struct ndes_ipc_server *srv)
{
	struct ndes_ipc_peer *peer, *next;
	int fd;

	for (peer = TAILQ_FIRST(&srv->peers); peer != NULL; peer = next) {
		next = TAILQ_NEXT(peer, entry);
		if (!ndes_ipc_peer_is_open(peer) || (fd = bufferevent_getfd(peer->bev)) == -1 ||
		    ndes_ipc_acl_allows_fd(&srv->acl, srv->self_uid, fd, &peer->cred))
			continue;
		log_warnx("ipc %s: peer %llu (uid %u gid %u pid %d) is no longer allowed, "
		    "closing its connection", srv->path, (unsigned long long)peer->id,
		    (unsigned)peer->cred.uid, (unsigned)peer->cred.gid, (int)peer->cred.pid);
		ndes_ipc_peer_close(peer);
	}
}

int
ndes_ipc_server_set_acl(struct ndes_ipc_server *srv, const struct ndes_ipc_acl *acl)
{
	struct ndes_ipc_acl copy;

	if (ndes_ipc_acl_copy(&copy, acl) == -1)
		return -1;
	ndes_ipc_acl_clear(&srv->acl);
	srv->acl = copy;
	server_drop_disallowed(srv);
	return 0;
}

int
ndes_ipc_server_set_config_name(struct ndes_ipc_server *srv, const char *name)
{
	char *copy = NULL;

	if (name != NULL && (copy = strdup(name)) == NULL)
		return -1;
	free(srv->config_name);
	srv->config_name = copy;
	return 0;
}

void
ndes_ipc_server_set_limits(struct ndes_ipc_server *srv, size_t max_peers,
    size_t max_peers_per_uid)
{
	srv->max_peers = max_peers;
	srv->max_peers_per_uid = max_peers_per_uid;
}

size_t
ndes_ipc_server_peer_count(const struct ndes_ipc_server *srv)
{
	return srv->n_peers;
}

void
ndes_ipc_server_forget_peer(struct ndes_ipc_server *srv, struct ndes_ipc_peer *peer)
{
	TAILQ_REMOVE(&srv->peers, peer, entry);
	srv->n_peers--;
	server_uid_release(srv, peer->cred.uid);
}

/* Remove the socket file only if it is still ours (not a successor's). */
static void
server_unlink(struct ndes_ipc_server *srv)
{
	struct stat st;

	if (srv->ino != 0 && lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino)
		unlink(srv->path);
}

void
ndes_ipc_server_free(struct ndes_ipc_server *srv)
{
	struct ndes_ipc_peer *peer;

	if (srv == NULL)
		return;
	while ((peer = TAILQ_FIRST(&srv->peers)) != NULL) {
		ndes_ipc_server_forget_peer(srv, peer);
		peer->server = NULL;
		ndes_ipc_peer_close(peer);
	}
	ndes_accept_backoff_free(srv->backoff);
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		server_unlink(srv);
	}
	ndes_ipc_acl_clear(&srv->acl);
	free(srv->uids);
	free(srv->config_name);
	free(srv->path);
	free(srv);
}
