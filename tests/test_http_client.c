/* HTTP client: TLS verification, error kinds, proxy, response framing. */
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

TestSuite(http_client, .init = tpki_setup, .fini = tpki_teardown);

/* Echoes the headers the client adds on its own. */
static void
whoami_handler(struct ndes_http_request *req, void *arg)
{
	const char *id = ndes_http_header(req, "client-request-id");
	const char *ver = ndes_http_header(req, "api-version");

	ndes_http_reply_json(req, 200, json_pack("{s:s?,s:s?,s:s}", "requestId", id,
	    "apiVersion", ver, "path", req->path));
}

static void
routes(struct ndes_http_server *srv, struct event_base *base)
{
	ndes_http_route(srv, "GET", "/whoami", whoami_handler, NULL);
	ndes_http_route(srv, "POST", "/whoami", whoami_handler, NULL);
}

static SSL_CTX *
server_ctx(X509 *cert, EVP_PKEY *key)
{
	char err[256] = "";
	SSL_CTX *ctx = ndes_tls_server_ctx_mem(cert, NULL, key, NULL, NDES_TLS_CLIENT_AUTH_NONE,
	    err, sizeof(err));

	cr_assert_not_null(ctx, "%s", err);
	return ctx;
}

static SSL_CTX *
client_ctx(void)
{
	char err[256] = "";
	SSL_CTX *ctx = ndes_tls_client_ctx_mem(tpki.cas, NULL, NULL, err, sizeof(err));

	cr_assert_not_null(ctx, "%s", err);
	return ctx;
}

static void
opts_init(struct ndes_http_fetch_opts *o, char *url, size_t urllen, const char *scheme,
    uint16_t port, SSL_CTX *tls)
{
	memset(o, 0, sizeof(*o));
	snprintf(url, urllen, "%s://127.0.0.1:%u", scheme, port);
	o->client.base_url = url;
	o->client.tls = tls;
	o->client.timeout_ms = 5000;
	o->path = "/whoami";
}

static bool
is_uuid4(const char *s)
{
	if (strlen(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' ||
	    s[14] != '4' || strchr("89ab", s[19]) == NULL)
		return false;
	for (int i = 0; i < 36; i++) {
		if (s[i] != '-' && strchr("0123456789abcdef", s[i]) == NULL)
			return false;
	}
	return true;
}

Test(http_client, https_with_verified_server_sends_request_id_and_api_version)
{
	SSL_CTX *sctx = server_ctx(tpki.srv, tpki.srv_key), *cctx = client_ctx();
	struct tserver *ts = tserver_start(sctx, NULL, routes);
	struct ndes_http_fetch_opts o;
	char url[64], err[256], *body, *body2;
	int status;
	json_t *j, *j2;

	opts_init(&o, url, sizeof(url), "https", ts->port, cctx);
	o.client.api_version = "2.1";
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)), NDES_HTTP_OK,
	    "%s", err);
	cr_assert_eq(status, 200);
	j = json_loads(body, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "apiVersion")), "2.1");
	cr_assert(is_uuid4(json_string_value(json_object_get(j, "requestId"))), "%s", body);
	/* A fresh id per call; verifying by DNS name (SNI) works too. */
	o.client.tls_server_name = "localhost";
	cr_assert_eq(ndes_http_fetch(&o, &status, &body2, NULL, err, sizeof(err)), NDES_HTTP_OK,
	    "%s", err);
	j2 = json_loads(body2, 0, NULL);
	cr_assert_str_neq(json_string_value(json_object_get(j, "requestId")),
	    json_string_value(json_object_get(j2, "requestId")));
	json_decref(j);
	json_decref(j2);
	free(body);
	free(body2);
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
expect_untrusted(X509 *cert, EVP_PKEY *key, const char *name, const char *why)
{
	SSL_CTX *sctx = server_ctx(cert, key), *cctx = client_ctx();
	struct tserver *ts = tserver_start(sctx, NULL, routes);
	struct ndes_http_fetch_opts o;
	char url[64], err[256], want[256], *body = NULL;
	int status;

	opts_init(&o, url, sizeof(url), "https", ts->port, cctx);
	o.client.tls_server_name = name;
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)),
	    NDES_HTTP_ERR_TLS_UNTRUSTED, "%s", err);
	snprintf(want, sizeof(want), "TLS with 127.0.0.1:%u failed: certificate verify failed: %s",
	    ts->port, why);
	cr_assert_str_eq(err, want);
	cr_assert_null(body);
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

