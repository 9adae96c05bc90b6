/* HTTP server, TLS contexts and JSON helpers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "http.h"
#include "http_client.h"
#include "tls.h"
#include "test_http_util.h"

TestSuite(http, .init = tpki_setup, .fini = tpki_teardown);

static int handler_calls;

static void
echo_handler(struct ndes_http_request *req, void *arg)
{
	char err[256];
	json_t *body = ndes_http_body_json(req, err, sizeof(err));
	const char *q = ndes_http_query(req, "x"), *h = ndes_http_header(req, "x-test");

	handler_calls++;
	if (body == NULL) {
		ndes_http_reply_error(req, 400, "bad_request", "%s", err);
		return;
	}
	ndes_http_reply_json(req, 201, json_pack("{s:s,s:s,s:o,s:s?,s:s?}", "method", req->method,
	    "path", req->path, "got", body, "x", q, "h", h));
}

static void
hello_handler(struct ndes_http_request *req, void *arg)
{
	char subject[256] = "none";

	if (req->client_cert != NULL)
		ndes_tls_subject(req->client_cert, subject, sizeof(subject));
	ndes_http_reply_json(req, 200, json_pack("{s:s,s:s}", "route", (const char *)arg,
	    "subject", subject));
}

static void
deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ndes_http_request *req = arg;

	ndes_http_reply_json(req, 202, json_pack("{s:b}", "late", 1));
}

/* Replies 30 ms later from a timer, as crpd does from its thread pool's wake-up. */
static void
async_handler(struct ndes_http_request *req, void *arg)
{
	struct event_base *base = arg;
	struct timeval tv = { 0, 30000 };

	event_base_once(base, -1, EV_TIMEOUT, deferred_cb, req, &tv);
}

static void
routes(struct ndes_http_server *srv, struct event_base *base)
{
	ndes_http_route(srv, "POST", "/echo", echo_handler, NULL);
	ndes_http_route(srv, "GET", "/api/special", hello_handler, "exact");
	ndes_http_route_prefix(srv, "GET", "/api/", hello_handler, "prefix");
	ndes_http_route_prefix(srv, "GET", "/api/v2/", hello_handler, "longer prefix");
	ndes_http_route_flags(srv, "GET", "/mtls", NDES_HTTP_ROUTE_CLIENT_CERT, hello_handler,
	    "mtls");
	ndes_http_route(srv, "GET", "/async", async_handler, base);
}

static enum ndes_http_err
fetch(const char *scheme, uint16_t port, SSL_CTX *tls, const char *method, const char *path,
    const char *body, int *status, char **out, char *err)
{
	struct ndes_http_fetch_opts o = { .method = method, .path = path, .body = body,
	    .len = body ? strlen(body) : 0, .content_type = body ? "application/json" : NULL };
	char url[64];
	const char *headers[] = { "X-Test", "yes", NULL };

	snprintf(url, sizeof(url), "%s://127.0.0.1:%u", scheme, port);
	o.client.base_url = url;
	o.client.tls = tls;
	o.client.timeout_ms = 5000;
	o.headers = headers;
	*out = NULL;
	return ndes_http_fetch(&o, status, out, NULL, err, 256);
}

/* A request that must be answered with want_status and exactly want_body
 * (NULL: any body). */
static void
expect_reply(const char *scheme, uint16_t port, SSL_CTX *tls, const char *method,
    const char *path, const char *body, int want_status, const char *want_body)
{
	char err[256], *got;
	int status;

	cr_assert_eq(fetch(scheme, port, tls, method, path, body, &status, &got, err),
	    NDES_HTTP_OK, "%s", err);
	cr_assert_eq(status, want_status, "%s %s: %d %s", method, path, status, got);
	if (want_body != NULL)
		cr_assert_str_eq(got, want_body);
	free(got);
}

Test(http, plain_json_round_trip)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);

	expect_reply("http", ts->port, NULL, "POST", "/echo?x=a%20b", "{\"n\":1}", 201,
	    "{\"method\":\"POST\",\"path\":\"/echo\",\"got\":{\"n\":1},"
	    "\"x\":\"a b\",\"h\":\"yes\"}");
	tserver_stop(ts);
}

Test(http, bad_json_body_is_400_with_message)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);

	expect_reply("http", ts->port, NULL, "POST", "/echo", "{\"n\":", 400,
	    "{\"error\":{\"code\":\"bad_request\",\"message\":\"request body is "
	    "not valid JSON: unexpected token near end of file at line 1, column 5\"}}");
	expect_reply("http", ts->port, NULL, "POST", "/echo", "[1]", 400,
	    "{\"error\":{\"code\":\"bad_request\",\"message\":"
	    "\"request body must be a JSON object\"}}");
	tserver_stop(ts);
}

