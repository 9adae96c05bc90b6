/* IPC peer layer on libevent: one event loop in the test process, peers
 * made with ndes_ipc_peer_connect() or raw sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_config.h"
#include "ipc_int.h"
#include "ipc_peer.h"
#include "test_ipc_util.h"

static struct {
	int dispatched;
	int closes;
	int accepted_n;
	bool refuse_next;
	bool answer_default;		/* dispatch: ndes_ipc_peer_answer_default() */
	struct ndes_ipc_peer *accepted; /* last accepted, no reference */
	struct ndes_ipc_peer *held;     /* reference taken in dispatch */
	uint32_t held_id;
	struct ndes_ipc_cred server_side_cred;
	/* outgoing peer */
	int replies;
	uint16_t reply_type;
	uint32_t reply_id;
	uint32_t reply_u32;
	bool client_closed;
} st;

static struct event_base *base;
static struct ndes_ipc_server *srv;
static char *dir;
static char *sock;

/* Server dispatch: the shared echo, plus RELOAD (keep for an async reply)
 * and NOTIFY_REPLY (close the peer from inside dispatch). */
static int
server_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	cr_assert_eq(arg, &st);
	st.dispatched++;
	st.server_side_cred = *ndes_ipc_peer_cred(peer);
	if (st.answer_default) {
		cr_assert_eq(ndes_ipc_peer_answer_default(peer, hdr), 0);
		return 0;
	}
	switch (hdr->type) {
	case NDES_IPC_MSG_RELOAD:
		st.held = ndes_ipc_peer_ref(peer);
		st.held_id = hdr->request_id;
		return 0;
	case NDES_IPC_MSG_NOTIFY_REPLY:
		ndes_ipc_peer_close(peer);
		cr_assert_not(ndes_ipc_peer_is_open(peer));
		return 0;
	}
	return ipc_test_echo_dispatch(peer, hdr, r, arg);
}

static int
server_accept(struct ndes_ipc_peer *peer, void *arg)
{
	st.accepted = peer;
	st.accepted_n++;
	ndes_ipc_peer_set_data(peer, &st.accepted_n);
	return st.refuse_next ? -1 : 0;
}

static void
server_close(struct ndes_ipc_peer *peer, void *arg)
{
	cr_assert_eq(ndes_ipc_peer_data(peer), &st.accepted_n);
	cr_assert_not(ndes_ipc_peer_is_open(peer));
	st.closes++;
	if (st.accepted == peer)
		st.accepted = NULL;
}

static int
client_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	uint32_t v = 0;

	st.replies++;
	st.reply_type = hdr->type;
	st.reply_id = hdr->request_id;
	if (ndes_ipc_reader_peek(r) == NDES_IPC_F_U32)
		ndes_ipc_get_u32(r, &v);
	st.reply_u32 = v;
	return 0;
}

static void
client_close(struct ndes_ipc_peer *peer, void *arg)
{
	st.client_closed = true;
}

static void
setup(void)
{
	memset(&st, 0, sizeof(st));
	base = event_base_new();
	cr_assert_not_null(base);
	dir = ipc_test_tmpdir();
	sock = ipc_test_path(dir, "crp.sock");
	srv = ndes_ipc_server_new(base, sock, 0660, NULL, server_dispatch, &st);
	cr_assert_not_null(srv);
	ndes_ipc_server_set_callbacks(srv, server_accept, server_close);
}

static void
teardown(void)
{
	ndes_ipc_server_free(srv);
	event_base_free(base);
	free(sock);
	tmpdir_remove(dir);
}

TestSuite(ipc_peer, .init = setup, .fini = teardown);

static struct ndes_ipc_peer *
must_connect_peer(void)
{
	struct ndes_ipc_peer *p = ndes_ipc_peer_connect(base, sock, client_dispatch, &st);

	cr_assert_not_null(p, "connect: %s", strerror(errno));
	ndes_ipc_peer_set_close_cb(p, client_close);
	return p;
}

static void
send_ping(struct ndes_ipc_peer *p, uint32_t id, uint32_t v)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, id);

	ndes_ipc_msg_add_u32(msg, v);
	cr_assert_eq(ndes_ipc_peer_send(p, msg), 0);
	ndes_ipc_msg_free(msg);
}