Test(http_client, untrusted_server_is_refused)
{
	expect_untrusted(tpki.rogue, tpki.rogue_key, NULL, "self-signed certificate");
}

Test(http_client, ip_address_mismatch_is_refused)
{
	expect_untrusted(tpki.other, tpki.other_key, NULL, "IP address mismatch");
}

Test(http_client, host_name_mismatch_is_refused)
{
	expect_untrusted(tpki.srv, tpki.srv_key, "cloud.example", "hostname mismatch");
}

Test(http_client, connection_refused_is_unreachable)
{
	uint16_t port;
	int lfd = tcp_listen(&port);
	struct ndes_http_fetch_opts o;
	char url[64], err[256], want[128], *body;
	int status;

	close(lfd);
	opts_init(&o, url, sizeof(url), "http", port, NULL);
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)),
	    NDES_HTTP_ERR_UNREACHABLE);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%u: Connection refused", port);
	cr_assert_str_eq(err, want);
}

Test(http_client, silent_server_times_out_in_bounded_time)
{
	SSL_CTX *cctx = client_ctx();
	struct traw *raw = traw_start(NULL, true);
	struct ndes_http_fetch_opts o;
	char url[64], err[256], want[160], *body;
	struct timespec t0, t1;
	long ms;
	int status;

	opts_init(&o, url, sizeof(url), "https", raw->port, cctx);
	o.client.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)),
	    NDES_HTTP_ERR_TIMEOUT, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert(ms >= 290 && ms < 2000, "took %ld ms", ms);
	snprintf(want, sizeof(want), "timed out after 300 ms in the TLS handshake with "
	    "127.0.0.1:%u", raw->port);
	cr_assert_str_eq(err, want);
	traw_stop(raw);
	SSL_CTX_free(cctx);
}

static enum ndes_http_err
via_proxy(const char *user, const char *password, char *connect_line, uint16_t *port,
    int *status, char **body, char *err)
{
	SSL_CTX *sctx = server_ctx(tpki.srv, tpki.srv_key), *cctx = client_ctx();
	struct tserver *ts = tserver_start(sctx, NULL, routes);
	struct ndes_http_fetch_opts o;
	char url[64];
	enum ndes_http_err rc;
	struct tproxy *proxy;

	/* base64("connector:s3cret") */
	proxy = tproxy_start("Basic Y29ubmVjdG9yOnMzY3JldA==");
	*port = ts->port;
	opts_init(&o, url, sizeof(url), "https", ts->port, cctx);
	o.client.proxy_host = "127.0.0.1";
	o.client.proxy_port = proxy->port;
	o.client.proxy_user = user;
	o.client.proxy_password = password;
	*body = NULL;
	rc = ndes_http_fetch(&o, status, body, NULL, err, 256);
	pthread_join(proxy->thread, NULL);
	proxy->thread = 0;
	strcpy(connect_line, proxy->connect_line);
	tproxy_stop(proxy);
	tserver_stop(ts);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return rc;
}

Test(http_client, https_through_connect_proxy_with_credentials)
{
	char err[256], want[128], line[256], *body;
	uint16_t port;
	int status;

	cr_assert_eq(via_proxy("connector", "s3cret", line, &port, &status, &body, err),
	    NDES_HTTP_OK, "%s", err);
	cr_assert_eq(status, 200);
	snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%u HTTP/1.1", port);
	cr_assert_str_eq(line, want);
	cr_assert(strstr(body, "\"path\":\"/whoami\"") != NULL, "%s", body);
	free(body);
}

Test(http_client, proxy_refusing_credentials_is_a_proxy_error)
{
	char err[256], line[256], *body;
	uint16_t port;
	int status;

	cr_assert_eq(via_proxy("connector", "wrong", line, &port, &status, &body, err),
	    NDES_HTTP_ERR_PROXY, "%s", err);
	cr_assert(strncmp(err, "proxy 127.0.0.1:", 16) == 0, "%s", err);
	cr_assert(strstr(err, " refused CONNECT: 407") != NULL, "%s", err);
}

static char *
raw_fetch_from(struct traw *raw, enum ndes_http_err want_err, int *status, char *req_out,
    char *err)
{
	struct ndes_http_fetch_opts o;
	char url[64], *body = NULL;

	opts_init(&o, url, sizeof(url), "http", raw->port, NULL);
	o.method = "POST";
	o.body = "{}";
	o.len = 2;
	o.content_type = "application/json";
	cr_assert_eq(ndes_http_fetch(&o, status, &body, NULL, err, 256), want_err, "%s", err);
	if (req_out != NULL)
		strcpy(req_out, raw->request);
	traw_stop(raw);
	return body;
}

