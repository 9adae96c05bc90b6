/* The HTTP server's connections (common/http_conn.c): the cap, the head and
 * body deadlines against clients that trickle, keep-alive, TCP_NODELAY. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "http.h"
#include "log.h"
#include "lib/procstat.h"
#include "tls.h"
#include "test_http_util.h"

TestSuite(http_limits, .init = tpki_setup, .fini = tpki_teardown);

static void
hello(struct ndes_http_request *req, void *arg)
{
	ndes_http_reply_json(req, 200, json_pack("{s:s}", "hello", "world"));
}

static void
late_reply(evutil_socket_t fd, short what, void *arg)
{
	ndes_http_reply_json(arg, 202, json_pack("{s:b}", "late", 1));
}

/* Answers 500 ms later: longer than the deadlines the tests set. */
static void
slow(struct ndes_http_request *req, void *arg)
{
	struct timeval tv = { 0, 500000 };

	event_base_once(arg, -1, EV_TIMEOUT, late_reply, req, &tv);
}

static void
routes(struct ndes_http_server *srv, struct event_base *base)
{
	ndes_http_route(srv, "GET", "/hello", hello, NULL);
	ndes_http_route(srv, "POST", "/hello", hello, NULL);
	ndes_http_route(srv, "POST", "/slow", slow, base);
}

/* Wait up to timeout_ms for the server to close fd; what it sent before
 * (malloc'd) and *ms how long that took (-1: still open). */
static char *
wait_closed(int fd, int timeout_ms, int64_t *ms)
{
	int64_t start = procstat_now_ms();
	char *got = calloc(1, 65536);
	size_t len = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	*ms = -1;
	while (poll(&pfd, 1, (int)(timeout_ms - (procstat_now_ms() - start))) == 1) {
		if ((n = recv(fd, got + len, 65535 - len, 0)) <= 0) {
			*ms = procstat_now_ms() - start;
			break;
		}
		len += (size_t)n;
	}
	return got;
}

/* Send text one byte every gap_ms while the server keeps the connection;
 * how long it kept it after the first byte (-1: it never closed). */
static int64_t
trickle(int fd, const char *text, int gap_ms)
{
	int64_t start = procstat_now_ms();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	for (size_t i = 0; text[i] != '\0'; i++) {
		if (send(fd, text + i, 1, MSG_NOSIGNAL) != 1)
			return procstat_now_ms() - start;
		if (poll(&pfd, 1, gap_ms) == 1 && recv(fd, &c, 1, 0) <= 0)
			return procstat_now_ms() - start;
	}
	return -1;
}

/* The server closed the connection between lo_ms and 1 s after it began. */
static void
expect_closed_after(int64_t kept, int64_t lo_ms)
{
	cr_assert(kept >= lo_ms && kept < 1000, "kept %lld ms, expected %lld to 1000",
	    (long long)kept, (long long)lo_ms);
}

static void
expect_hello(int fd)
{
	const char *req = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[1024] = "";
	ssize_t n;

	cr_assert_eq(tcp_send(fd, req, strlen(req)), strlen(req));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0, "no answer");
	cr_assert(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "{\"hello\":\"world\"}"), "%s", buf);
}

/* At the cap the server stops accepting: one more connection waits in the
 * listen queue, unanswered, until one of the others closes. */