Test(http, unknown_path_is_404_json)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);

	expect_reply("http", ts->port, NULL, "GET", "/nope", NULL, 404,
	    "{\"error\":{\"code\":\"not_found\",\"message\":\"no such resource: /nope\"}}");
	tserver_stop(ts);
}

Test(http, wrong_method_is_405_with_allow)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);
	int fd = tcp_connect(ts->port);
	const char *req = "DELETE /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char *resp;

	tcp_send(fd, req, strlen(req));
	resp = tcp_read_all(fd, 2000);
	cr_assert(strncmp(resp, "HTTP/1.1 405 ", 13) == 0, "%s", resp);
	cr_assert(strstr(resp, "\r\nAllow: POST\r\n") != NULL, "%s", resp);
	cr_assert(strstr(resp, "\r\n\r\n{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
	    "\"method DELETE is not allowed on /echo\"}}") != NULL, "%s", resp);
	free(resp);
	close(fd);
	tserver_stop(ts);
}

Test(http, exact_route_wins_then_longest_prefix)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);

	expect_reply("http", ts->port, NULL, "GET", "/api/special", NULL, 200,
	    "{\"route\":\"exact\",\"subject\":\"none\"}");
	expect_reply("http", ts->port, NULL, "GET", "/api/special/x", NULL, 200,
	    "{\"route\":\"prefix\",\"subject\":\"none\"}");
	expect_reply("http", ts->port, NULL, "GET", "/api/v2/thing", NULL, 200,
	    "{\"route\":\"longer prefix\",\"subject\":\"none\"}");
	tserver_stop(ts);
}

Test(http, reply_later_from_another_callback)
{
	struct tserver *ts = tserver_start(NULL, NULL, routes);

	expect_reply("http", ts->port, NULL, "GET", "/async", NULL, 202, "{\"late\":true}");
	tserver_stop(ts);
}

/* A client announcing a 1 GB body is refused after its headers: the 413
 * arrives while almost all of the body is still unsent, and no handler runs. */
