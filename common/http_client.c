/* HTTP(S) client: connect, optional proxy CONNECT, TLS, request, response.
 * See http_client.h. */
#include "http_client_priv.h"
#include "tls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/evp.h>


static void call_connect_next(struct http_call *call);
static void call_start_tls_or_send(struct http_call *call);
static void call_finish(struct http_call *call, enum ndes_http_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *
ndes_http_err_name(enum ndes_http_err err)
{
	switch (err) {
	case NDES_HTTP_OK: return "ok";
	case NDES_HTTP_ERR_UNREACHABLE: return "unreachable";
	case NDES_HTTP_ERR_TIMEOUT: return "timeout";
	case NDES_HTTP_ERR_TLS_UNTRUSTED: return "tls-untrusted";
	case NDES_HTTP_ERR_TLS: return "tls";
	case NDES_HTTP_ERR_PROXY: return "proxy";
	case NDES_HTTP_ERR_PROTOCOL: return "protocol";
	case NDES_HTTP_ERR_USAGE: return "usage";
	case NDES_HTTP_ERR_DROPPED: return "dropped";
	}
	return "unknown";
}

void
http_call_free(struct http_call *call)
{
	if (call->ev_connect != NULL)
		event_free(call->ev_connect);
	if (call->ev_start != NULL)
		event_free(call->ev_start);
	if (call->ev_timeout != NULL)
		event_free(call->ev_timeout);
	if (call->fd != -1)
		close(call->fd);
	if (call->bev != NULL)
		bufferevent_free(call->bev);
	else
		SSL_free(call->ssl);
	if (call->ai != NULL)
		evutil_freeaddrinfo(call->ai);
	if (call->request != NULL)
		evbuffer_free(call->request);
	if (call->body != NULL)
		evbuffer_free(call->body);
	evhttp_clear_headers(&call->headers);
	free(call);
}

/* Report the outcome to the caller and free the call. */
static void
call_finish(struct http_call *call, enum ndes_http_err err, const char *fmt, ...)
{
	struct ndes_http_result res = { .err = err, .request_id = call->request_id, .priv = call };
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		ndes_err_vset(call->errmsg, sizeof(call->errmsg), fmt, ap);
		va_end(ap);
	}
	res.errmsg = err == NDES_HTTP_OK ? "" : call->errmsg;
	evbuffer_add(call->body, "", 1);
	res.body = (const char *)evbuffer_pullup(call->body, -1);
	res.len = evbuffer_get_length(call->body) - 1;
	if (err == NDES_HTTP_OK)
		res.status = call->status;
	TAILQ_REMOVE(&call->client->calls, call, entry);
	ERR_clear_error();
	call->cb(&res, call->arg);
	http_call_free(call);
}

static const char *
call_target(const struct http_call *call, char *buf, size_t len)
{
	const struct ndes_http_client *c = call->client;
	bool v6 = strchr(c->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port);
	return buf;
}

static void
call_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_call *call = arg;
	char target[300];

	call_finish(call, NDES_HTTP_ERR_TIMEOUT, "timed out after %d ms %s %s",
	    call->client->timeout_ms, call->stage, call_target(call, target, sizeof(target)));
}

/* ---- response ---- */

static void
call_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_call *call = arg;
	int rc = http_resp_parse(call, bufferevent_get_input(bev), call->client->max_response);

	if (rc < 0)
		call_finish(call, NDES_HTTP_ERR_PROTOCOL, NULL);
	else if (rc > 0)
		call_finish(call, NDES_HTTP_OK, NULL);
}

/* Why the TLS layer failed, classified. */
static enum ndes_http_err
call_tls_error(struct http_call *call, char *buf, size_t len)
{
	unsigned long e = bufferevent_get_openssl_error(call->bev);

	if (ndes_tls_verify_error(call->ssl, buf, len) != NULL)
		return NDES_HTTP_ERR_TLS_UNTRUSTED;
	if (e == 0)
		return NDES_HTTP_OK;
	ERR_error_string_n(e, buf, len);
	return NDES_HTTP_ERR_TLS;
}

/* The connection ended before the response was complete: a network
 * failure (NDES_HTTP_ERR_DROPPED), said as precisely as we can. */
