/* HTTP(S) server over libevent's evhttp (docs/http.md).
 *
 * A server listens on one address, optionally with TLS (an SSL_CTX from
 * tls.h; client certificates per route), and dispatches requests to routes
 * by exact path or path prefix.  Unknown paths get 404, known paths with
 * another method 405 (with Allow), both as JSON errors:
 *     {"error":{"code":"...","message":"..."}}
 *
 * Limits are enforced by evhttp while it reads, before any handler runs and
 * without buffering what is over the limit: a body announced (Content-Length)
 * or grown (chunks) past max_body_size gets 413; a request line or header
 * block past max_headers_size gets 400.  Both are answered by libevent 2.1
 * itself (it has no hook there), with its small text/html page and
 * "Connection: close"; every other error is JSON.
 *
 * Replies: every request gets exactly one reply, from the handler or later
 * (asynchronously) from any callback on the server's event loop thread.  A
 * reply frees the request view: do not touch it afterwards.  To reply from a
 * worker thread, hand the view back to the loop first (e.g. event_active()
 * on an event with libevent threading enabled, or a pipe) and reply there.
 * If the client goes away before a late reply, the reply is dropped quietly. */
#ifndef NDES_HTTP_H
#define NDES_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

struct ndes_http_server;

/* Connections (http_conn.c, docs/http.md "Connections"):
 *   max_connections   open at once; at the cap the server stops accepting
 *                     (logged, rate-limited) and new connections wait in the
 *                     kernel's listen queue until one closes.
 *   header_timeout_ms the request line and headers must all be in within it,
 *                     counted from the connection's opening (the TLS
 *                     handshake included) or, on a kept-alive connection,
 *                     from the next request's first byte;
 *   body_timeout_ms   the body within it, counted from the end of the head.
 * A deadline that passes closes the connection without an answer (logged,
 * rate-limited).  None runs while a handler works on a request.  timeout_s
 * is evhttp's idle timeout (no byte for that long, either way). */
struct ndes_http_limits {
	size_t max_headers_size;  /* request line, and all header lines; 0: 16384 */
	size_t max_body_size;     /* 0: 1 MiB */
	int timeout_s;            /* idle read/write timeout per connection; 0: 30 */
	size_t max_connections;   /* 0: NDES_HTTP_DEFAULT_MAX_CONNECTIONS */
	int header_timeout_ms;    /* 0: NDES_HTTP_DEFAULT_HEADER_TIMEOUT_MS */
	int body_timeout_ms;      /* 0: NDES_HTTP_DEFAULT_BODY_TIMEOUT_MS */
};

#define NDES_HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define NDES_HTTP_DEFAULT_HEADER_TIMEOUT_MS 10000
#define NDES_HTTP_DEFAULT_BODY_TIMEOUT_MS 30000

/* What a handler sees of one request; fields are read-only. */
struct ndes_http_request {
	const char *method;            /* "GET", "POST", ... */
	const char *path;              /* percent-decoded, without the query */
	const unsigned char *body;     /* not NUL-terminated; NULL when empty */
	size_t body_len;
	X509 *client_cert;             /* verified TLS client certificate or NULL */
	char peer[64];                 /* "127.0.0.1:41234", "[::1]:41234" */
	struct ndes_http_request_priv *priv;
};

typedef void (*ndes_http_handler)(struct ndes_http_request *req, void *arg);

/* Route flags. */
#define NDES_HTTP_ROUTE_PREFIX       0x01  /* path is a prefix ("/api/" matches "/api/x") */
#define NDES_HTTP_ROUTE_CLIENT_CERT  0x02  /* 401 JSON unless a client certificate was sent */

/* Listen on addr ("127.0.0.1", "::", "0.0.0.0") and port (0: ephemeral).
 * tls (may be NULL: plain HTTP) is referenced, not taken over; limits may
 * be NULL (defaults). */
struct ndes_http_server *ndes_http_server_new(struct event_base *base, const char *addr,
    uint16_t port, SSL_CTX *tls, const struct ndes_http_limits *limits,
    char *err, size_t errlen);
/* Closes the listener and every connection.  Requests still waiting for a
 * late reply must be answered (or dropped) first.  Call it on the loop
 * thread and let the loop run once more before event_base_free() so the
 * closed connections' deferred callbacks finish (else they leak at exit). */