/* Run the loop until cond holds (at most a second). */
#define PUMP_UNTIL(cond)                                                    \
	do {                                                                \
		int64_t dl_ = ndes_ipc_deadline(1000);                      \
		while (!(cond) && ndes_ipc_remaining_ms(dl_) > 0)           \
			ipc_test_pump(base, 1);                             \
		cr_assert(cond, "still false after 1 s: %s", #cond);       \
	} while (0)

/* Raw bytes from a raw peer, then the loop runs until the server answered
 * or closed. */
static void
raw_write(int fd, const void *buf, size_t len)
{
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
}

static void
wait_replies(int n)
{
	PUMP_UNTIL(st.replies >= n);
	cr_assert_eq(st.replies, n);
}

/* A message of a type the server does not serve: an ERROR reply with the
 * request's id, and the connection is kept (the nth reply seen). */
static void
expect_unsupported(struct ndes_ipc_peer *p, uint16_t type, uint32_t id, int nth)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(type, id);

	cr_assert_eq(ndes_ipc_peer_send(p, msg), 0);
	ndes_ipc_msg_free(msg);
	wait_replies(nth);
	cr_assert_eq(st.reply_type, NDES_IPC_MSG_ERROR);
	cr_assert_eq(st.reply_id, id);
	cr_assert_eq(st.reply_u32, NDES_IPC_ERR_UNSUPPORTED);
	cr_assert(ndes_ipc_peer_is_open(p));
}

static void
wait_closes(int n)
{
	PUMP_UNTIL(st.closes >= n);
	cr_assert_eq(st.closes, n);
}

static bool
raw_sees_eof(int fd)
{
	char c;

	cr_assert(ipc_test_pump_until_readable(base, fd, 1000));
	return read(fd, &c, 1) == 0;
}

Test(ipc_peer, round_trip_and_credentials)
{
	struct ndes_ipc_peer *p = must_connect_peer();

	send_ping(p, 11, 77);
	wait_replies(1);
	cr_assert_eq(st.reply_type, NDES_IPC_MSG_PONG);
	cr_assert_eq(st.reply_id, 11);
	cr_assert_eq(st.reply_u32, 77);
	cr_assert_eq(st.server_side_cred.uid, getuid());
	cr_assert_eq(st.server_side_cred.gid, getgid());
	cr_assert_eq(st.server_side_cred.pid, getpid());
	cr_assert_eq(ndes_ipc_peer_cred(p)->pid, getpid());
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 1);
	cr_assert_neq(ndes_ipc_peer_id(p), ndes_ipc_peer_id(st.accepted));

	/* Unknown to the server: an ERROR reply, connection kept. */
	expect_unsupported(p, NDES_IPC_MSG_CONNECTOR_ACK, 12, 2);
	ndes_ipc_peer_close(p);
	cr_assert(st.client_closed);
}

Test(ipc_peer, bad_peer_dropped_good_peer_keeps_working)
{
	struct ndes_ipc_peer *good = must_connect_peer();
	int bad = ipc_test_connect_raw(sock);
	char *log;

	ipc_test_stderr_begin();
	send_ping(good, 1, 1);
	raw_write(bad, "GARBAGE GARBAGE!", 16);
	cr_assert(raw_sees_eof(bad));
	wait_replies(1);
	wait_closes(1);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 1);
	send_ping(good, 2, 2);
	wait_replies(2);
	cr_assert_eq(st.reply_u32, 2);
	cr_assert(ndes_ipc_peer_is_open(good));
	log = ipc_test_stderr_end();
	cr_assert_not_null(strstr(log, "): bad magic, dropping it\n"), "log: %s", log);
	cr_assert_not_null(strstr(log, "ipc: peer "), "log: %s", log);
	free(log);
	close(bad);
	ndes_ipc_peer_close(good);
}

/* One raw peer sends bytes; it must be dropped with that log reason. */
static void
assert_dropped(const void *bytes, size_t len, const char *reason)
{
	int fd = ipc_test_connect_raw(sock);
	char *log;

	ipc_test_stderr_begin();
	raw_write(fd, bytes, len);
	cr_assert(raw_sees_eof(fd), "%s", reason);
	log = ipc_test_stderr_end();
	cr_assert_not_null(strstr(log, reason), "want \"%s\" in: %s", reason, log);
	free(log);
	close(fd);
}