static char *
raw_fetch(const char *response, enum ndes_http_err want_err, int *status, char *req_out,
    char *err)
{
	return raw_fetch_from(traw_start(response, false), want_err, status, req_out, err);
}

Test(http_client, chunked_and_until_close_bodies)
{
	char err[256], *body;
	int status;

	body = raw_fetch("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n"
	    "X-Trailer: 1\r\n\r\n", NDES_HTTP_OK, &status, NULL, err);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(body, "hello, world");
	free(body);
	body = raw_fetch("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n"
	    "try later", NDES_HTTP_OK, &status, NULL, err);
	cr_assert_eq(status, 503);
	cr_assert_str_eq(body, "try later");
	free(body);
}

Test(http_client, malformed_responses_are_protocol_errors)
{
	char err[256];
	int status;

	raw_fetch("SSH-2.0-OpenSSH\r\n\r\n", NDES_HTTP_ERR_PROTOCOL, &status, NULL, err);
	cr_assert_str_eq(err, "malformed HTTP response: bad status line");
	raw_fetch("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
	    NDES_HTTP_ERR_PROTOCOL, &status, NULL, err);
	cr_assert_str_eq(err, "malformed HTTP response: body too large");
}

/* A connection that ends before the whole response is a network failure
 * (the connector reports 0x1202), not a malformed answer. */
Test(http_client, connections_ending_early_are_dropped)
{
	char err[256];
	int status;

	raw_fetch("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", NDES_HTTP_ERR_DROPPED,
	    &status, NULL, err);
	cr_assert(strstr(err, " closed the connection mid-response") != NULL, "%s", err);
	raw_fetch("HTTP/1.1 200 OK\r\nContent-Le", NDES_HTTP_ERR_DROPPED, &status, NULL, err);
	cr_assert(strstr(err, " closed the connection mid-response") != NULL, "%s", err);
	raw_fetch("", NDES_HTTP_ERR_DROPPED, &status, NULL, err);
	cr_assert(strstr(err, " closed the connection without a response") != NULL, "%s", err);
	raw_fetch_from(traw_start_reset(""), NDES_HTTP_ERR_DROPPED, &status, NULL, err);
	cr_assert(strstr(err, " reset the connection without a response") != NULL, "%s", err);
	cr_assert_str_eq(ndes_http_err_name(NDES_HTTP_ERR_DROPPED), "dropped");
}

Test(http_client, request_bytes_on_the_wire)
{
	char err[256], req[8192], *body, *id;
	int status;
	struct traw *raw = traw_start("HTTP/1.1 204 No Content\r\n\r\n", false);
	struct ndes_http_fetch_opts o;
	char url[64];
	const char *headers[] = { "Authorization", "Bearer x", NULL };
	unsigned port;

	opts_init(&o, url, sizeof(url), "http", raw->port, NULL);
	o.client.api_version = "1.0";
	o.path = "/ScepActions/successNotification?v=1";
	o.body = "{}";
	o.len = 2;
	o.content_type = "application/json";
	o.headers = headers;
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)), NDES_HTTP_OK,
	    "%s", err);
	strcpy(req, raw->request);
	port = raw->port;
	traw_stop(raw);
	cr_assert_eq(status, 204);
	cr_assert_str_eq(body, "");
	free(body);
	id = strstr(req, "client-request-id: ");
	cr_assert_not_null(id, "%s", req);
	memcpy(id + 19, "XXXXXXXX-XXXX-4XXX-XXXX-XXXXXXXXXXXX", 36);
	{
		char want[512];

		snprintf(want, sizeof(want), "POST /ScepActions/successNotification?v=1 HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%u\r\n"
		    "client-request-id: XXXXXXXX-XXXX-4XXX-XXXX-XXXXXXXXXXXX\r\n"
		    "api-version: 1.0\r\nContent-Type: application/json\r\n"
		    "Authorization: Bearer x\r\nContent-Length: 2\r\n\r\n", port);
		cr_assert_str_eq(req, want);
	}
}

