/* Internals shared by the HTTP server files; not for other modules. */
#ifndef NDES_HTTP_PRIV_H
#define NDES_HTTP_PRIV_H

#include "http.h"

#include <event2/http.h>

/* Build the view of evreq; NULL with a message for a 400. */
struct ndes_http_request *http_request_view_new(struct evhttp_request *evreq,
    char *err, size_t errlen);
/* A JSON error reply on a request that has no view. */
void http_reply_evreq_error(struct evhttp_request *evreq, int status, const char *code,
    const char *message);

#endif