Test(ipc_peer, each_bad_frame_kind_drops_the_peer)
{
	struct ndes_ipc_header h = { 2, NDES_IPC_MSG_PING, 1, 0 };
	uint8_t buf[NDES_IPC_HEADER_LEN], bad_bool[NDES_IPC_HEADER_LEN + 2];
	struct ndes_ipc_msg *msg;
	const uint8_t *f;
	size_t len;

	ndes_ipc_header_encode(&h, buf);
	assert_dropped(buf, sizeof(buf), "unsupported protocol version, dropping it");
	/* Only the header of a too large frame is sent: refused without it. */
	h.version = 1;
	h.payload_len = NDES_IPC_MAX_PAYLOAD + 1;
	ndes_ipc_header_encode(&h, buf);
	assert_dropped(buf, sizeof(buf), "frame too large, dropping it");
	/* The dispatcher finds the fields malformed. */
	msg = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY, 1);
	f = ndes_ipc_msg_frame(msg, &len);
	assert_dropped(f, len, "malformed message in NOTIFY, dropping it");
	ndes_ipc_msg_free(msg);
	/* A PING whose fields do not parse (BOOL 7). */
	msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 1);
	ndes_ipc_msg_add_bool(msg, true);
	f = ndes_ipc_msg_frame(msg, &len);
	cr_assert_eq(len, sizeof(bad_bool));
	memcpy(bad_bool, f, len);
	bad_bool[len - 1] = 7;
	assert_dropped(bad_bool, len, "malformed message in PING, dropping it");
	ndes_ipc_msg_free(msg);
	wait_closes(4);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 0);
}

Test(ipc_peer, truncated_frame_then_eof_is_never_dispatched)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 1);
	int fd = ipc_test_connect_raw(sock);
	const uint8_t *f;
	size_t len;

	ndes_ipc_msg_add_str(msg, "never complete");
	f = ndes_ipc_msg_frame(msg, &len);
	raw_write(fd, f, len - 1);
	ipc_test_pump(base, 20);
	cr_assert_eq(st.dispatched, 0);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 1);
	close(fd);
	wait_closes(1);
	cr_assert_eq(st.dispatched, 0);
	ndes_ipc_msg_free(msg);
}

Test(ipc_peer, frame_arriving_one_byte_at_a_time)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 31);
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_reader r;
	int fd = ipc_test_connect_raw(sock);
	const uint8_t *f;
	const char *s;
	uint32_t v;
	size_t len;

	ndes_ipc_msg_add_u32(msg, 0xC0FFEE);
	ndes_ipc_msg_add_str(msg, "byte by byte");
	f = ndes_ipc_msg_frame(msg, &len);
	for (size_t i = 0; i < len; i++) {
		raw_write(fd, f + i, 1);
		ipc_test_pump(base, 1);
		cr_assert_eq(st.dispatched, i + 1 == len ? 1 : 0, "after byte %zu", i);
	}
	cr_assert(ipc_test_pump_until_readable(base, fd, 1000));
	reply = ipc_test_read_frame(fd, 1000);
	cr_assert_not_null(reply);
	cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_PONG);
	cr_assert_eq(ndes_ipc_frame_header(reply)->request_id, 31);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_u32(&r, &v), 0);
	cr_assert_eq(v, 0xC0FFEE);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), 0);
	cr_assert_str_eq(s, "byte by byte");
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(msg);
	close(fd);
}

/* Push out (nonblocking) and pull in until want bytes came back. */
static void
raw_exchange(int fd, const uint8_t *out, size_t olen, uint8_t *in, size_t want)
{
	size_t sent = 0, got = 0;
	int64_t deadline = ndes_ipc_deadline(3000);
	ssize_t n;

	while ((sent < olen || got < want) && ndes_ipc_remaining_ms(deadline) > 0) {
		if (sent < olen && (n = send(fd, out + sent, olen - sent, MSG_DONTWAIT)) > 0)
			sent += (size_t)n;
		ipc_test_pump(base, 1);
		while (got < want && (n = recv(fd, in + got, want - got, MSG_DONTWAIT)) > 0)
			got += (size_t)n;
	}
	cr_assert_eq(sent, olen);
	cr_assert_eq(got, want);
}

