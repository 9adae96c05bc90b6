/* HTTP(S) client: libcurl's multi handle on a libevent loop.  See
 * http_client.h.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION); each becomes a libevent event
 * that hands control back to curl_multi_socket_action().  Finished
 * transfers are collected after every such call and reported to their
 * callers.  A callback may start requests or free the client: the free is
 * then finished when the collecting loop is done with the client. */
#include "http_client_priv.h"

#include <stdlib.h>
#include <string.h>
#include <curl/header.h>
#include <event2/event.h>
#include <openssl/err.h>

struct http_sock {
	struct ndes_http_client *client;
	struct event *ev;
	LIST_ENTRY(http_sock) entry;
};

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
	if (call->easy != NULL) {
		if (call->client->multi != NULL)
			curl_multi_remove_handle(call->client->multi, call->easy);
		curl_easy_cleanup(call->easy);
	}
	curl_slist_free_all(call->headers);
	curl_slist_free_all(call->connect_to);
	free(call->url);
	if (call->body != NULL)
		evbuffer_free(call->body);
	free(call);
}

/* Report a finished transfer to its caller and free the call. */
static void
call_finish(struct http_call *call, CURLcode rc)
{
	struct ndes_http_result res = { .request_id = call->request_id, .priv = call };
	long status = 0, connects = 0;

	res.err = http_call_classify(call, rc);
	res.errmsg = res.err == NDES_HTTP_OK ? "" : call->errmsg;
	evbuffer_add(call->body, "", 1);
	res.body = (const char *)evbuffer_pullup(call->body, -1);
	res.len = evbuffer_get_length(call->body) - 1;
	if (res.err == NDES_HTTP_OK) {
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
		res.status = (int)status;
	}
	curl_easy_getinfo(call->easy, CURLINFO_NUM_CONNECTS, &connects);
	res.new_connections = (int)connects;
	TAILQ_REMOVE(&call->client->calls, call, entry);
	curl_multi_remove_handle(call->client->multi, call->easy);
	ERR_clear_error();
	call->cb(&res, call->arg);
	http_call_free(call);
}

/* Report every finished transfer. */
static void
client_collect(struct ndes_http_client *c)
{
	CURLMsg *msg;
	int left;
	struct http_call *call;

	while (!c->free_pending && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		call = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		if (call != NULL)
			call_finish(call, msg->data.result);
	}
}

/* Let curl act on fd (or on its timer), then report what finished. */
static void
client_dispatch(struct ndes_http_client *c, curl_socket_t fd, int flags)
{
	int running;

	c->dispatching++;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	client_collect(c);
	if (--c->dispatching == 0 && c->free_pending)
		http_client_destroy(c);
}

static void
client_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock *s = arg;

	client_dispatch(s->client, fd, ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0));
}

static void
client_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	client_dispatch(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void
client_sock_free(struct http_sock *s)
{
	if (s == NULL)
		return;
	LIST_REMOVE(s, entry);
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants. */
static int
client_socket_fn(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct ndes_http_client *c = arg;
	struct http_sock *s = sockp;
	short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);

	if (what == CURL_POLL_REMOVE) {
		client_sock_free(s);
		curl_multi_assign(c->multi, fd, NULL);
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->client = c;
		LIST_INSERT_HEAD(&c->socks, s, entry);
		curl_multi_assign(c->multi, fd, s);
	} else {
		event_free(s->ev);
	}
	s->ev = event_new(c->base, fd, kind, client_sock_cb, s);
	return s->ev != NULL && event_add(s->ev, NULL) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: call curl back after ms (-1: never). */
static int
client_timer_fn(CURLM *multi, long ms, void *arg)
{
	struct ndes_http_client *c = arg;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms < 0)
		return evtimer_del(c->timer);
	return evtimer_add(c->timer, &tv);
}

int
http_client_multi_init(struct ndes_http_client *c)
{
	if ((c->multi = curl_multi_init()) == NULL || (c->share = curl_share_init()) == NULL ||
	    (c->timer = evtimer_new(c->base, client_timer_cb, c)) == NULL)
		return -1;
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, client_socket_fn);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, client_timer_fn);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)NDES_HTTP_MAX_CONNECTIONS);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)NDES_HTTP_MAX_CONNECTIONS);
	return 0;
}

void
http_client_destroy(struct ndes_http_client *c)
{
	struct http_call *call;

	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		http_call_free(call);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	while (!LIST_EMPTY(&c->socks))
		client_sock_free(LIST_FIRST(&c->socks));
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	if (c->timer != NULL)
		event_free(c->timer);
	http_client_opts_free(c);
	free(c);
}

void
ndes_http_client_free(struct ndes_http_client *c)
{
	struct http_call *call;

	if (c == NULL)
		return;
	if (c->dispatching == 0) {
		http_client_destroy(c);
		return;
	}
	/* inside a callback: cancel the calls now, free the rest afterwards */
	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		http_call_free(call);
	}
	c->free_pending = true;
}

int
http_call_start(struct http_call *call)
{
	return curl_multi_add_handle(call->client->multi, call->easy) == CURLM_OK ? 0 : -1;
}

const char *
ndes_http_result_header(const struct ndes_http_result *res, const char *name)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(res->priv->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}