Test(http_client, bad_arguments_are_refused)
{
	struct event_base *base = event_base_new();
	struct ndes_http_client_opts co = { .base_url = "ftp://x" };
	struct ndes_http_client *c;
	char err[256];
	const char *evil[] = { "X-A", "b\r\nX-Injected: 1", NULL };

	cr_assert_null(ndes_http_client_new(base, &co, err, sizeof(err)));
	cr_assert_str_eq(err, "base URL \"ftp://x\" is not http(s)://host[:port]");
	co.base_url = "https://cloud.example:8443";
	cr_assert_null(ndes_http_client_new(base, &co, err, sizeof(err)));
	cr_assert_str_eq(err, "https needs a TLS client context");
	co.base_url = "http://127.0.0.1:1";
	c = ndes_http_client_new(base, &co, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(ndes_http_client_request(c, "GET", "/x", NULL, NULL, 0, evil,
	    (ndes_http_done_cb)abort, NULL), -1);
	cr_assert_eq(ndes_http_client_request(c, "GET", "no-slash", NULL, NULL, 0, NULL,
	    (ndes_http_done_cb)abort, NULL), -1);
	/* A request in flight is cancelled by free, without its callback. */
	cr_assert_eq(ndes_http_client_request(c, "GET", "/x", NULL, NULL, 0, NULL,
	    (ndes_http_done_cb)abort, NULL), 0);
	ndes_http_client_free(c);
	ndes_http_client_free(NULL);
	event_base_free(base);
}

Test(http_client, fetch_reports_bad_options_as_usage)
{
	struct ndes_http_fetch_opts o = { .client = { .base_url = "cloud.example" },
	    .path = "/x" };
	char err[256], *body = NULL;
	int status;

	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)),
	    NDES_HTTP_ERR_USAGE);
	cr_assert_str_eq(err, "base URL \"cloud.example\" is not http(s)://host[:port]");
	o.client.base_url = "http://127.0.0.1:1";
	o.path = "x y";
	cr_assert_eq(ndes_http_fetch(&o, &status, &body, NULL, err, sizeof(err)),
	    NDES_HTTP_ERR_USAGE);
	cr_assert_str_eq(err, "bad request arguments");
	cr_assert_null(body);
	cr_assert_str_eq(ndes_http_err_name(NDES_HTTP_ERR_TLS_UNTRUSTED), "tls-untrusted");
}

/* ---- async client and server on one loop ---- */

struct async_state {
	int done;
	int statuses[2];
	struct event_base *base;
};

static void
async_done(const struct ndes_http_result *res, void *arg)
{
	struct async_state *st = arg;

	cr_assert_eq(res->err, NDES_HTTP_OK, "%s", res->errmsg);
	cr_assert_not_null(ndes_http_result_header(res, "content-type"));
	cr_assert_str_eq(ndes_http_result_header(res, "Content-Type"), "application/json");
	st->statuses[st->done++] = res->status;
	if (st->done == 2)
		event_base_loopbreak(st->base);
}

