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

#endif
