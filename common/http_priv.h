/* Internals shared by the HTTP server files; not for other modules. */
#ifndef NDES_HTTP_PRIV_H
#define NDES_HTTP_PRIV_H

#include "http.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct http_local;

struct ndes_http_request_priv {
	struct evhttp_request *ev;	/* NULL for a local request */
	struct evkeyvalq query;
	char *path;
	struct http_local *local;	/* http_local.c; NULL for a connection's */
	struct http_conn *conn;		/* NULL once the connection is gone, or local */
};

struct http_request_full {
	struct ndes_http_request pub;
	struct ndes_http_request_priv priv;
};

/* Free a view (and a local request's state). */
void http_request_view_free(struct ndes_http_request *req);

/* http_local.c: a local request's headers, and where its reply goes. */
const char *http_local_header(const struct http_local *l, const char *name);
int http_local_set_header(struct http_local *l, const char *name, const char *value);
void http_local_reply(struct http_local *l, int status, const char *content_type,
    const void *body, size_t len);
void http_local_free(struct http_local *l);

/* Build the view of evreq; NULL with a message for a 400. */
struct ndes_http_request *http_request_view_new(struct evhttp_request *evreq,
    char *err, size_t errlen);
/* A JSON error reply on a request that has no view. */
void http_reply_evreq_error(struct evhttp_request *evreq, int status, const char *code,
    const char *message);

/* http_conn.c: the server's connections (cap, deadlines, TCP_NODELAY). */
struct http_conn;
struct http_conns;

/* lim has its defaults filled in; tls is borrowed (may be NULL). */
struct http_conns *http_conns_new(struct event_base *base, SSL_CTX *tls,
    const struct ndes_http_limits *lim);
/* The listener, paused while the cap is reached, and its name in log lines
 * ("http 127.0.0.1:8444"). */
struct evconnlistener;
void http_conns_set_listener(struct http_conns *set, struct evconnlistener *lev,
    const char *what);
size_t http_conns_count(const struct http_conns *set);
/* Before evhttp_free(): the connections forget the set (evhttp_free()
 * closes them); after it, http_conns_free() frees what evhttp could not. */
void http_conns_detach(struct http_conns *set);
void http_conns_free(struct http_conns *set);
/* evhttp's bevcb: the bufferevent of a new connection (see http_conn.c). */
struct bufferevent *http_conns_bevcb(struct http_conns *set);
/* A whole request reached gencb: no deadline until its reply.  Its
 * connection (NULL if unknown); *refused when it is over the cap. */
struct http_conn *http_conns_dispatched(struct http_conns *set,
    struct evhttp_request *evreq, bool *refused);
/* *slot points at c until the connection ends (then it is set to NULL). */
void http_conn_hold(struct http_conn *c, struct http_conn **slot);
/* The reply was sent (c may be NULL): the next request's head deadline
 * starts at its first byte. */
void http_conn_replied(struct http_conn *c);
/* The view's connection for the reply (http_request.c). */
void http_request_view_set_conn(struct ndes_http_request *req, struct http_conn *c);

#endif
