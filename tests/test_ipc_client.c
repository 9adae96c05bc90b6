/* Blocking IPC client: round trips, partial I/O, timeouts, bad replies. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ipc.h"
#include "ipc_client.h"
#include "ipc_int.h"
#include "test_ipc_util.h"

static char *dir;
static char *sock;
static pid_t server_pid;

static void
setup(void)
{
	dir = ipc_test_tmpdir();
	sock = ipc_test_path(dir, "crp.sock");
}

static void
teardown(void)
{
	ipc_test_kill(server_pid);
	free(sock);
	tmpdir_remove(dir);
}

TestSuite(ipc_client, .init = setup, .fini = teardown);

static int64_t
now_ms(void)
{
	return ndes_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

static int
listen_at(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(ndes_ipc_io_sockaddr(&sun, path), 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	return fd;
}

/* Fork a one-connection server running fn on the accepted socket. */
static pid_t
fake_server(const char *path, void (*fn)(int conn))
{
	int lfd = listen_at(path), conn;
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if ((conn = accept(lfd, NULL, NULL)) == -1)
			_exit(2);
		fn(conn);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static struct ndes_ipc_client *
must_connect(void)
{
	char err[256] = "";
	struct ndes_ipc_client *c = ndes_ipc_client_connect(sock, 1000, err, sizeof(err));

	cr_assert_not_null(c, "connect: %s", err);
	return c;
}

/* A client of a freshly spawned echo server (see test_ipc_util.h). */
static struct ndes_ipc_client *
echo_client(void)
{
	server_pid = ipc_test_spawn_echo_server(sock);
	return must_connect();
}

/* A call that must succeed within ms: the reply. */
static struct ndes_ipc_frame *
must_call(struct ndes_ipc_client *c, const struct ndes_ipc_msg *req, int ms)
{
	struct ndes_ipc_frame *reply = NULL;
	char err[256] = "";

	cr_assert_eq(ndes_ipc_client_call(c, req, &reply, ms, err, sizeof(err)), 0, "%s", err);
	return reply;
}

/* The request a fake server got, answered by a reply built from it. */
static struct ndes_ipc_frame *
fake_read_request(int conn)
{
	struct ndes_ipc_frame *req = ipc_test_read_frame(conn, 2000);

	if (req == NULL)
		_exit(3);
	return req;
}

static struct ndes_ipc_msg *
ping(uint32_t id, uint32_t value)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_PING, id);

	ndes_ipc_msg_add_u32(msg, value);
	ndes_ipc_msg_add_str(msg, "hello");
	ndes_ipc_msg_add_bytes(msg, "\x00\x01\x02", 3);
	return msg;
}

static void
assert_pong(const struct ndes_ipc_frame *reply, uint32_t id, uint32_t value)
{
	struct ndes_ipc_reader r;
	uint32_t v;
	const char *s;
	const uint8_t *p;
	size_t len;

	cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_PONG);
	cr_assert_eq(ndes_ipc_frame_header(reply)->request_id, id);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_u32(&r, &v), 0);
	cr_assert_eq(v, value);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p, &len), 0);
	cr_assert_eq(len, 3);
	cr_assert_arr_eq(p, "\x00\x01\x02", 3);
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
}

Test(ipc_client, round_trip_with_server)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req;
	struct ndes_ipc_frame *reply;
	uint32_t id;

	c = echo_client();
	for (int i = 0; i < 3; i++) {
		id = ndes_ipc_client_next_id(c);
		cr_assert_eq(id, (uint32_t)i + 1);
		req = ping(id, 1000 + i);
		reply = must_call(c, req, 1000);
		assert_pong(reply, id, 1000 + i);
		ndes_ipc_frame_free(reply);
		ndes_ipc_msg_free(req);
	}
	ndes_ipc_client_free(c);
	ndes_ipc_client_free(NULL);
}

Test(ipc_client, unknown_type_gets_error_reply)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, 4);
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_reader r;
	uint32_t code;
	const char *text;

	c = echo_client();
	reply = must_call(c, req, 1000);
	cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_ERROR);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_error(&r, &code, &text), 0);
	cr_assert_eq(code, NDES_IPC_ERR_UNSUPPORTED);
	cr_assert_str_eq(text, "unsupported message type");
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
}