Test(http_limits, connections_over_the_cap_wait_until_one_closes)
{
	struct ndes_http_limits lim = { .max_connections = 3 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	const char *req = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pollfd pfd;
	int held[3];
	char *got;

	for (int i = 0; i < 3; i++)
		cr_assert_neq(held[i] = tcp_connect(ts->port), -1);
	pfd.fd = tcp_connect(ts->port);
	pfd.events = POLLIN;
	cr_assert_eq(tcp_send(pfd.fd, req, strlen(req)), strlen(req));
	cr_assert_eq(poll(&pfd, 1, 500), 0, "the 4th connection was served over the cap");
	expect_hello(held[0]);
	close(held[1]);
	cr_assert_eq(poll(&pfd, 1, 1000), 1, "the 4th connection still waits");
	got = tcp_read_all(pfd.fd, 100);
	cr_assert(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
	free(got);
	close(pfd.fd);
	expect_hello(held[2]);
	close(held[0]);
	close(held[2]);
	tserver_stop(ts);
}

Test(http_limits, a_trickling_head_is_closed_at_the_header_deadline)
{
	struct ndes_http_limits lim = { .header_timeout_ms = 400 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	int fd = tcp_connect(ts->port);
	int64_t kept;

	/* A byte every 100 ms: evhttp's idle timeout (30 s) never fires. */
	kept = trickle(fd, "POST /hello HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
	    100);
	expect_closed_after(kept, 300);
	close(fd);
	/* A silent connection too. */
	fd = tcp_connect(ts->port);
	free(wait_closed(fd, 2000, &kept));
	expect_closed_after(kept, 300);
	close(fd);
	tserver_stop(ts);
}

Test(http_limits, a_trickling_body_is_closed_at_the_body_deadline)
{
	struct ndes_http_limits lim = { .header_timeout_ms = 5000, .body_timeout_ms = 400 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	int fd = tcp_connect(ts->port);
	const char *head = "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n";
	int64_t kept;

	cr_assert_eq(tcp_send(fd, head, strlen(head)), strlen(head));
	kept = trickle(fd, "{\"a\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}", 100);
	expect_closed_after(kept, 300);
	close(fd);
	tserver_stop(ts);
}

/* No deadline runs while a handler works: a 500 ms answer with 200 ms
 * deadlines arrives. */
Test(http_limits, a_slow_handler_is_not_cut_by_the_deadlines)
{
	struct ndes_http_limits lim = { .header_timeout_ms = 200, .body_timeout_ms = 200 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	int fd = tcp_connect(ts->port);
	const char *req = "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
	char *got;

	cr_assert_eq(tcp_send(fd, req, strlen(req)), strlen(req));
	got = tcp_read_all(fd, 1500);
	cr_assert(strncmp(got, "HTTP/1.1 202 ", 13) == 0, "%s", got);
	free(got);
	close(fd);
	tserver_stop(ts);
}

/* Kept alive, a connection may wait (evhttp's idle timeout) longer than the
 * head deadline: that deadline starts at the next request's first byte. */
Test(http_limits, keep_alive_gives_each_request_its_own_head_deadline)
{
	struct ndes_http_limits lim = { .header_timeout_ms = 300 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	int fd = tcp_connect(ts->port);
	int64_t kept;

	expect_hello(fd);
	usleep(500000);
	expect_hello(fd);
	kept = trickle(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n", 100);
	expect_closed_after(kept, 200);
	close(fd);
	tserver_stop(ts);
}

/* In a child with 24 descriptors: a server that runs out of them (its cap
 * is above what the limit allows, as a daemon never sets it); the port
 * goes to the parent through the pipe. */
static void __attribute__((noreturn))
starved_server(const char *log, int port_fd)
{
	struct ndes_http_limits lim = { .max_connections = 1000 };
	struct rlimit rl = { 24, 24 };
	struct timeval run = { 4, 0 };
	struct event_base *base;
	struct ndes_http_server *srv;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	uint16_t port;

	if (fd == -1 || dup2(fd, 2) == -1 || close(fd) == -1)
		_exit(100);
	log_init("starved", LOG_LEVEL_INFO);
	base = event_base_new();
	srv = ndes_http_server_new(base, "127.0.0.1", 0, NULL, &lim, NULL, 0);
	if (srv == NULL || setrlimit(RLIMIT_NOFILE, &rl) == -1)
		_exit(101);
	port = ndes_http_server_port(srv);
	if (write(port_fd, &port, sizeof(port)) != sizeof(port))
		_exit(102);
	event_base_loopexit(base, &run);
	event_base_dispatch(base);
	_exit(0);
}

Test(http_limits, accept_failures_back_off_instead_of_spinning)
{
	char log[] = "/tmp/http-starved-XXXXXX";
	int p[2], fds[60], logfd = mkstemp(log);
	uint16_t port;
	pid_t pid;

	cr_assert(logfd != -1 && close(logfd) == 0 && pipe(p) == 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0)
		starved_server(log, p[1]);
	cr_assert_eq(read(p[0], &port, sizeof(port)), sizeof(port));
	for (int i = 0; i < 60; i++)
		fds[i] = tcp_connect(port);
	procstat_expect_backoff(pid, log);
	for (int i = 0; i < 60; i++)
		close(fds[i]);
	unlink(log);
	close(p[0]);
	close(p[1]);
}

/* Read one response with a Content-Length from ssl; its status. */
static int
tls_read_response(SSL *ssl)
{
	char buf[4096];
	size_t len = 0;
	char *end, *cl;
	int n;

	while ((end = (len > 0 ? strstr(buf, "\r\n\r\n") : NULL)) == NULL) {
		if (len + 1 >= sizeof(buf) || (n = SSL_read(ssl, buf + len,
		    (int)(sizeof(buf) - 1 - len))) <= 0)
			return -1;
		buf[len += (size_t)n] = '\0';
	}
	cl = strstr(buf, "Content-Length: ");
	for (size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
	    len < want; buf[len += (size_t)n] = '\0')
		if ((n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len))) <= 0)
			return -1;
	return atoi(buf + 9);
}

/* Keep-alive over TLS: the reply leaves in more than one TLS record; with
 * Nagle on, each next record waits for the client's delayed ACK (~40 ms). */
Test(http_limits, keep_alive_requests_do_not_wait_for_delayed_acks)
{
	char err[256] = "";
	SSL_CTX *sctx = ndes_tls_server_ctx_mem(tpki.srv, NULL, tpki.srv_key, NULL,
	    NDES_TLS_CLIENT_AUTH_NONE, err, sizeof(err));
	SSL_CTX *cctx = ndes_tls_client_ctx_mem(tpki.cas, NULL, NULL, err, sizeof(err));
	struct tserver *ts = tserver_start(sctx, NULL, routes);
	int fd = tcp_connect(ts->port), one = 1;
	const char *req = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
	SSL *ssl = SSL_new(cctx);
	int64_t start;

	cr_assert(sctx != NULL && cctx != NULL, "%s", err);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	cr_assert_eq(SSL_connect(ssl), 1);
	start = procstat_now_ms();
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
		cr_assert_eq(tls_read_response(ssl), 200, "request %d", i);
	}
	cr_assert_lt(procstat_now_ms() - start, 400, "20 requests took %lld ms",
	    (long long)(procstat_now_ms() - start));
	SSL_free(ssl);
	close(fd);
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}