static void
call_dropped(struct http_call *call, short what, int saved, const char *target)
{
	const char *when = call->rstate == RESP_STATUS ? "without a response" : "mid-response";

	if (saved == ECONNRESET)
		call_finish(call, NDES_HTTP_ERR_DROPPED, "%s reset the connection %s", target,
		    when);
	else if (what & BEV_EVENT_EOF)
		call_finish(call, NDES_HTTP_ERR_DROPPED, "%s closed the connection %s", target,
		    when);
	else
		call_finish(call, NDES_HTTP_ERR_DROPPED, "the connection to %s broke %s: %s",
		    target, when, saved ? evutil_socket_error_to_string(saved) : "unknown error");
}

static void
call_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_call *call = arg;
	enum ndes_http_err kind = NDES_HTTP_OK;
	char target[300], why[NDES_ERR_MAX] = "";
	int saved = EVUTIL_SOCKET_ERROR(), rc;

	if (what & BEV_EVENT_CONNECTED) {
		call->stage = "waiting for a response from";
		return;
	}
	if (call->ssl != NULL)
		kind = call_tls_error(call, why, sizeof(why));
	call_target(call, target, sizeof(target));
	if (kind != NDES_HTTP_OK) {
		call_finish(call, kind, "TLS with %s failed: %s", target, why);
		return;
	}
	/* what arrived together with the end of the connection */
	rc = http_resp_parse(call, bufferevent_get_input(bev), call->client->max_response);
	if (rc < 0)
		call_finish(call, NDES_HTTP_ERR_PROTOCOL, NULL);
	else if (rc > 0 || ((what & BEV_EVENT_EOF) && http_resp_eof(call)))
		call_finish(call, NDES_HTTP_OK, NULL);
	else
		call_dropped(call, what, saved, target);
}

static void
call_send(struct http_call *call)
{
	bufferevent_setcb(call->bev, call_read_cb, NULL, call_event_cb, call);
	if (bufferevent_write_buffer(call->bev, call->request) != 0 ||
	    bufferevent_enable(call->bev, EV_READ | EV_WRITE) != 0) {
		call_finish(call, NDES_HTTP_ERR_PROTOCOL, "cannot send the request");
		return;
	}
	if (call->ssl == NULL)
		call->stage = "waiting for a response from";
}

static void
call_start_tls_or_send(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	struct bufferevent *filter;

	if (c->tls == NULL) {
		call_send(call);
		return;
	}
	call->stage = "in the TLS handshake with";
	if ((call->ssl = SSL_new(c->tls)) == NULL ||
	    ndes_tls_client_set_host(call->ssl, c->tls_name ? c->tls_name : c->host) != 0) {
		call_finish(call, NDES_HTTP_ERR_TLS, "cannot set up TLS");
		return;
	}
	filter = bufferevent_openssl_filter_new(c->base, call->bev, call->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (filter == NULL) {
		call_finish(call, NDES_HTTP_ERR_TLS, "cannot set up TLS");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	call->bev = filter;
	call_send(call);
}

/* ---- proxy ---- */

static void
call_proxy_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_call *call = arg;
	const struct ndes_http_client *c = call->client;
	struct evbuffer *in = bufferevent_get_input(bev);
	int rc = http_resp_parse_head(call, in, 0);

	if (rc == 0)
		return;
	if (rc < 0) {
		/* in place: call->errmsg is the parser's message */
		ndes_err_prefix(call->errmsg, sizeof(call->errmsg), "proxy %s:%u: ", c->proxy_host,
		    c->proxy_port);
		call_finish(call, NDES_HTTP_ERR_PROXY, NULL);
		return;
	}
	if (call->status < 200 || call->status > 299) {
		call_finish(call, NDES_HTTP_ERR_PROXY, "proxy %s:%u refused CONNECT: %d",
		    c->proxy_host, c->proxy_port, call->status);
		return;
	}
	evhttp_clear_headers(&call->headers);
	call->status = 0;
	call->rstate = RESP_STATUS;
	call->head_bytes = 0;
	call_start_tls_or_send(call);
}

static void
call_proxy_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_call *call = arg;

	call_finish(call, NDES_HTTP_ERR_PROXY, "proxy %s:%u closed the connection during CONNECT",
	    call->client->proxy_host, call->client->proxy_port);
}