Test(ipc_client, largest_frame_both_ways)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 9);
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_reader r;
	const uint8_t *p;
	uint8_t *big = malloc(NDES_IPC_MAX_PAYLOAD);
	size_t len, n = NDES_IPC_MAX_PAYLOAD - 5;

	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7 % 251);
	cr_assert_eq(ndes_ipc_msg_add_bytes(req, big, n), 0);
	c = echo_client();
	reply = must_call(c, req, 2000);
	cr_assert_eq(ndes_ipc_frame_header(reply)->payload_len, NDES_IPC_MAX_PAYLOAD);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p, &len), 0);
	cr_assert_eq(len, n);
	cr_assert_eq(memcmp(p, big, n), 0);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
	free(big);
}

static void
reply_byte_by_byte(int conn)
{
	struct ndes_ipc_frame *req = fake_read_request(conn);
	struct ndes_ipc_msg *rep = ndes_ipc_msg_new(NDES_IPC_MSG_PONG,
	    ndes_ipc_frame_header(req)->request_id);
	const uint8_t *buf;
	size_t len;

	ndes_ipc_msg_add_u32(rep, 5);
	ndes_ipc_msg_add_str(rep, "hello");
	ndes_ipc_msg_add_bytes(rep, "\x00\x01\x02", 3);
	buf = ndes_ipc_msg_frame(rep, &len);
	for (size_t i = 0; i < len; i++) {
		if (write(conn, buf + i, 1) != 1)
			_exit(4);
		usleep(500);
	}
}

Test(ipc_client, reply_arriving_one_byte_at_a_time)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req = ping(21, 5);
	struct ndes_ipc_frame *reply;

	server_pid = fake_server(sock, reply_byte_by_byte);
	c = must_connect();
	reply = must_call(c, req, 2000);
	assert_pong(reply, 21, 5);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
}

/* A server that reads slowly through tiny socket buffers, then echoes. */
static void
slow_small_buffer_echo(int conn)
{
	int small = 4096;
	uint8_t *buf = malloc(NDES_IPC_MAX_FRAME);
	struct ndes_ipc_header hdr;
	size_t got = 0, flen = NDES_IPC_HEADER_LEN;
	ssize_t n;

	setsockopt(conn, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	while (got < flen) {
		n = read(conn, buf + got, flen - got < 1000 ? flen - got : 1000);
		if (n <= 0)
			_exit(5);
		got += (size_t)n;
		if (ndes_ipc_frame_parse(buf, got, &hdr, &flen) < 0)
			_exit(6);
	}
	for (size_t off = 0; off < flen; off += (size_t)n)
		if ((n = write(conn, buf + off, flen - off < 3000 ? flen - off : 3000)) <= 0)
			_exit(7);
	free(buf);
}

Test(ipc_client, big_frames_through_small_socket_buffers)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 3);
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_reader r;
	const uint8_t *p;
	uint8_t *big = malloc(200000);
	size_t len;

	for (size_t i = 0; i < 200000; i++)
		big[i] = (uint8_t)(i * 13 % 253);
	ndes_ipc_msg_add_bytes(req, big, 200000);
	server_pid = fake_server(sock, slow_small_buffer_echo);
	c = must_connect();
	reply = must_call(c, req, 3000);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p, &len), 0);
	cr_assert_eq(len, 200000);
	cr_assert_eq(memcmp(p, big, len), 0);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
	free(big);
}

static void
assert_call_fails(struct ndes_ipc_client *c, struct ndes_ipc_msg *req, int want_errno,
    const char *want_err)
{
	struct ndes_ipc_frame *reply = (void *)1;
	char err[256] = "";

	cr_assert_eq(ndes_ipc_client_call(c, req, &reply, 1000, err, sizeof(err)), -1);
	cr_assert_eq(errno, want_errno, "errno %d (%s), want %d", errno, strerror(errno),
	    want_errno);
	cr_assert_str_eq(err, want_err);
	cr_assert_null(reply);
}

Test(ipc_client, timeout_when_server_never_accepts)
{
	int lfd = listen_at(sock);
	struct ndes_ipc_client *c = must_connect();
	struct ndes_ipc_msg *req = ping(1, 1);
	struct ndes_ipc_frame *reply;
	char err[256];
	int64_t t0, elapsed;

	t0 = now_ms();
	cr_assert_eq(ndes_ipc_client_call(c, req, &reply, 200, err, sizeof(err)), -1);
	elapsed = now_ms() - t0;
	cr_assert_eq(errno, ETIMEDOUT);
	cr_assert_str_eq(err, "timed out after 200 ms waiting for the server");
	cr_assert(elapsed >= 195 && elapsed < 700, "took %lld ms", (long long)elapsed);
	/* The stream may be mid-frame: the handle is spent. */
	assert_call_fails(c, req, ENOTCONN, "connection unusable after an earlier failure");
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
	close(lfd);
}

