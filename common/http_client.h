/* HTTP(S) client on libcurl, driven by a libevent loop (docs/http.md).
 *
 * HTTP/1.1 with keep-alive: a client keeps its connections open (at most
 * NDES_HTTP_MAX_CONNECTIONS to the server) and reuses them for the next
 * requests; TLS sessions are resumed when a new connection is needed.
 * Several requests may be in flight at once, each on its own connection.
 * Through an HTTP proxy every connection is a tunnel ("CONNECT host:port"
 * with Basic credentials); proxies named in the environment are ignored.
 * TLS is ours, set on curl's context (CURLOPT_SSL_CTX_FUNCTION): the server
 * is verified against the SSL_CTX's CAs only (never the system's) and the
 * URL's host name or IP address (or tls_server_name), our client
 * certificate is the SSL_CTX's, TLS 1.2 or newer.  Every request carries a
 * fresh "client-request-id" (UUID) and, when configured, "api-version".
 *
 * Failures are classified so callers can map them to event codes: a
 * connection that breaks after it was made (reset, or closed before the
 * response was complete) is NDES_HTTP_ERR_DROPPED, a network failure like
 * an unreachable server, not a malformed answer. */
#ifndef NDES_HTTP_CLIENT_H
#define NDES_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

/* Connections a client keeps open to its server (and uses at once). */
#define NDES_HTTP_MAX_CONNECTIONS 8

enum ndes_http_err {
	NDES_HTTP_OK = 0,            /* a response arrived (any status) */
	NDES_HTTP_ERR_UNREACHABLE,   /* name not resolved, connection refused/unreachable */
	NDES_HTTP_ERR_TIMEOUT,       /* no complete response within timeout_ms */
	NDES_HTTP_ERR_TLS_UNTRUSTED, /* server certificate not trusted or wrong name */
	NDES_HTTP_ERR_TLS,           /* other TLS failure (e.g. our client certificate refused) */
	NDES_HTTP_ERR_PROXY,         /* proxy unreachable or refused the CONNECT */
	NDES_HTTP_ERR_PROTOCOL,      /* malformed or oversized response */
	NDES_HTTP_ERR_USAGE,         /* bad options or request arguments (ndes_http_fetch) */
	NDES_HTTP_ERR_DROPPED,       /* connected, then reset or closed before the whole
	                              * response arrived (none, cut headers, short body) */
};

struct ndes_http_client_opts {
	const char *base_url;         /* "https://host:port" or "http://host:port" */
	SSL_CTX *tls;                 /* needed for https (referenced, not taken over) */
	const char *tls_server_name;  /* name to verify instead of the URL's host; optional */
	int timeout_ms;               /* per request, connect to last byte; 0: 30000 */
	const char *api_version;      /* "api-version" header value; NULL: none */
	const char *proxy_host;       /* HTTP proxy for CONNECT; NULL: direct */
	uint16_t proxy_port;
	const char *proxy_user;       /* Basic credentials; NULL: none */
	const char *proxy_password;
	size_t max_response_size;     /* headers + body; 0: 16 MiB */
};

/* The outcome handed to the callback; valid only during the callback. */
struct ndes_http_result {
	enum ndes_http_err err;
	const char *errmsg;           /* "" when err is NDES_HTTP_OK */
	int status;                   /* HTTP status, 0 unless err is NDES_HTTP_OK */
	const char *body;             /* NUL-terminated (body[len] == 0), never NULL */
	size_t len;
	const char *request_id;       /* the client-request-id sent */
	int new_connections;          /* connections opened for it (0: one reused) */
	struct http_call *priv;       /* internal */
};

typedef void (*ndes_http_done_cb)(const struct ndes_http_result *res, void *arg);

struct ndes_http_client;

struct ndes_http_client *ndes_http_client_new(struct event_base *base,
    const struct ndes_http_client_opts *opts, char *err, size_t errlen);
/* Cancels requests in flight; their callbacks are not called.  May be
 * called from a callback of this client. */
void ndes_http_client_free(struct ndes_http_client *client);

/* Start a request; path starts with '/' (and may carry a query).  headers is
 * NULL or a NULL-terminated list of name, value pairs.  Returns -1 on bad
 * arguments (CR/LF in a header, ...), else 0 and cb is called exactly once,
 * later, from the event loop. */
int ndes_http_client_request(struct ndes_http_client *client, const char *method,
    const char *path, const char *content_type, const void *body, size_t len,
    const char *const *headers, ndes_http_done_cb cb, void *arg);

/* A response header (any case), NULL when absent. */
const char *ndes_http_result_header(const struct ndes_http_result *res, const char *name);
/* The response body as JSON (any value); NULL with a message. */
json_t *ndes_http_result_json(const struct ndes_http_result *res, char *err, size_t errlen);

/* Blocking request for command-line tools: runs a private event loop until
 * the response or the timeout.  Returns the error kind; on NDES_HTTP_OK,
 * *status and *body (malloc'd, NUL-terminated, free() it) are set. */
struct ndes_http_fetch_opts {
	struct ndes_http_client_opts client;
	const char *method;           /* NULL: GET, or POST when a body is given */
	const char *path;
	const char *content_type;
	const void *body;
	size_t len;
	const char *const *headers;
};
enum ndes_http_err ndes_http_fetch(const struct ndes_http_fetch_opts *opts, int *status,
    char **body, size_t *len, char *err, size_t errlen);

const char *ndes_http_err_name(enum ndes_http_err err);

#endif