Test(ipc_peer, largest_frame_through_small_socket_buffers)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 5);
	size_t n = NDES_IPC_MAX_PAYLOAD - 5, len;
	uint8_t *big = malloc(n), *in = malloc(NDES_IPC_MAX_FRAME);
	int fd = ipc_test_connect_raw(sock), small = 4096;
	const uint8_t *f;

	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 31 % 255);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cr_assert_eq(ndes_ipc_msg_add_bytes(msg, big, n), 0);
	f = ndes_ipc_msg_frame(msg, &len);
	cr_assert_eq(len, NDES_IPC_MAX_FRAME);
	raw_exchange(fd, f, len, in, len);
	cr_assert_eq(st.dispatched, 1);
	/* The echo is the same frame but for the type (PONG). */
	cr_assert_eq(in[7], NDES_IPC_MSG_PONG);
	cr_assert_eq(memcmp(in + 8, f + 8, len - 8), 0);
	ndes_ipc_msg_free(msg);
	free(big);
	free(in);
	close(fd);
}

Test(ipc_peer, pipelined_frames_answered_in_order)
{
	uint8_t out[512], in[512];
	size_t olen = 0, len, rlen = 0;
	int fd = ipc_test_connect_raw(sock);

	for (uint32_t id = 1; id <= 3; id++) {
		struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, id);
		const uint8_t *f;

		ndes_ipc_msg_add_u32(msg, id * 100);
		f = ndes_ipc_msg_frame(msg, &len);
		memcpy(out + olen, f, len);
		olen += len;
		rlen += len;
		ndes_ipc_msg_free(msg);
	}
	raw_exchange(fd, out, olen, in, rlen);
	for (uint32_t id = 1; id <= 3; id++) {
		const uint8_t *f = in + (id - 1) * (rlen / 3);
		cr_assert_eq(ndes_ipc_get32(f + 8), id);
		cr_assert_eq(ndes_ipc_get32(f + 17), id * 100);
	}
	cr_assert_eq(st.dispatched, 3);
	close(fd);
}

Test(ipc_peer, async_reply_after_dispatch_returned)
{
	struct ndes_ipc_peer *p = must_connect_peer();
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, 42), *rep;

	cr_assert_eq(ndes_ipc_peer_send(p, req), 0);
	PUMP_UNTIL(st.held != NULL);
	ipc_test_pump(base, 20); /* "the thread pool works" */
	cr_assert_eq(st.replies, 0);
	cr_assert(ndes_ipc_peer_is_open(st.held));
	rep = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD_REPLY, st.held_id);
	ndes_ipc_msg_add_u32(rep, 1);
	cr_assert_eq(ndes_ipc_peer_send(st.held, rep), 0);
	ndes_ipc_peer_unref(st.held);
	st.held = NULL;
	wait_replies(1);
	cr_assert_eq(st.reply_type, NDES_IPC_MSG_RELOAD_REPLY);
	cr_assert_eq(st.reply_id, 42);
	ndes_ipc_msg_free(req);
	ndes_ipc_msg_free(rep);
	ndes_ipc_peer_close(p);
}

Test(ipc_peer, peer_gone_before_async_reply)
{
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, 43), *rep;
	int fd = ipc_test_connect_raw(sock);

	ipc_test_send_msg(fd, req);
	PUMP_UNTIL(st.held != NULL);
	close(fd);
	wait_closes(1);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 0);
	cr_assert_not(ndes_ipc_peer_is_open(st.held));
	rep = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD_REPLY, st.held_id);
	errno = 0;
	cr_assert_eq(ndes_ipc_peer_send(st.held, rep), -1);
	cr_assert_eq(errno, ENOTCONN);
	ndes_ipc_peer_close(st.held); /* no-op, no second close callback */
	cr_assert_eq(st.closes, 1);
	ndes_ipc_peer_unref(st.held); /* the last reference: freed here */
	st.held = NULL;
	ndes_ipc_msg_free(req);
	ndes_ipc_msg_free(rep);
}

Test(ipc_peer, close_inside_dispatch_stops_pipelined_frames)
{
	struct ndes_ipc_msg *a = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY_REPLY, 1);
	struct ndes_ipc_msg *b = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 2);
	uint8_t out[64];
	const uint8_t *f;
	size_t la, lb;
	int fd = ipc_test_connect_raw(sock);

	f = ndes_ipc_msg_frame(a, &la);
	memcpy(out, f, la);
	f = ndes_ipc_msg_frame(b, &lb);
	memcpy(out + la, f, lb);
	raw_write(fd, out, la + lb);
	cr_assert(raw_sees_eof(fd), "closed without answering the PING");
	cr_assert_eq(st.dispatched, 1);
	cr_assert_eq(st.closes, 1);
	ndes_ipc_msg_free(a);
	ndes_ipc_msg_free(b);
	close(fd);
}

