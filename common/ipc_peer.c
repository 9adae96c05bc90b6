/* IPC peers on libevent: framing on a bufferevent, one dispatch function
 * per peer, reference-counted lifetime.  See ipc_peer.h. */
#include "ipc_peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "ipc_int.h"
#include "ipc_peer_int.h"
#include "log.h"

static uint64_t peer_next_id;

static void peer_readable_cb(evutil_socket_t fd, short what, void *ctx);
static void peer_event_cb(struct bufferevent *bev, short what, void *ctx);

/* What one read asks for.  The socket is read by a plain event, not by the
 * bufferevent: libevent's evbuffer_read() asks the kernel first how much
 * is there (ioctl FIONREAD), one system call more per request. */
#define PEER_READ_SIZE 16384

int
ndes_ipc_peer_cred_of(int fd, struct ndes_ipc_cred *cred)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return -1;
	cred->pid = uc.pid;
	cred->uid = uc.uid;
	cred->gid = uc.gid;
	return 0;
}

/* The read event, the input and the bufferevent (which closes the socket). */
static void
peer_free_io(struct ndes_ipc_peer *peer)
{
	if (peer->rev != NULL)
		event_free(peer->rev);
	if (peer->in != NULL)
		evbuffer_free(peer->in);
	bufferevent_free(peer->bev);
	peer->rev = NULL;
	peer->in = NULL;
	peer->bev = NULL;
}

struct ndes_ipc_peer *
ndes_ipc_peer_new_fd(struct event_base *base, int fd, const struct ndes_ipc_cred *cred,
    ndes_ipc_dispatch_fn dispatch, void *arg)
{
	struct ndes_ipc_peer *peer;

	if ((peer = calloc(1, sizeof(*peer))) == NULL) {
		close(fd);
		return NULL;
	}
	peer->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (peer->bev == NULL) {
		close(fd);
		free(peer);
		return NULL;
	}
	peer->rev = event_new(base, fd, EV_READ | EV_PERSIST, peer_readable_cb, peer);
	peer->in = evbuffer_new();
	if (peer->rev == NULL || peer->in == NULL || event_add(peer->rev, NULL) == -1) {
		peer_free_io(peer);
		free(peer);
		return NULL;
	}
	peer->refs = 1;
	peer->id = __atomic_add_fetch(&peer_next_id, 1, __ATOMIC_RELAXED);
	peer->cred = *cred;
	peer->dispatch = dispatch;
	peer->arg = arg;
	bufferevent_setcb(peer->bev, NULL, NULL, peer_event_cb, peer);
	bufferevent_enable(peer->bev, EV_WRITE);
	return peer;
}