Test(http_client, two_requests_in_flight_on_one_loop)
{
	struct event_base *base = event_base_new();
	SSL_CTX *sctx = server_ctx(tpki.srv, tpki.srv_key), *cctx = client_ctx();
	char err[256], url[64];
	struct ndes_http_server *srv = ndes_http_server_new(base, "127.0.0.1", 0, sctx, NULL,
	    err, sizeof(err));
	struct ndes_http_client_opts co = { .base_url = url, .tls = cctx, .timeout_ms = 5000 };
	struct ndes_http_client *c;
	struct async_state st = { .base = base };

	cr_assert_not_null(srv, "%s", err);
	routes(srv, base);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", ndes_http_server_port(srv));
	c = ndes_http_client_new(base, &co, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(ndes_http_client_request(c, "GET", "/whoami", NULL, NULL, 0, NULL,
	    async_done, &st), 0);
	cr_assert_eq(ndes_http_client_request(c, "POST", "/nothing", "application/json", "{}", 2,
	    NULL, async_done, &st), 0);
	event_base_dispatch(base);
	cr_assert_eq(st.done, 2);
	cr_assert((st.statuses[0] == 200 && st.statuses[1] == 404) ||
	    (st.statuses[0] == 404 && st.statuses[1] == 200));
	ndes_http_client_free(c);
	ndes_http_server_free(srv);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	event_base_free(base);
}

/* ---- keep-alive ---- */

struct chain_state {
	struct ndes_http_client *client;
	struct ndes_http_server *srv;
	struct event_base *base;
	SSL_CTX *sctx, *cctx;
	char url[64];
	int done, opened;
	size_t server_conns[5];
};

/* An HTTPS server and a client of it on one loop. */
static void
chain_setup(struct chain_state *st)
{
	char err[256];
	struct ndes_http_client_opts co = { .base_url = st->url, .timeout_ms = 5000 };

	memset(st, 0, sizeof(*st));
	st->base = event_base_new();
	st->sctx = server_ctx(tpki.srv, tpki.srv_key);
	st->cctx = co.tls = client_ctx();
	st->srv = ndes_http_server_new(st->base, "127.0.0.1", 0, st->sctx, NULL, err, sizeof(err));
	cr_assert_not_null(st->srv, "%s", err);
	routes(st->srv, st->base);
	snprintf(st->url, sizeof(st->url), "https://127.0.0.1:%u", ndes_http_server_port(st->srv));
	st->client = ndes_http_client_new(st->base, &co, err, sizeof(err));
	cr_assert_not_null(st->client, "%s", err);
}

/* Set up, GET /whoami with cb, run the loop until cb breaks it, after
 * want answers. */
static void
chain_run(struct chain_state *st, ndes_http_done_cb cb, int want)
{
	chain_setup(st);
	cr_assert_eq(ndes_http_client_request(st->client, "GET", "/whoami", NULL, NULL, 0, NULL,
	    cb, st), 0);
	event_base_dispatch(st->base);
	cr_assert_eq(st->done, want);
}

static void
chain_teardown(struct chain_state *st)
{
	ndes_http_server_free(st->srv);
	SSL_CTX_free(st->sctx);
	SSL_CTX_free(st->cctx);
	event_base_free(st->base);
}

static void
chain_done(const struct ndes_http_result *res, void *arg)
{
	struct chain_state *st = arg;

	cr_assert_eq(res->err, NDES_HTTP_OK, "%s", res->errmsg);
	cr_assert_eq(res->status, 200);
	st->opened += res->new_connections;
	st->server_conns[st->done++] = ndes_http_server_connections(st->srv);
	if (st->done == 5) {
		event_base_loopbreak(st->base);
		return;
	}
	cr_assert_eq(ndes_http_client_request(st->client, st->done % 2 ? "POST" : "GET",
	    "/whoami", "application/json", st->done % 2 ? "{}" : NULL, st->done % 2 ? 2 : 0,
	    NULL, chain_done, st), 0);
}

/* Five requests one after the other over HTTPS: one connection (one
 * handshake), still open at the server after each answer. */
Test(http_client, requests_one_after_the_other_reuse_one_connection)
{
	struct chain_state st;

	chain_run(&st, chain_done, 5);
	cr_assert_eq(st.opened, 1, "%d connections for 5 requests", st.opened);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(st.server_conns[i], 1, "request %d: %zu connections at the server", i,
		    st.server_conns[i]);
	ndes_http_client_free(st.client);
	chain_teardown(&st);
}

static void
free_in_callback(const struct ndes_http_result *res, void *arg)
{
	struct chain_state *st = arg;

	st->done++;
	ndes_http_client_free(st->client);	/* the other call is cancelled */
	event_base_loopexit(st->base, &(struct timeval){ 0, 300000 });
}

/* A callback may free its client while other calls are in flight. */
Test(http_client, a_callback_may_free_the_client)
{
	struct chain_state st;

	chain_setup(&st);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ndes_http_client_request(st.client, "GET", "/whoami", NULL, NULL, 0,
		    NULL, free_in_callback, &st), 0);
	event_base_dispatch(st.base);
	cr_assert_eq(st.done, 1);
	chain_teardown(&st);
}

/* The first answer starts two at once: one takes the open connection,
 * one needs a new one. */
static void
pair_done(const struct ndes_http_result *res, void *arg)
{
	struct chain_state *st = arg;

	cr_assert_eq(res->err, NDES_HTTP_OK, "%s", res->errmsg);
	st->opened += res->new_connections;
	if (++st->done == 3)
		event_base_loopbreak(st->base);
	for (int i = 0; st->done == 1 && i < 2; i++)
		cr_assert_eq(ndes_http_client_request(st->client, "GET", "/whoami", NULL, NULL, 0,
		    NULL, pair_done, st), 0);
}

/* A second connection resumes the first one's TLS session (the server
 * counts the resumed handshakes). */
Test(http_client, a_new_connection_resumes_the_tls_session)
{
	struct chain_state st;

	chain_run(&st, pair_done, 3);
	cr_assert_eq(st.opened, 2, "%d connections", st.opened);
	cr_assert_eq(SSL_CTX_sess_hits(st.sctx), 1, "resumed handshakes: %ld",
	    SSL_CTX_sess_hits(st.sctx));
	ndes_http_client_free(st.client);
	chain_teardown(&st);
}