Test(ipc_peer, server_free_closes_peers_and_removes_socket)
{
	struct ndes_ipc_peer *p = must_connect_peer();
	struct stat sb;

	send_ping(p, 1, 1);
	wait_replies(1);
	cr_assert_eq(stat(sock, &sb), 0);
	cr_assert(S_ISSOCK(sb.st_mode));
	cr_assert_eq(sb.st_mode & 07777, 0660);
	ndes_ipc_server_free(srv);
	srv = NULL;
	cr_assert_eq(st.closes, 1);
	cr_assert_eq(stat(sock, &sb), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert(ipc_test_pump_until(base, &st.client_closed, 1000));
	cr_assert_null(ndes_ipc_peer_connect(base, sock, client_dispatch, NULL));
	cr_assert_eq(errno, ENOENT);
}

Test(ipc_peer, socket_path_checks)
{
	char *other = ipc_test_path(dir, "other.sock"), *file = ipc_test_path(dir, "file");
	struct ndes_ipc_server *s2;
	struct sockaddr_un sun;
	char *log;
	int fd;

	/* A stale socket (its server died) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ndes_ipc_io_sockaddr(&sun, other);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	s2 = ndes_ipc_server_new(base, other, 0600, NULL, server_dispatch, &st);
	cr_assert_not_null(s2);
	ndes_ipc_server_free(s2);

	ipc_test_stderr_begin();
	/* A live server's socket is not stolen. */
	cr_assert_null(ndes_ipc_server_new(base, sock, 0600, NULL, server_dispatch, &st));
	/* Nor is a file that is not a socket removed. */
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cr_assert_null(ndes_ipc_server_new(base, file, 0600, NULL, server_dispatch, &st));
	log = ipc_test_stderr_end();
	cr_assert_not_null(strstr(log, "crp.sock: cannot listen: Address already in use\n"), "%s", log);
	cr_assert_not_null(strstr(log, "/file: cannot listen: File exists\n"), "%s", log);
	cr_assert_eq(access(file, F_OK), 0);
	/* The running server still answers. */
	struct ndes_ipc_peer *p = must_connect_peer();
	send_ping(p, 1, 9);
	wait_replies(1);
	ndes_ipc_peer_close(p);
	free(log);
	free(other);
	free(file);
}

Test(ipc_peer, slow_reader_is_dropped)
{
	int fd = ipc_test_connect_raw(sock), sent = 0;
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PONG, 0);
	uint8_t *big = calloc(1, NDES_IPC_MAX_PAYLOAD);
	struct ndes_ipc_peer *peer;
	char *log;

	PUMP_UNTIL(st.accepted != NULL);
	peer = ndes_ipc_peer_ref(st.accepted);
	ndes_ipc_msg_add_bytes(msg, big, NDES_IPC_MAX_PAYLOAD - 5);
	ipc_test_stderr_begin();
	while (ndes_ipc_peer_send(peer, msg) == 0)
		sent++;
	log = ipc_test_stderr_end();
	cr_assert_eq(errno, ENOBUFS);
	/* What fills the output buffer, plus what went straight into the
	 * socket (its buffer, about 200 KiB by default, holds less than one
	 * frame of 256 KiB: one more frame). */
	cr_assert(sent >= (int)(NDES_IPC_PEER_MAX_OUTPUT / NDES_IPC_MAX_FRAME) &&
	    sent <= (int)(NDES_IPC_PEER_MAX_OUTPUT / NDES_IPC_MAX_FRAME) + 2, "%d sent", sent);
	cr_assert_eq(st.closes, 1);
	cr_assert_not_null(strstr(log, "not reading its replies, dropping it"), "%s", log);
	cr_assert_eq(ndes_ipc_peer_send(peer, msg), -1);
	cr_assert_eq(errno, ENOTCONN);
	ndes_ipc_peer_unref(peer);
	ndes_ipc_msg_free(msg);
	free(big);
	free(log);
	close(fd);
}