struct ndes_ipc_peer *
ndes_ipc_peer_connect(struct event_base *base, const char *path, ndes_ipc_dispatch_fn dispatch,
    void *arg)
{
	struct ndes_ipc_cred cred;
	struct ndes_ipc_peer *peer;
	int fd, saved;

	if ((fd = ndes_ipc_io_connect(path, ndes_ipc_deadline(0))) == -1)
		return NULL;
	if (ndes_ipc_peer_cred_of(fd, &cred) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	if ((peer = ndes_ipc_peer_new_fd(base, fd, &cred, dispatch, arg)) == NULL)
		errno = ENOMEM;
	return peer;
}

/* End the connection: close the socket, tell the owner, drop the layer's
 * reference.  Deferred while dispatch runs on this peer. */
static void
peer_teardown(struct ndes_ipc_peer *peer)
{
	if (peer->bev == NULL)
		return;
	if (peer->in_dispatch > 0) {
		peer->close_pending = true;
		return;
	}
	peer_free_io(peer);
	peer->close_pending = false;
	if (peer->server != NULL) {
		ndes_ipc_server_forget_peer(peer->server, peer);
		peer->server = NULL;
	}
	if (peer->close_cb != NULL)
		peer->close_cb(peer, peer->arg);
	ndes_ipc_peer_unref(peer);
}

static void
peer_drop(struct ndes_ipc_peer *peer, const char *why, const struct ndes_ipc_header *hdr)
{
	const char *name = hdr != NULL ? ndes_ipc_type_name(hdr->type) : NULL;

	log_warnx("ipc: peer %llu (uid %u gid %u pid %d): %s%s%s, dropping it",
	    (unsigned long long)peer->id, (unsigned)peer->cred.uid, (unsigned)peer->cred.gid,
	    (int)peer->cred.pid, why, name != NULL ? " in " : "", name != NULL ? name : "");
	peer_teardown(peer);
}

/* Handle the next whole frame in the input: 1 done, 0 incomplete, -1 the
 * peer was dropped. */
static int
peer_next_frame(struct ndes_ipc_peer *peer)
{
	struct evbuffer *in = peer->in;
	struct ndes_ipc_header hdr;
	struct ndes_ipc_reader r;
	enum ndes_ipc_parse_result res;
	size_t avail, n, flen;
	uint8_t *buf;
	int rc;

	if ((avail = evbuffer_get_length(in)) == 0)
		return 0;
	n = avail < NDES_IPC_HEADER_LEN ? avail : NDES_IPC_HEADER_LEN;
	buf = evbuffer_pullup(in, (ssize_t)n);
	res = ndes_ipc_frame_parse(buf, n, &hdr, &flen);
	if (res < 0) {
		peer_drop(peer, ndes_ipc_parse_result_str(res), NULL);
		return -1;
	}
	if (n < NDES_IPC_HEADER_LEN || avail < flen)
		return 0; /* size checked from the header: wait for the rest */
	if ((buf = evbuffer_pullup(in, (ssize_t)flen)) == NULL) {
		peer_drop(peer, "out of memory", &hdr);
		return -1;
	}
	ndes_ipc_reader_init_sticky(&r, buf + NDES_IPC_HEADER_LEN, flen - NDES_IPC_HEADER_LEN);
	peer->in_dispatch++;
	rc = peer->dispatch(peer, &hdr, &r, peer->arg);
	peer->in_dispatch--;
	evbuffer_drain(in, flen);
	if (rc != 0) {
		peer_drop(peer, "malformed message", &hdr);
		return -1;
	}
	return 1;
}

/* Every whole frame in the input, one by one. */
static void
peer_dispatch_input(struct ndes_ipc_peer *peer)
{
	ndes_ipc_peer_ref(peer);
	while (peer->bev != NULL && !peer->close_pending && peer_next_frame(peer) == 1)
		;
	if (peer->close_pending)
		peer_teardown(peer);
	ndes_ipc_peer_unref(peer);
}

/* The socket is readable: what it holds (up to PEER_READ_SIZE) into the
 * input, then its frames.  End of stream or an error ends the peer. */
static void
peer_readable_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct ndes_ipc_peer *peer = ctx;
	struct evbuffer *in = peer->in;
	struct evbuffer_iovec v;
	ssize_t n;

	(void)what;
	if (evbuffer_reserve_space(in, PEER_READ_SIZE, &v, 1) < 1) {
		peer_drop(peer, "out of memory", NULL);
		return;
	}
	if ((n = read(fd, v.iov_base, v.iov_len)) <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		peer_event_cb(peer->bev, n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR, peer);
		return;
	}
	v.iov_len = (size_t)n;
	if (evbuffer_commit_space(in, &v, 1) == -1) {
		peer_drop(peer, "out of memory", NULL);
		return;
	}
	peer_dispatch_input(peer);
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct ndes_ipc_peer *peer = ctx;

	if (what & BEV_EVENT_ERROR)
		log_debug("ipc: peer %llu: connection error: %s", (unsigned long long)peer->id,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else
		log_debug("ipc: peer %llu closed the connection", (unsigned long long)peer->id);
	peer_teardown(peer);
}

/* The frame straight to the socket when nothing waits before it (a reply
 * usually fits: no write event to arm and disarm, two epoll_ctl calls and
 * a loop iteration less); what the socket does not take is queued after. */
static int
peer_write(struct bufferevent *bev, const uint8_t *frame, size_t len)
{
	ssize_t n = 0;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
	    (n = send(bufferevent_getfd(bev), frame, len, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0)
		n = 0;	/* EAGAIN, or an error the bufferevent reports on its write */
	if ((size_t)n < len && bufferevent_write(bev, frame + n, len - (size_t)n) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
ndes_ipc_peer_send(struct ndes_ipc_peer *peer, const struct ndes_ipc_msg *msg)
{
	const uint8_t *frame;
	struct evbuffer *out;
	size_t len;

	if (peer == NULL || peer->bev == NULL || peer->close_pending) {
		errno = ENOTCONN;
		return -1;
	}
	if ((frame = ndes_ipc_msg_frame(msg, &len)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	out = bufferevent_get_output(peer->bev);
	if (evbuffer_get_length(out) + len > NDES_IPC_PEER_MAX_OUTPUT) {
		peer_drop(peer, "not reading its replies", NULL);
		errno = ENOBUFS;
		return -1;
	}
	return peer_write(peer->bev, frame, len);
}

int
ndes_ipc_peer_send_error(struct ndes_ipc_peer *peer, uint32_t request_id, uint32_t code,
    const char *message)
{
	struct ndes_ipc_msg *msg;
	int rc;

	if ((msg = ndes_ipc_msg_new_error(request_id, code, message)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	rc = ndes_ipc_peer_send(peer, msg);
	ndes_ipc_msg_free(msg);
	return rc;
}

int
ndes_ipc_peer_answer_default(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr)
{
	struct ndes_ipc_msg *msg;
	int rc;

	if (hdr->type == NDES_IPC_MSG_STATUS)
		msg = ndes_ipc_msg_new_status_reply(hdr->request_id);
	else if (hdr->type == NDES_IPC_MSG_PING)
		msg = ndes_ipc_msg_new(NDES_IPC_MSG_PONG, hdr->request_id);
	else
		return ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNSUPPORTED,
		    "unsupported message type");
	rc = ndes_ipc_peer_send(peer, msg);
	ndes_ipc_msg_free(msg);
	return rc;
}

void
ndes_ipc_peer_close(struct ndes_ipc_peer *peer)
{
	if (peer != NULL)
		peer_teardown(peer);
}

bool
ndes_ipc_peer_is_open(const struct ndes_ipc_peer *peer)
{
	return peer != NULL && peer->bev != NULL && !peer->close_pending;
}

struct ndes_ipc_peer *
ndes_ipc_peer_ref(struct ndes_ipc_peer *peer)
{
	if (peer != NULL)
		__atomic_add_fetch(&peer->refs, 1, __ATOMIC_RELAXED);
	return peer;
}

void
ndes_ipc_peer_unref(struct ndes_ipc_peer *peer)
{
	if (peer == NULL)
		return;
	if (__atomic_sub_fetch(&peer->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (peer->bev != NULL)
		fatalx("ipc: peer %llu: last reference dropped while open",
		    (unsigned long long)peer->id);
	free(peer);
}

void
ndes_ipc_peer_set_close_cb(struct ndes_ipc_peer *peer, ndes_ipc_close_fn close_cb)
{
	peer->close_cb = close_cb;
}

const struct ndes_ipc_cred *
ndes_ipc_peer_cred(const struct ndes_ipc_peer *peer)
{
	return &peer->cred;
}

uint64_t
ndes_ipc_peer_id(const struct ndes_ipc_peer *peer)
{
	return peer->id;
}

void
ndes_ipc_peer_set_data(struct ndes_ipc_peer *peer, void *data)
{
	peer->data = data;
}

void *
ndes_ipc_peer_data(const struct ndes_ipc_peer *peer)
{
	return peer->data;
}
