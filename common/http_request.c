/* HTTP server requests: the handler's view, accessors and replies.  See http.h. */
#include "http.h"
#include "http_priv.h"
#include "errmsg.h"

#include <stdarg.h>
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>

static const char *
http_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

/* The connection's verified client certificate, and its peer address. */
static void
http_request_peer(struct ndes_http_request *req, struct evhttp_request *evreq)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	struct bufferevent *bev;
	SSL *ssl;
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon == NULL)
		return;
	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr != NULL)
		snprintf(req->peer, sizeof(req->peer), strchr(addr, ':') ? "[%s]:%u" : "%s:%u",
		    addr, (unsigned)port);
	/* the TLS bufferevent is under the server's filter (http_conn.c) */
	bev = evhttp_connection_get_bufferevent(evcon);
	ssl = bufferevent_openssl_get_ssl(bufferevent_get_underlying(bev) != NULL ?
	    bufferevent_get_underlying(bev) : bev);
	if (ssl != NULL && (req->client_cert = SSL_get1_peer_certificate(ssl)) != NULL &&
	    SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(req->client_cert);
		req->client_cert = NULL;
	}
}

void
http_request_view_set_conn(struct ndes_http_request *req, struct http_conn *c)
{
	http_conn_hold(c, &req->priv->conn);
}

/* After the reply: the connection waits for the next request. */
void
http_request_view_free(struct ndes_http_request *req)
{
	struct http_request_full *full = (struct http_request_full *)req;

	http_conn_replied(full->priv.conn);
	http_local_free(full->priv.local);
	evhttp_clear_headers(&full->priv.query);
	free(full->priv.path);
	X509_free(req->client_cert);
	free(full);
}

static int
http_request_target(struct http_request_full *full, struct evhttp_request *evreq,
    char *err, size_t errlen)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(evreq);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	size_t len = 0;

	if (raw == NULL || raw[0] == '\0')
		raw = "/";
	full->priv.path = evhttp_uridecode(raw, 0, &len);
	if (full->priv.path == NULL || strlen(full->priv.path) != len) {
		snprintf(err, errlen, "request path is not well-formed");
		return -1;
	}
	if (query != NULL && evhttp_parse_query_str(query, &full->priv.query) != 0) {
		snprintf(err, errlen, "query string is not well-formed");
		return -1;
	}
	full->pub.path = full->priv.path;
	return 0;
}

struct ndes_http_request *
http_request_view_new(struct evhttp_request *evreq, char *err, size_t errlen)
{
	struct http_request_full *full = calloc(1, sizeof(*full));
	struct evbuffer *in = evhttp_request_get_input_buffer(evreq);

	if (full == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&full->priv.query);
	full->pub.priv = &full->priv;
	full->priv.ev = evreq;
	full->pub.method = http_method_name(evhttp_request_get_command(evreq));
	if (http_request_target(full, evreq, err, errlen) != 0) {
		http_request_view_free(&full->pub);
		return NULL;
	}
	if ((full->pub.body_len = evbuffer_get_length(in)) > 0)
		full->pub.body = evbuffer_pullup(in, -1);
	http_request_peer(&full->pub, evreq);
	return &full->pub;
}

const char *
ndes_http_query(const struct ndes_http_request *req, const char *name)
{
	return evhttp_find_header(&req->priv->query, name);
}

const char *
ndes_http_header(const struct ndes_http_request *req, const char *name)
{
	if (req->priv->local != NULL)
		return http_local_header(req->priv->local, name);
	return evhttp_find_header(evhttp_request_get_input_headers(req->priv->ev), name);
}

int
ndes_http_set_header(struct ndes_http_request *req, const char *name, const char *value)
{
	if (req->priv->local != NULL)
		return http_local_set_header(req->priv->local, name, value);
	return evhttp_add_header(evhttp_request_get_output_headers(req->priv->ev), name, value);
}

static void
http_send(struct evhttp_request *evreq, int status, const char *content_type,
    const void *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (content_type != NULL && len > 0)
		evhttp_add_header(evhttp_request_get_output_headers(evreq), "Content-Type",
		    content_type);
	if (buf != NULL && len > 0)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(evreq, status, NULL, buf);
	evbuffer_free(buf);
}

void
ndes_http_reply_raw(struct ndes_http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	if (req->priv->local != NULL)
		http_local_reply(req->priv->local, status, content_type, body, len);
	else
		http_send(req->priv->ev, status, content_type, body, len);
	http_request_view_free(req);
}

static void
http_send_json(struct evhttp_request *evreq, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	http_send(evreq, status, "application/json", text, text ? strlen(text) : 0);
	free(text);
	json_decref(body);
}

void
ndes_http_reply_json(struct ndes_http_request *req, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	ndes_http_reply_raw(req, status, "application/json", text, text ? strlen(text) : 0);
	free(text);
	json_decref(body);
}

void
ndes_http_reply_empty(struct ndes_http_request *req, int status)
{
	ndes_http_reply_raw(req, status, NULL, NULL, 0);
}

json_t *
ndes_http_error_json(const char *code, const char *message)
{
	return json_pack("{s:{s:s,s:o}}", "error", "code", code, "message",
	    ndes_json_text(message));
}

void
http_reply_evreq_error(struct evhttp_request *evreq, int status, const char *code,
    const char *message)
{
	http_send_json(evreq, status, ndes_http_error_json(code, message));
}

void
ndes_http_reply_error(struct ndes_http_request *req, int status, const char *code,
    const char *fmt, ...)
{
	char message[NDES_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(message, sizeof(message), fmt, ap);
	va_end(ap);
	ndes_http_reply_json(req, status, ndes_http_error_json(code, message));
}

json_t *
ndes_http_body_json(const struct ndes_http_request *req, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *body;

	if (req->body_len == 0) {
		snprintf(err, errlen, "request body is empty");
		return NULL;
	}
	body = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		snprintf(err, errlen, "request body is not valid JSON: %s at line %d, column %d",
		    jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(body)) {
		snprintf(err, errlen, "request body must be a JSON object");
		json_decref(body);
		return NULL;
	}
	return body;
}