Test(ipc_peer, reply_is_in_the_socket_before_the_loop_runs_again)
{
	int fd = ipc_test_connect_raw(sock);
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PONG, 7);
	uint8_t got[256];
	const uint8_t *frame;
	size_t len;
	ssize_t n;

	PUMP_UNTIL(st.accepted != NULL);
	ndes_ipc_msg_add_str(msg, "straight to the socket");
	frame = ndes_ipc_msg_frame(msg, &len);
	cr_assert_eq(ndes_ipc_peer_send(st.accepted, msg), 0);
	/* No loop iteration since: the frame was written, not only queued. */
	n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	cr_assert_eq(n, (ssize_t)len, "recv %zd of %zu bytes", n, len);
	cr_assert_arr_eq(got, frame, len);
	ndes_ipc_msg_free(msg);
	close(fd);
}

Test(ipc_peer, accept_callback_may_refuse)
{
	int fd;

	st.refuse_next = true;
	fd = ipc_test_connect_raw(sock);
	cr_assert(raw_sees_eof(fd));
	cr_assert_eq(st.accepted_n, 1);
	cr_assert_eq(st.closes, 1);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 0);
	close(fd);
}

/* A child that becomes uid (and gid) `nobody`, connects and waits: exit 0
 * when the server closes the connection, 1 when it could not connect, 2
 * when it read data instead; killed by SIGALRM after 5 s of nothing. */
static pid_t
connect_as_nobody(void)
{
	pid_t pid = fork();
	char c;

	cr_assert_neq(pid, -1);
	if (pid != 0)
		return pid;
	if (setgroups(0, NULL) == -1 || setresgid(65534, 65534, 65534) == -1 ||
	    setresuid(65534, 65534, 65534) == -1)
		_exit(1);
	int fd = ipc_test_connect_raw(sock);
	if (fd == -1)
		_exit(1);
	signal(SIGALRM, SIG_DFL);
	alarm(5);
	_exit(read(fd, &c, 1) == 0 ? 0 : 2);
}

Test(ipc_peer, new_acl_closes_the_peers_it_no_longer_allows)
{
	const uid_t nobody = 65534;
	struct ndes_ipc_acl allow = { .uids = &nobody, .n_uids = 1 }, none = { 0 };
	struct ndes_ipc_peer *own;
	bool reaped = false;
	pid_t child;
	int status;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	cr_assert_eq(chmod(dir, 0711), 0);
	cr_assert_eq(chmod(sock, 0666), 0);
	cr_assert_eq(ndes_ipc_server_set_acl(srv, &allow), 0);
	own = must_connect_peer();
	child = connect_as_nobody();
	PUMP_UNTIL(st.accepted_n == 2);
	cr_assert_eq(ndes_ipc_peer_cred(st.accepted)->uid, nobody);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 2);

	cr_assert_eq(ndes_ipc_server_set_acl(srv, &none), 0);
	cr_assert_eq(st.closes, 1, "the peer of uid %u was not closed at once", nobody);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 1);
	/* libevent closes the socket from the loop (a finalizer) */
	PUMP_UNTIL(reaped || (reaped = waitpid(child, &status, WNOHANG) == child));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	send_ping(own, 7, 42);
	wait_replies(1);
	cr_assert_eq(st.reply_id, 7, "our own uid's peer must stay");
	ndes_ipc_peer_close(own);
}

Test(ipc_peer, send_refuses_failed_messages)
{
	struct ndes_ipc_peer *p = must_connect_peer();
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 1);

	ndes_ipc_msg_add_str(msg, "\xC3");
	cr_assert_eq(ndes_ipc_peer_send(p, msg), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(ndes_ipc_peer_send(p, NULL), -1);
	cr_assert(ndes_ipc_peer_is_open(p));
	ndes_ipc_msg_free(msg);
	ndes_ipc_peer_close(p);
}

Test(ipc_peer, default_answer_pongs_a_ping_and_refuses_the_rest)
{
	struct ndes_ipc_peer *p = must_connect_peer();

	st.answer_default = true;
	send_ping(p, 7, 99);
	wait_replies(1);
	cr_assert_eq(st.reply_type, NDES_IPC_MSG_PONG);
	cr_assert_eq(st.reply_id, 7);
	cr_assert_eq(st.reply_u32, 0, "a PONG carries no fields");
	expect_unsupported(p, NDES_IPC_MSG_VERIFY_REQUEST, 8, 2);
	ndes_ipc_peer_close(p);
}