static void
call_proxy_connect(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	char target[300];

	call->stage = "waiting for the proxy to connect to";
	call_target(call, target, sizeof(target));
	evbuffer_add_printf(bufferevent_get_output(call->bev),
	    "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", target, target,
	    c->proxy_auth ? "Proxy-Authorization: " : "", c->proxy_auth ? c->proxy_auth : "",
	    c->proxy_auth ? "\r\n" : "");
	bufferevent_setcb(call->bev, call_proxy_read_cb, NULL, call_proxy_event_cb, call);
	bufferevent_enable(call->bev, EV_READ | EV_WRITE);
}

/* ---- connect ---- */

static void
call_connected(struct http_call *call)
{
	call->bev = bufferevent_socket_new(call->client->base, call->fd, BEV_OPT_CLOSE_ON_FREE);
	if (call->bev == NULL) {
		call_finish(call, NDES_HTTP_ERR_UNREACHABLE, "out of memory");
		return;
	}
	call->fd = -1;
	if (call->client->proxy_host != NULL)
		call_proxy_connect(call);
	else
		call_start_tls_or_send(call);
}

static void
call_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_call *call = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	event_free(call->ev_connect);
	call->ev_connect = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr == 0) {
		call_connected(call);
		return;
	}
	call->last_errno = soerr;
	close(call->fd);
	call->fd = -1;
	call_connect_next(call);
}

static void
call_connect_failed(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	char target[300];

	if (c->proxy_host != NULL)
		call_finish(call, NDES_HTTP_ERR_PROXY, "cannot connect to proxy %s:%u: %s",
		    c->proxy_host, c->proxy_port, strerror(call->last_errno));
	else
		call_finish(call, NDES_HTTP_ERR_UNREACHABLE, "cannot connect to %s: %s",
		    call_target(call, target, sizeof(target)), strerror(call->last_errno));
}

/* Try the next resolved address. */
static void
call_connect_next(struct http_call *call)
{
	struct evutil_addrinfo *ai;

	while ((ai = call->ai_next) != NULL) {
		call->ai_next = ai->ai_next;
		call->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (call->fd == -1) {
			call->last_errno = errno;
			continue;
		}
		if (connect(call->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			call_connected(call);
			return;
		}
		if (errno == EINPROGRESS) {
			call->ev_connect = event_new(call->client->base, call->fd, EV_WRITE,
			    call_connect_cb, call);
			if (call->ev_connect != NULL && event_add(call->ev_connect, NULL) == 0)
				return;
		}
		call->last_errno = errno;
		close(call->fd);
		call->fd = -1;
	}
	call_connect_failed(call);
}

static void
call_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_call *call = arg;
	const struct ndes_http_client *c = call->client;
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP };
	const char *host = c->proxy_host ? c->proxy_host : c->host;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", c->proxy_host ? c->proxy_port : c->port);
	call->stage = "connecting to";
	call->last_errno = ECONNREFUSED;
	if ((rc = evutil_getaddrinfo(host, port, &hints, &call->ai)) != 0) {
		call_finish(call, c->proxy_host ? NDES_HTTP_ERR_PROXY : NDES_HTTP_ERR_UNREACHABLE,
		    "cannot resolve %s%s: %s", c->proxy_host ? "proxy " : "", host,
		    evutil_gai_strerror(rc));
		return;
	}
	call->ai_next = call->ai;
	call_connect_next(call);
}

int
http_call_start(struct http_call *call)
{
	struct event_base *base = call->client->base;
	struct timeval zero = { 0, 0 }, tv = { call->client->timeout_ms / 1000,
	    (call->client->timeout_ms % 1000) * 1000 };

	call->ev_start = evtimer_new(base, call_start_cb, call);
	call->ev_timeout = evtimer_new(base, call_timeout_cb, call);
	if (call->ev_start == NULL || call->ev_timeout == NULL ||
	    evtimer_add(call->ev_start, &zero) != 0 || evtimer_add(call->ev_timeout, &tv) != 0)
		return -1;
	call->stage = "connecting to";
	return 0;
}
