/* Internals of the HTTP client; not for other modules.
 *
 * One client is one libcurl multi handle driven by the caller's libevent
 * loop (http_client.c: curl's sockets become events, its timer an evtimer)
 * and one share handle for TLS sessions.  Each request is one easy handle
 * (a struct http_call); curl keeps finished connections open in the multi
 * handle's cache and reuses them for the next requests. */
#ifndef NDES_HTTP_CLIENT_PRIV_H
#define NDES_HTTP_CLIENT_PRIV_H

#include "http_client.h"
#include "errmsg.h"
#include "uuid.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <curl/curl.h>
#include <event2/buffer.h>

struct http_call {
	struct ndes_http_client *client;
	TAILQ_ENTRY(http_call) entry;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;
	char *url;
	bool head_seen;               /* a status line arrived */
	bool head_done;               /* ... and the blank line after its headers */
	bool tls_started;             /* connected (through the tunnel), handshaking */
	bool request_sent;            /* connected (and TLS done): the request went out */
	bool body_too_large;
	char request_id[NDES_UUID_LEN + 1];
	ndes_http_done_cb cb;
	void *arg;
	struct evbuffer *body;
	char curl_err[CURL_ERROR_SIZE];
	char errmsg[NDES_ERR_MAX];
};

struct http_sock;

struct ndes_http_client {
	struct event_base *base;
	CURLM *multi;
	CURLSH *share;
	struct event *timer;
	SSL_CTX *tls;
	char *host;            /* no brackets */
	uint16_t port;
	bool https;
	char *path_prefix;     /* "" or "/api" */
	char *origin;          /* scheme://host:port + path prefix, for URLs */
	char *tls_name;
	char *connect_to;      /* "tls_name:port:host:port" when tls_name is set */
	char *api_version;
	char *proxy_url;       /* "http://host:port" or NULL */
	char *proxy_host;
	uint16_t proxy_port;
	char *proxy_user;
	char *proxy_password;
	int timeout_ms;
	size_t max_response;
	int dispatching;       /* inside http_client_dispatch: free is deferred */
	bool free_pending;
	TAILQ_HEAD(, http_call) calls;
	LIST_HEAD(, http_sock) socks;
};

/* The multi handle on the event loop (http_client.c). */
int http_client_multi_init(struct ndes_http_client *c);
/* Start a prepared call: add its easy handle to the multi handle. */
int http_call_start(struct http_call *call);
void http_call_free(struct http_call *call);
/* Tear down a client and the calls in it, without their callbacks. */
void http_client_destroy(struct ndes_http_client *c);
/* Free the copied options (http_client_req.c). */
void http_client_opts_free(struct ndes_http_client *c);

/* The easy handle for a request (http_client_easy.c). */
int http_call_setup(struct http_call *call, const char *method, const char *path,
    const char *content_type, const void *body, size_t len, const char *const *headers);

/* What a finished transfer means: the kind, and the message in call->errmsg
 * (http_client_err.c). */
enum ndes_http_err http_call_classify(struct http_call *call, CURLcode rc);

/* CURLOPT_SSL_CTX_FUNCTION: our trust, identity and host check on curl's
 * context (http_client_tls.c). */
CURLcode http_client_ssl_ctx(CURL *easy, void *sslctx, void *arg);

#endif