/* The `ipc:` section every listening daemon embeds. */
struct ipc_section_cfg {
	struct ndes_ipc_listen_cfg ipc;
};
static const struct ndes_config_field ipc_section_fields[] = {
	NDES_IPC_LISTEN_CFG_FIELDS("/run/ndes/test.sock"),
};
static const struct ndes_config_schema ipc_section_schema =
    NDES_CFG_SCHEMA(struct ndes_ipc_listen_cfg, ipc_section_fields);
static const struct ndes_config_field ipc_top_fields[] = {
	NDES_CFG_MAP("ipc", struct ipc_section_cfg, ipc, ipc_section_schema),
};
static const struct ndes_config_schema ipc_top_schema =
    NDES_CFG_SCHEMA(struct ipc_section_cfg, ipc_top_fields);

Test(ipc_peer, server_from_a_config_section)
{
	struct ipc_section_cfg cfg;
	struct ndes_ipc_server *s2;
	char err[NDES_CONFIG_ERR_MAX], yaml[1024], *path = ipc_test_path(dir, "cfg.sock");
	struct stat sb;

	cr_assert_eq(ndes_config_load_string("i.yaml", "{}", &ipc_top_schema, &cfg, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.ipc.socket, "/run/ndes/test.sock");
	cr_assert_eq(cfg.ipc.mode, 0660);
	cr_assert_eq(cfg.ipc.n_allowed_uids, 0);
	cr_assert_eq(cfg.ipc.n_allowed_gids, 0);
	ndes_config_free(&ipc_top_schema, &cfg);

	snprintf(yaml, sizeof(yaml), "ipc:\n  socket: %s\n  mode: 0600\n"
	    "  allowed_uids: [12345]\n  allowed_gids: [root, 54321]\n", path);
	cr_assert_eq(ndes_config_load_string("i.yaml", yaml, &ipc_top_schema, &cfg, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ipc.n_allowed_uids, 1);
	cr_assert_eq(cfg.ipc.allowed_uids[0], 12345);
	cr_assert_eq(cfg.ipc.n_allowed_gids, 2);
	cr_assert_eq(cfg.ipc.allowed_gids[0], 0);
	cr_assert_eq(cfg.ipc.allowed_gids[1], 54321);
	s2 = ndes_ipc_server_from_cfg(base, &cfg.ipc, server_dispatch, &st);
	cr_assert_not_null(s2);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert(S_ISSOCK(sb.st_mode));
	cr_assert_eq(sb.st_mode & 07777, 0600);
	ndes_ipc_server_free(s2);
	ndes_config_free(&ipc_top_schema, &cfg);
	free(path);
}

/* A child that spins on path until it appears, then reports whether it had
 * its mode and accepted a connection at once: 0 yes, 1 wrong mode, 2
 * refused, 3 never appeared. */
static int
watch_socket_appear(const char *path, mode_t mode)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd, rc;

	for (long i = 0; i < 50000000L; i++) {
		if (lstat(path, &sb) == -1)
			continue;
		if ((sb.st_mode & 07777) != mode)
			return 1;
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ndes_ipc_io_sockaddr(&sun, path);
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		close(fd);
		return rc == 0 ? 0 : 2;
	}
	return 3;
}

Test(ipc_peer, socket_appears_listening_with_its_mode)
{
	for (int round = 0; round < 20; round++) {
		char name[32];
		snprintf(name, sizeof(name), "appear-%d.sock", round);
		char *path = ipc_test_path(dir, name);
		pid_t child = fork();
		int status;

		if (child == 0)
			_exit(watch_socket_appear(path, 0600));
		usleep(2000);
		struct ndes_ipc_server *s2 = ndes_ipc_server_new(base, path, 0600, NULL,
		    server_dispatch, &st);
		cr_assert_not_null(s2);
		cr_assert_eq(waitpid(child, &status, 0), child);
		cr_assert_eq(WEXITSTATUS(status), 0, "round %d: the socket was seen %s", round,
		    WEXITSTATUS(status) == 1 ? "with the umask's mode" : "refusing connections");
		ndes_ipc_server_free(s2);
		free(path);
	}
	/* Nothing is left under a temporary name. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -v '^crp.sock$' | grep -q .", dir);
	cr_assert_neq(system(cmd), 0, "a file other than crp.sock is left in %s", dir);
}