Test(ipc_client, timeout_when_request_is_never_answered)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 2);
	struct ndes_ipc_frame *reply;
	char err[256];
	int64_t t0, elapsed;

	c = echo_client();
	t0 = now_ms();
	cr_assert_eq(ndes_ipc_client_call(c, req, &reply, 150, err, sizeof(err)), -1);
	elapsed = now_ms() - t0;
	cr_assert_eq(errno, ETIMEDOUT);
	cr_assert(elapsed >= 145 && elapsed < 600, "took %lld ms", (long long)elapsed);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
}

static void
reply_wrong_id(int conn)
{
	struct ndes_ipc_frame *req = fake_read_request(conn);
	struct ndes_ipc_msg *rep = ndes_ipc_msg_new(NDES_IPC_MSG_PONG,
	    ndes_ipc_frame_header(req)->request_id + 1);

	ipc_test_send_msg(conn, rep);
	pause();
}

/* Answer the request with a bare PONG header for request 7, then nothing
 * more: a payload announced there never comes (refused from the header). */
static void
reply_header(int conn, uint8_t version, uint32_t payload_len)
{
	struct ndes_ipc_header hdr = { version, NDES_IPC_MSG_PONG, 7, payload_len };
	uint8_t buf[NDES_IPC_HEADER_LEN];

	ndes_ipc_frame_free(fake_read_request(conn));
	ndes_ipc_header_encode(&hdr, buf);
	if (write(conn, buf, sizeof(buf)) != sizeof(buf))
		_exit(4);
	pause();
}

static void
reply_version_2(int conn)
{
	reply_header(conn, 2, 0);
}

static void
reply_too_large(int conn)
{
	reply_header(conn, 1, NDES_IPC_MAX_PAYLOAD + 1);
}

static void
close_after_request(int conn)
{
	ndes_ipc_frame_free(fake_read_request(conn));
	close(conn);
}

static void
truncated_reply(int conn)
{
	struct ndes_ipc_frame *req = fake_read_request(conn);
	struct ndes_ipc_msg *rep = ndes_ipc_msg_new(NDES_IPC_MSG_PONG,
	    ndes_ipc_frame_header(req)->request_id);
	const uint8_t *buf;
	size_t len;

	ndes_ipc_msg_add_str(rep, "a reply cut short");
	buf = ndes_ipc_msg_frame(rep, &len);
	if (write(conn, buf, len - 4) != (ssize_t)len - 4)
		_exit(4);
	close(conn);
}

/* PING 7 to a fake server that answers badly: the call fails with errno and
 * the message, at once (well before its one-second timeout). */
static void
expect_bad_reply(void (*server)(int conn), int want_errno, const char *want_err)
{
	struct ndes_ipc_msg *req = ping(7, 1);
	struct ndes_ipc_client *c;
	int64_t t0 = now_ms();

	server_pid = fake_server(sock, server);
	c = must_connect();
	assert_call_fails(c, req, want_errno, want_err);
	cr_assert_lt(now_ms() - t0, 500);
	ndes_ipc_msg_free(req);
	ndes_ipc_client_free(c);
}

/* One row, one test: the fake server, errno, the message. */
#define BAD_REPLY(name, server, want_errno, want_err) \
	Test(ipc_client, name) { expect_bad_reply((server), (want_errno), (want_err)); }

BAD_REPLY(reply_with_other_request_id_is_refused, reply_wrong_id, EPROTO,
    "reply request id 8 does not match request 7")
BAD_REPLY(reply_with_wrong_version_is_refused, reply_version_2, EPROTO,
    "bad reply: unsupported protocol version")
BAD_REPLY(oversized_reply_refused_from_header, reply_too_large, EPROTO,
    "bad reply: frame too large")
BAD_REPLY(server_closing_is_reported, close_after_request, ECONNRESET,
    "reading reply: connection closed by the server")
BAD_REPLY(truncated_reply_is_reported, truncated_reply, ECONNRESET,
    "reading reply: connection closed by the server")

Test(ipc_client, connect_errors)
{
	char err[256], want[512], longpath[200];
	int fd;

	cr_assert_null(ndes_ipc_client_connect(sock, 100, err, sizeof(err)));
	cr_assert_eq(errno, ENOENT);
	snprintf(want, sizeof(want), "connect %s: No such file or directory", sock);
	cr_assert_str_eq(err, want);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cr_assert_null(ndes_ipc_client_connect(longpath, 100, err, sizeof(err)));
	cr_assert_eq(errno, ENAMETOOLONG);

	fd = listen_at(sock);
	close(fd); /* the socket file stays, nobody listens */
	cr_assert_null(ndes_ipc_client_connect(sock, 100, NULL, 0));
	cr_assert_eq(errno, ECONNREFUSED);
}