Test(http, body_over_limit_is_413_without_reading_it)
{
	struct ndes_http_limits lim = { .max_body_size = 65534 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	int fd = tcp_connect(ts->port);
	const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	    "Content-Length: 1000000000\r\n\r\n";
	char chunk[65536], *resp;
	struct timespec t0, t1;

	handler_calls = 0;
	memset(chunk, ' ', sizeof(chunk));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(tcp_send(fd, head, strlen(head)), strlen(head));
	tcp_send(fd, chunk, sizeof(chunk));
	resp = tcp_read_all(fd, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(strncmp(resp, "HTTP/1.1 413 ", 13) == 0, "%s", resp);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 3);
	cr_assert_eq(handler_calls, 0);
	free(resp);
	close(fd);
	/* A body at the limit still passes. */
	{
		char *big = malloc(65535);

		memset(big, ' ', 65534);
		big[0] = '{';
		big[65532] = '}';
		big[65534] = '\0';
		expect_reply("http", ts->port, NULL, "POST", "/echo", big, 201, NULL);
		free(big);
	}
	tserver_stop(ts);
}

/* On a new connection: head padded with fill to 9000 bytes, then tail;
 * answered 400 Bad Request. */
static void
expect_bad_request(const struct tserver *ts, const char *head, char fill, const char *tail)
{
	int fd = tcp_connect(ts->port);
	char line[9000], *resp;

	memset(line, fill, sizeof(line));
	memcpy(line, head, strlen(head));
	tcp_send(fd, line, sizeof(line));
	tcp_send(fd, tail, strlen(tail));
	resp = tcp_read_all(fd, 3000);
	cr_assert(strncmp(resp, "HTTP/1.1 400 Bad Request\r\n", 26) == 0, "%s: %s", head, resp);
	free(resp);
	close(fd);
}

Test(http, request_line_over_limit_is_refused)
{
	struct ndes_http_limits lim = { .max_headers_size = 4096 };
	struct tserver *ts = tserver_start(NULL, &lim, routes);
	char *line = malloc(9000);

	handler_calls = 0;
	expect_bad_request(ts, "POST /echo?x=", 'a', " HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(handler_calls, 0);
	/* So is a header block over the limit. */
	expect_bad_request(ts, "GET /api/x HTTP/1.1\r\nHost: x\r\nX-Big: ", 'b', "\r\n\r\n");
	/* Under the limit the same kind of line reaches its route. */
	memset(line, 'a', 3000);
	memcpy(line, "/api/x?x=", 9);
	line[3000] = '\0';
	expect_reply("http", ts->port, NULL, "GET", line, NULL, 200,
	    "{\"route\":\"prefix\",\"subject\":\"none\"}");
	free(line);
	tserver_stop(ts);
}

static SSL_CTX *
server_ctx(enum ndes_tls_client_auth auth)
{
	char err[256] = "";
	SSL_CTX *ctx = ndes_tls_server_ctx_mem(tpki.srv, NULL, tpki.srv_key,
	    auth ? tpki.cas : NULL, auth, err, sizeof(err));

	cr_assert_not_null(ctx, "%s", err);
	return ctx;
}

static SSL_CTX *
client_ctx(bool with_cert)
{
	char err[256] = "";
	SSL_CTX *ctx = ndes_tls_client_ctx_mem(tpki.cas, with_cert ? tpki.client : NULL,
	    with_cert ? tpki.client_key : NULL, err, sizeof(err));

	cr_assert_not_null(ctx, "%s", err);
	return ctx;
}

Test(http, client_cert_route_needs_a_certificate)
{
	SSL_CTX *sctx = server_ctx(NDES_TLS_CLIENT_AUTH_OPTIONAL);
	SSL_CTX *anon = client_ctx(false), *mtls = client_ctx(true);
	struct tserver *ts = tserver_start(sctx, NULL, routes);

	expect_reply("https", ts->port, anon, "GET", "/mtls", NULL, 401,
	    "{\"error\":{\"code\":\"client_certificate_required\","
	    "\"message\":\"/mtls needs a TLS client certificate\"}}");
	expect_reply("https", ts->port, mtls, "GET", "/mtls", NULL, 200,
	    "{\"route\":\"mtls\",\"subject\":\"CN=connector-1\"}");
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(anon);
	SSL_CTX_free(mtls);
}

Test(http, required_client_auth_fails_the_handshake_without_a_certificate)
{
	SSL_CTX *sctx = server_ctx(NDES_TLS_CLIENT_AUTH_REQUIRED);
	SSL_CTX *anon = client_ctx(false), *mtls = client_ctx(true);
	struct tserver *ts = tserver_start(sctx, NULL, routes);
	char err[256], want[64], *body;
	int status;

	cr_assert_eq(fetch("https", ts->port, anon, "GET", "/mtls", NULL, &status, &body, err),
	    NDES_HTTP_ERR_TLS);
	snprintf(want, sizeof(want), "TLS with 127.0.0.1:%u failed: ", ts->port);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
	/* the client speaks TLS 1.2 (common/http_client_tls.c): the refusal is
	 * the server's alert inside the handshake */
	cr_assert(strstr(err, "SSL routines::sslv3 alert handshake failure") != NULL, "%s",
	    err);
	expect_reply("https", ts->port, mtls, "GET", "/api/x", NULL, 200,
	    "{\"route\":\"prefix\",\"subject\":\"CN=connector-1\"}");
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(anon);
	SSL_CTX_free(mtls);
}

Test(http, key_files_readable_by_others_are_refused)
{
	char dir[] = "/tmp/ndes-http-XXXXXX", err[512] = "", want[600];
	char *certpem = pem_cert(tpki.srv), *keypem = pem_key(tpki.srv_key);
	char *capem = pem_cert(tpki.ca), *cert, *key, *ca;
	SSL_CTX *ctx;

	cr_assert_not_null(mkdtemp(dir));
	cert = write_file(dir, "srv.pem", certpem, 0644);
	key = write_file(dir, "srv.key", keypem, 0640);
	ca = write_file(dir, "ca.pem", capem, 0644);
	ctx = ndes_tls_server_ctx(cert, key, NULL, NDES_TLS_CLIENT_AUTH_NONE, err, sizeof(err));
	cr_assert_null(ctx);
	snprintf(want, sizeof(want), "private key %s is readable by group or others (mode 0640):"
	    " chmod 600 it", key);
	cr_assert_str_eq(err, want);
	free(key);
	key = write_file(dir, "srv.key", keypem, 0600);
	ctx = ndes_tls_server_ctx(cert, key, ca, NDES_TLS_CLIENT_AUTH_REQUIRED, err, sizeof(err));
	cr_assert_not_null(ctx, "%s", err);
	SSL_CTX_free(ctx);
	ctx = ndes_tls_server_ctx(cert, key, NULL, NDES_TLS_CLIENT_AUTH_OPTIONAL, err,
	    sizeof(err));
	cr_assert_null(ctx);
	cr_assert_str_eq(err, "client certificates need a client CA");
	ctx = ndes_tls_client_ctx(ca, cert, key, err, sizeof(err));
	cr_assert_not_null(ctx, "%s", err);
	SSL_CTX_free(ctx);
	unlink(cert);
	unlink(key);
	unlink(ca);
	rmdir(dir);
	free(cert);
	free(key);
	free(ca);
	free(certpem);
	free(keypem);
	free(capem);
}

Test(http, server_new_reports_a_busy_port)
{
	struct event_base *base = event_base_new();
	char err[256];
	struct ndes_http_server *a = ndes_http_server_new(base, "127.0.0.1", 0, NULL, NULL,
	    err, sizeof(err));
	struct ndes_http_server *b;
	char want[128];

	cr_assert_not_null(a, "%s", err);
	cr_assert_neq(ndes_http_server_port(a), 0);
	b = ndes_http_server_new(base, "127.0.0.1", ndes_http_server_port(a), NULL, NULL, err,
	    sizeof(err));
	cr_assert_null(b);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1 port %u: Address already in use",
	    ndes_http_server_port(a));
	cr_assert_str_eq(err, want);
	ndes_http_server_free(a);
	ndes_http_server_free(NULL);
	event_base_free(base);
}

/* ---- JSON field helpers ---- */

Test(http_json, typed_fields_name_the_field)
{
	json_t *o = json_pack("{s:s,s:i,s:b,s:[],s:{},s:n,s:i}", "transactionId", "t-1",
	    "maxRequests", 501, "succeeded", 1, "results", "downloadParameters", "gone",
	    "count", 7);
	const char *s = "unchanged";
	json_int_t n = -1;
	bool b = false;
	json_t *a = NULL;
	char err[128];

	cr_assert_eq(ndes_json_get_string(o, "transactionId", true, &s, err, sizeof(err)), 0);
	cr_assert_str_eq(s, "t-1");
	cr_assert_eq(ndes_json_get_string(o, "maxRequests", true, &s, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"maxRequests\": expected a string");
	cr_assert_eq(ndes_json_get_string(o, "callerInfo", true, &s, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"callerInfo\": required");
	s = "kept";
	cr_assert_eq(ndes_json_get_string(o, "gone", false, &s, err, sizeof(err)), 0);
	cr_assert_str_eq(s, "kept");
	cr_assert_eq(ndes_json_get_int(o, "maxRequests", true, 1, 500, &n, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"maxRequests\": must be between 1 and 500");
	cr_assert_eq(ndes_json_get_int(o, "count", true, 1, 500, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 7);
	cr_assert_eq(ndes_json_get_int(o, "transactionId", false, 0, 9, &n, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"transactionId\": expected an integer");
	cr_assert_eq(ndes_json_get_bool(o, "succeeded", true, &b, err, sizeof(err)), 0);
	cr_assert(b);
	cr_assert_eq(ndes_json_get_bool(o, "count", true, &b, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"count\": expected a boolean");
	cr_assert_eq(ndes_json_get_array(o, "results", true, &a, err, sizeof(err)), 0);
	cr_assert(json_is_array(a));
	cr_assert_eq(ndes_json_get_array(o, "downloadParameters", true, &a, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"downloadParameters\": expected an array");
	cr_assert_eq(ndes_json_get_object(o, "downloadParameters", true, &a, err, sizeof(err)), 0);
	cr_assert(json_is_object(a));
	cr_assert_eq(ndes_json_get_object(o, "results", true, &a, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"results\": expected an object");
	/* null (or no object at all) is absent: "required" when it must be
	 * there, else the output is untouched */
	cr_assert_eq(ndes_json_get_bool(o, "gone", true, &b, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"gone\": required");
	n = 42;
	cr_assert_eq(ndes_json_get_int(o, "gone", false, 0, 9, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 42);
	json_object_set_new(o, "succeeded", json_false());
	cr_assert_eq(ndes_json_get_bool(o, "succeeded", true, &b, err, sizeof(err)), 0);
	cr_assert_not(b);
	cr_assert_eq(ndes_json_get_object(NULL, "x", true, &a, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "field \"x\": required");
	json_decref(o);
}
