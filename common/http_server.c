/* HTTP(S) server over evhttp: listening, TLS, routing.  See http.h; the
 * connections themselves (cap, deadlines) are in http_conn.c. */
#include "http.h"
#include "http_priv.h"
#include "errmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "listener.h"

#define HTTP_DEFAULT_MAX_HEADERS 16384
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTP_DEFAULT_TIMEOUT 30

struct http_route {
	char *method;
	char *path;
	size_t path_len;
	unsigned flags;
	ndes_http_handler handler;
	void *arg;
	struct http_route *next;
};

struct ndes_http_server {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *tls;
	uint16_t port;
	struct http_route *routes;
	struct http_conns *conns;
	struct ndes_accept_backoff *backoff;
};

/* Every accepted connection comes here first (evhttp's bevcb). */
static struct bufferevent *
http_server_bevcb(struct event_base *base, void *arg)
{
	struct ndes_http_server *srv = arg;

	ndes_accept_backoff_ok(srv->backoff);
	return http_conns_bevcb(srv->conns);
}

/* The best route for path: exact first, then the longest prefix; *any_path
 * tells whether some route matched the path under another method. */
static const struct http_route *
http_route_find(const struct ndes_http_server *srv, const char *method, const char *path,
    bool *any_path)
{
	const struct http_route *r, *best = NULL;
	size_t len = strlen(path);

	*any_path = false;
	for (r = srv->routes; r != NULL; r = r->next) {
		bool exact = r->path_len == len && memcmp(r->path, path, len) == 0;
		bool prefix = (r->flags & NDES_HTTP_ROUTE_PREFIX) && r->path_len <= len &&
		    memcmp(r->path, path, r->path_len) == 0;

		if ((r->flags & NDES_HTTP_ROUTE_PREFIX) ? !prefix : !exact)
			continue;
		*any_path = true;
		if (strcmp(r->method, method) != 0)
			continue;
		if (best == NULL || ((best->flags & NDES_HTTP_ROUTE_PREFIX) &&
		    (!(r->flags & NDES_HTTP_ROUTE_PREFIX) || r->path_len > best->path_len)))
			best = r;
	}
	return best;
}

static void
http_reply_405(const struct ndes_http_server *srv, struct ndes_http_request *req)
{
	char allow[256] = "";
	size_t off = 0;
	bool dummy;

	for (const struct http_route *r = srv->routes; r != NULL; r = r->next) {
		if (http_route_find(srv, r->method, req->path, &dummy) == NULL ||
		    strstr(allow, r->method) != NULL)
			continue;
		off += (size_t)snprintf(allow + off, off < sizeof(allow) ? sizeof(allow) - off : 0,
		    "%s%s", off ? ", " : "", r->method);
		if (off >= sizeof(allow))
			break;
	}
	ndes_http_set_header(req, "Allow", allow);
	ndes_http_reply_error(req, 405, "method_not_allowed", "method %s is not allowed on %s",
	    req->method, req->path);
}

/* A request that came in on a connection over the cap before it was closed. */
static void
http_reply_refused(struct evhttp_request *evreq)
{
	evhttp_add_header(evhttp_request_get_output_headers(evreq), "Connection", "close");
	http_reply_evreq_error(evreq, 503, "busy", "too many connections; try again");
}

static void
http_server_gencb(struct evhttp_request *evreq, void *arg)
{
	struct ndes_http_server *srv = arg;
	struct ndes_http_request *req;
	struct http_conn *conn;
	char err[NDES_ERR_MAX];
	bool refused;

	conn = http_conns_dispatched(srv->conns, evreq, &refused);
	if (refused || (req = http_request_view_new(evreq, err, sizeof(err))) == NULL) {
		if (refused)
			http_reply_refused(evreq);
		else
			http_reply_evreq_error(evreq, 400, "bad_request", err);
		http_conn_replied(conn);
		return;
	}
	http_request_view_set_conn(req, conn);
	ndes_http_server_dispatch(srv, req);
}

void
ndes_http_server_dispatch(struct ndes_http_server *srv, struct ndes_http_request *req)
{
	const struct http_route *route;
	bool any_path;

	route = http_route_find(srv, req->method, req->path, &any_path);
	if (route == NULL && any_path)
		http_reply_405(srv, req);
	else if (route == NULL)
		ndes_http_reply_error(req, 404, "not_found", "no such resource: %s", req->path);
	else if ((route->flags & NDES_HTTP_ROUTE_CLIENT_CERT) && req->client_cert == NULL)
		ndes_http_reply_error(req, 401, "client_certificate_required",
		    "%s needs a TLS client certificate", req->path);
	else
		route->handler(req, route->arg);
}