Test(ipc_client, failed_request_message_does_not_spend_the_handle)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *bad = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 1);
	struct ndes_ipc_msg *good = ping(2, 2);
	struct ndes_ipc_frame *reply;

	ndes_ipc_msg_add_str(bad, "\xFF");
	c = echo_client();
	assert_call_fails(c, bad, EINVAL, "request message is invalid (a field failed to encode)");
	reply = must_call(c, good, 1000);
	assert_pong(reply, 2, 2);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(bad);
	ndes_ipc_msg_free(good);
	ndes_ipc_client_free(c);
}

#define THREADS 4
#define CALLS 25

static void *
caller_thread(void *arg)
{
	struct ndes_ipc_client *c = arg;
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_msg *req;
	struct ndes_ipc_reader r;
	uint32_t id, v;
	char err[256];
	intptr_t ok = 0;

	for (int i = 0; i < CALLS; i++) {
		id = ndes_ipc_client_next_id(c);
		req = ping(id, id * 3);
		if (ndes_ipc_client_call(c, req, &reply, 2000, err, sizeof(err)) == 0) {
			ndes_ipc_frame_reader(reply, &r);
			if (ndes_ipc_frame_header(reply)->request_id == id &&
			    ndes_ipc_get_u32(&r, &v) == 0 && v == id * 3)
				ok++;
			ndes_ipc_frame_free(reply);
		}
		ndes_ipc_msg_free(req);
	}
	return (void *)ok;
}

Test(ipc_client, one_handle_shared_by_threads)
{
	struct ndes_ipc_client *c;
	pthread_t th[THREADS];
	void *ok;
	intptr_t total = 0;

	c = echo_client();
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, caller_thread, c), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], &ok);
		total += (intptr_t)ok;
	}
	cr_assert_eq(total, THREADS * CALLS);
	cr_assert_eq(ndes_ipc_client_next_id(c), THREADS * CALLS + 1);
	ndes_ipc_client_free(c);
}

/* ---- the deadline I/O helpers on a socketpair ---- */

Test(ipc_io, write_all_through_a_small_buffer)
{
	int sv[2], small = 4096, status;
	size_t n = 200000;
	uint8_t *buf = malloc(n);
	pid_t pid;

	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 % 251);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pid = fork();
	if (pid == 0) {
		uint8_t chunk[512];
		size_t got = 0;
		ssize_t r;

		close(sv[0]);
		fcntl(sv[1], F_SETFL, 0); /* blocking reads in the child */
		while ((r = read(sv[1], chunk, sizeof(chunk))) > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (chunk[i] != (uint8_t)((got + (size_t)i) * 7 % 251))
					_exit(1);
			got += (size_t)r;
			if (got % 20480 < 512)
				usleep(200);
		}
		_exit(got == n ? 0 : 2);
	}
	close(sv[1]);
	cr_assert_eq(ndes_ipc_io_write_all(sv[0], buf, n, ndes_ipc_deadline(3000)), 0);
	close(sv[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader status %d", status);
	free(buf);
}

Test(ipc_io, read_exact_one_byte_at_a_time_then_timeout)
{
	int sv[2], status;
	uint8_t buf[64];
	pid_t pid;
	int64_t t0;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < 64; i++) {
			uint8_t b = (uint8_t)i;
			if (write(sv[1], &b, 1) != 1)
				_exit(1);
			usleep(300);
		}
		pause();
		_exit(0);
	}
	close(sv[1]);
	cr_assert_eq(ndes_ipc_io_read_exact(sv[0], buf, sizeof(buf), ndes_ipc_deadline(2000)), 0);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(buf[i], i);
	t0 = now_ms();
	cr_assert_eq(ndes_ipc_io_read_exact(sv[0], buf, 1, ndes_ipc_deadline(50)), -1);
	cr_assert_eq(errno, ETIMEDOUT);
	cr_assert_geq(now_ms() - t0, 49);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(sv[0]);
}

Test(ipc_io, closed_peer_gives_epipe_not_sigpipe)
{
	int sv[2];
	uint8_t buf[100] = { 0 };

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	close(sv[1]);
	cr_assert_eq(ndes_ipc_io_write_all(sv[0], buf, sizeof(buf), ndes_ipc_deadline(100)), -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(ndes_ipc_io_read_exact(sv[0], buf, 1, ndes_ipc_deadline(100)), -1);
	cr_assert_eq(errno, ECONNRESET);
	close(sv[0]);
}