void ndes_http_server_free(struct ndes_http_server *srv);
uint16_t ndes_http_server_port(const struct ndes_http_server *srv);
/* Connections open now (their descriptors included). */
size_t ndes_http_server_connections(const struct ndes_http_server *srv);

/* Exact match of method and path.  Later routes never shadow earlier exact ones. */
int ndes_http_route(struct ndes_http_server *srv, const char *method, const char *path,
    ndes_http_handler handler, void *arg);
int ndes_http_route_prefix(struct ndes_http_server *srv, const char *method,
    const char *prefix, ndes_http_handler handler, void *arg);
/* Any of the NDES_HTTP_ROUTE_* flags.  An exact route wins over prefix
 * routes, and a longer prefix over a shorter one. */
int ndes_http_route_flags(struct ndes_http_server *srv, const char *method, const char *path,
    unsigned flags, ndes_http_handler handler, void *arg);

/* A request that came from no connection (tests, fuzzing): the handler
 * sees method, target (path, and a query after '?'), body (kept by the
 * caller until the reply), headers (NULL or a NULL-terminated list of name,
 * value pairs), client_cert (referenced) and peer "local"; its reply is
 * captured in *out instead of being sent.  Pass it to
 * ndes_http_server_dispatch() or to a handler.  NULL when out of memory or
 * the query is not well-formed. */
struct ndes_http_captured {
	int status;                    /* 0 until the reply */
	char *content_type;            /* NULL when the body is empty */
	char *body;                    /* NUL-terminated (body[len] == 0) */
	size_t len;
};

struct ndes_http_request *ndes_http_request_local(const char *method, const char *target,
    const void *body, size_t len, const char *const *headers, X509 *client_cert,
    struct ndes_http_captured *out);
void ndes_http_captured_clear(struct ndes_http_captured *c);

/* Route a request as the server does for one from a connection: 404 or
 * 405 (JSON) when no route matches, 401 when the route needs a client
 * certificate and there is none, else the route's handler. */
void ndes_http_server_dispatch(struct ndes_http_server *srv, struct ndes_http_request *req);

/* Request accessors: query parameter (decoded) and request header (any case);
 * NULL when absent. */
const char *ndes_http_query(const struct ndes_http_request *req, const char *name);
const char *ndes_http_header(const struct ndes_http_request *req, const char *name);
/* Add a response header before replying. */
int ndes_http_set_header(struct ndes_http_request *req, const char *name, const char *value);

/* Replies (each frees req).  reply_json steals body (may be NULL: empty). */
void ndes_http_reply_json(struct ndes_http_request *req, int status, json_t *body);
void ndes_http_reply_error(struct ndes_http_request *req, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ndes_http_reply_empty(struct ndes_http_request *req, int status);
void ndes_http_reply_raw(struct ndes_http_request *req, int status, const char *content_type,
    const void *body, size_t len);

/* A JSON string of any text: bytes that are not well-formed UTF-8 (a
 * message that quotes input, or was cut inside a character) become U+FFFD,
 * so an answer's body always builds.  NULL only when out of memory. */
json_t *ndes_json_text(const char *s);

/* The body of JSON error answers: {"error":{"code":...,"message":...}}. */
json_t *ndes_http_error_json(const char *code, const char *message);

/* The body as a JSON object; NULL with a message ("request body is not valid
 * JSON: ... at line 1, column 5", "request body must be a JSON object") for
 * the caller's 400. */
json_t *ndes_http_body_json(const struct ndes_http_request *req, char *err, size_t errlen);

/* Typed fields of a JSON object for request validation.  A missing field or
 * JSON null is absent: an error when required, otherwise 0 with *out left as
 * it was.  Messages name the field: 'field "transactionId": expected a string',
 * 'field "transactionId": required', 'field "maxRequests": must be between 1
 * and 500'. */
int ndes_json_get_string(const json_t *obj, const char *field, bool required,
    const char **out, char *err, size_t errlen);
int ndes_json_get_int(const json_t *obj, const char *field, bool required,
    json_int_t min, json_int_t max, json_int_t *out, char *err, size_t errlen);
int ndes_json_get_bool(const json_t *obj, const char *field, bool required,
    bool *out, char *err, size_t errlen);
int ndes_json_get_array(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen);
int ndes_json_get_object(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen);

#endif