static int
http_server_bind(struct ndes_http_server *srv, const char *addr, uint16_t port,
    char *err, size_t errlen)
{
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char what[128];

	if ((sock = evhttp_bind_socket_with_handle(srv->http, addr, port)) == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, (unsigned)port,
		    strerror(errno));
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(what, sizeof(what), strchr(addr, ':') ? "http [%s]:%u" : "http %s:%u", addr,
	    (unsigned)srv->port);
	http_conns_set_listener(srv->conns, evhttp_bound_socket_get_listener(sock), what);
	srv->backoff = ndes_accept_backoff_new(srv->base, evhttp_bound_socket_get_listener(sock),
	    what);
	if (srv->backoff == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static struct ndes_http_limits
http_limits_or_defaults(const struct ndes_http_limits *limits)
{
	struct ndes_http_limits lim = limits ? *limits : (struct ndes_http_limits){ 0 };

	if (lim.max_headers_size == 0)
		lim.max_headers_size = HTTP_DEFAULT_MAX_HEADERS;
	if (lim.max_body_size == 0)
		lim.max_body_size = HTTP_DEFAULT_MAX_BODY;
	if (lim.timeout_s <= 0)
		lim.timeout_s = HTTP_DEFAULT_TIMEOUT;
	if (lim.max_connections == 0)
		lim.max_connections = NDES_HTTP_DEFAULT_MAX_CONNECTIONS;
	if (lim.header_timeout_ms <= 0)
		lim.header_timeout_ms = NDES_HTTP_DEFAULT_HEADER_TIMEOUT_MS;
	if (lim.body_timeout_ms <= 0)
		lim.body_timeout_ms = NDES_HTTP_DEFAULT_BODY_TIMEOUT_MS;
	return lim;
}

struct ndes_http_server *
ndes_http_server_new(struct event_base *base, const char *addr, uint16_t port, SSL_CTX *tls,
    const struct ndes_http_limits *limits, char *err, size_t errlen)
{
	struct ndes_http_limits lim = http_limits_or_defaults(limits);
	struct ndes_http_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || (srv->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(srv);
		return NULL;
	}
	srv->base = base;
	if (tls != NULL && SSL_CTX_up_ref(tls))
		srv->tls = tls;
	if ((srv->conns = http_conns_new(base, srv->tls, &lim)) == NULL) {
		snprintf(err, errlen, "out of memory");
		ndes_http_server_free(srv);
		return NULL;
	}
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)lim.max_headers_size);
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)lim.max_body_size);
	evhttp_set_timeout(srv->http, lim.timeout_s);
	evhttp_set_gencb(srv->http, http_server_gencb, srv);
	evhttp_set_bevcb(srv->http, http_server_bevcb, srv);
	if (http_server_bind(srv, addr, port, err, errlen) != 0) {
		ndes_http_server_free(srv);
		return NULL;
	}
	return srv;
}

void
ndes_http_server_free(struct ndes_http_server *srv)
{
	struct http_route *r, *next;

	if (srv == NULL)
		return;
	ndes_accept_backoff_free(srv->backoff);
	http_conns_detach(srv->conns);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	http_conns_free(srv->conns);
	for (r = srv->routes; r != NULL; r = next) {
		next = r->next;
		free(r->method);
		free(r->path);
		free(r);
	}
	SSL_CTX_free(srv->tls);
	free(srv);
}

uint16_t
ndes_http_server_port(const struct ndes_http_server *srv)
{
	return srv->port;
}

size_t
ndes_http_server_connections(const struct ndes_http_server *srv)
{
	return http_conns_count(srv->conns);
}

int
ndes_http_route_flags(struct ndes_http_server *srv, const char *method, const char *path,
    unsigned flags, ndes_http_handler handler, void *arg)
{
	struct http_route *r = calloc(1, sizeof(*r)), **tail;

	if (r == NULL || (r->method = strdup(method)) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		if (r != NULL)
			free(r->method);
		free(r);
		return -1;
	}
	r->path_len = strlen(path);
	r->flags = flags;
	r->handler = handler;
	r->arg = arg;
	for (tail = &srv->routes; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return 0;
}

int
ndes_http_route(struct ndes_http_server *srv, const char *method, const char *path,
    ndes_http_handler handler, void *arg)
{
	return ndes_http_route_flags(srv, method, path, 0, handler, arg);
}

int
ndes_http_route_prefix(struct ndes_http_server *srv, const char *method, const char *prefix,
    ndes_http_handler handler, void *arg)
{
	return ndes_http_route_flags(srv, method, prefix, NDES_HTTP_ROUTE_PREFIX, handler, arg);
}
