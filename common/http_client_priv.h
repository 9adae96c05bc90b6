/* Internals of the HTTP client; not for other modules. */
#ifndef NDES_HTTP_CLIENT_PRIV_H
#define NDES_HTTP_CLIENT_PRIV_H

#include "http_client.h"
#include "errmsg.h"
#include "uuid.h"

#include <openssl/ssl.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

enum http_resp_state {
	RESP_STATUS = 0,
	RESP_HEADERS,
	RESP_BODY_LENGTH,   /* Content-Length bytes */
	RESP_CHUNK_SIZE,
	RESP_CHUNK_DATA,
	RESP_CHUNK_END,     /* the CRLF after a chunk */
	RESP_TRAILERS,
	RESP_BODY_EOF,      /* until the server closes */
	RESP_DONE,
};

struct http_call {
	struct ndes_http_client *client;
	TAILQ_ENTRY(http_call) entry;
	const char *stage;            /* for timeout messages */
	bool head_request;
	struct evutil_addrinfo *ai, *ai_next;
	int fd;                       /* while connecting */
	int last_errno;
	struct event *ev_connect;
	struct event *ev_start;
	struct event *ev_timeout;
	struct bufferevent *bev;      /* plain socket, later the TLS filter */
	SSL *ssl;                     /* owned by bev once the filter exists */
	struct evbuffer *request;
	char request_id[NDES_UUID_LEN + 1];
	ndes_http_done_cb cb;
	void *arg;
	/* response */
	enum http_resp_state rstate;
	int status;
	struct evkeyvalq headers;
	size_t head_bytes;
	uint64_t remaining;
	struct evbuffer *body;
	char errmsg[NDES_ERR_MAX];
};

struct ndes_http_client {
	struct event_base *base;
	SSL_CTX *tls;
	char *host;            /* no brackets */
	uint16_t port;
	char *path_prefix;     /* "" or "/api" */
	char *tls_name;
	char *api_version;
	char *proxy_host;
	uint16_t proxy_port;
	char *proxy_auth;      /* "Basic ..." or NULL */
	int timeout_ms;
	size_t max_response;
	TAILQ_HEAD(, http_call) calls;
};

int http_call_start(struct http_call *call);
void http_call_free(struct http_call *call);

/* Feed the input to the response parser: 1 done, 0 more needed, -1 malformed
 * (message in call->errmsg). */
int http_resp_parse(struct http_call *call, struct evbuffer *in, size_t max);
/* The server closed the connection: 1 if that completes the response. */
int http_resp_eof(struct http_call *call);
/* The proxy's answer to CONNECT: 1 done (status in call->status), 0 more, -1 bad. */
int http_resp_parse_head(struct http_call *call, struct evbuffer *in, size_t max);

#endif
