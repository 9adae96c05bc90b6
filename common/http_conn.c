/* The HTTP server's connections: a cap on how many are open at once, a
 * deadline for each request's head and another for its body, TCP_NODELAY.
 * See http.h (struct ndes_http_limits) and docs/http.md ("Connections").
 *
 * evhttp (libevent 2.1) tells nothing about a connection until a whole
 * request is in, and its timeout is an idle timeout that a client sending a
 * byte every few seconds resets forever.  What it does give:
 *   - the bevcb: every accepted connection's bufferevent is made here, so a
 *     connection is counted the moment it is accepted; at the cap the
 *     listener (evhttp_bound_socket_get_listener) is disabled: further
 *     connections wait in the kernel's listen queue, costing no descriptor
 *     and no CPU, until one closes;
 *   - evhttp_connection_set_closecb(): called by evhttp_connection_free(),
 *     the one way every server connection ends (EOF, error, timeout, close
 *     after a reply, evhttp_free()).  The count drops there and only there.
 *     The evhttp connection exists only after the bevcb returns, so the
 *     close callback is set one loop turn later ("attach"); until then a
 *     reference on the bufferevent keeps it from being freed under us (a
 *     connection evhttp already dropped shows NULL callbacks then);
 *   - a callback on the bufferevent's input buffer sees every byte before
 *     evhttp parses it: the blank line that ends a request head starts the
 *     body's deadline, the first byte of a next request (keep-alive) starts
 *     its head's deadline;
 *   - evhttp's own callbacks are on the bufferevent, so a deadline that
 *     passes closes the connection exactly as evhttp's idle timeout does
 *     (bufferevent_trigger_event(TIMEOUT)).
 * The request is dispatched (gencb) when it is whole: no deadline runs
 * while a handler works, until its reply is sent.
 * (A bufferevent filter would give a free callback too, but libevent 2.1's
 * filter never writes what evhttp queued before enabling EV_WRITE: every
 * reply would hang.)
 *
 * Everything here runs on the server's loop thread. */
/* Before libevent's headers: they define TAILQ_* for themselves when it is
 * missing, and undefine it again further on. */
#include <sys/queue.h>

#include "http.h"
#include "http_priv.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>	/* the deadline lives in the connection */
#include <event2/http.h>
#include <event2/listener.h>

#include "log.h"

enum http_conn_phase {
	HTTP_CONN_HEAD,		/* reading a request head: its deadline runs */
	HTTP_CONN_BODY,		/* reading its body: the body's deadline runs */
	HTTP_CONN_HANDLER,	/* dispatched, until the reply: no deadline */
	HTTP_CONN_IDLE,		/* replied, keep-alive: evhttp's idle timeout */
	HTTP_CONN_REFUSED,	/* over the cap (see http_conns_bevcb): closed once attached */
	HTTP_CONN_CLOSING,	/* we asked evhttp to close it */
};

struct http_conn {
	struct http_conns	*set;		/* NULL once detached */
	TAILQ_ENTRY(http_conn)	 entry;
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *input_cb;
	struct event		 attach;	/* one loop turn after the bevcb */
	struct event		 deadline;
	enum http_conn_phase	 phase;
	bool			 attached;	/* close callback set, our ref dropped */
	bool			 counted;	/* one of set->n (not refused) */
	bool			 line_start;	/* the head scanner */
	struct http_conn	**holder;	/* a request view's pointer to us */
};

struct http_conns {
	struct event_base	*base;
	SSL_CTX			*tls;
	size_t			 max, n;
	struct evconnlistener	*lev;		/* paused while n >= max */
	int			 head_ms, body_ms;
	char			 what[80];	/* "http 127.0.0.1:8444" */
	TAILQ_HEAD(, http_conn)	 list;
	TAILQ_HEAD(, http_conn)	 orphans;	/* not attached at detach */
};

static void
http_conn_arm(struct http_conn *c, enum http_conn_phase phase, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	c->phase = phase;
	if (ms >= 0)
		evtimer_add(&c->deadline, &tv);
	else
		evtimer_del(&c->deadline);
}

/* The connection ends: out of the count and the list, memory freed.  The
 * bufferevent is evhttp's to free (or ours, see http_conn_attach); libevent
 * closes its socket later in this loop turn, and a listener enabled again
 * here accepts at the next turn at the earliest: the cap stays a cap on
 * descriptors. */
static void
http_conn_end(struct http_conn *c)
{
	struct http_conns *set = c->set;

	if (c->holder != NULL)
		*c->holder = NULL;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
	if (set != NULL) {
		evtimer_del(&c->attach);
		evtimer_del(&c->deadline);
		TAILQ_REMOVE(&set->list, c, entry);
		if (c->counted && set->n-- == set->max && set->lev != NULL)
			evconnlistener_enable(set->lev);
	}
	free(c);
}

/* evhttp_connection_free() is freeing the connection. */
static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	http_conn_end(arg);
}

static void
http_conn_peer(struct evhttp_connection *evcon, char *buf, size_t len)
{
	char *addr = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(buf, len, addr == NULL ? "?" : strchr(addr, ':') ? "[%s]:%u" : "%s:%u",
	    addr, (unsigned)port);
}

/* Ask evhttp to drop the connection as its own timeout does: it frees it
 * (http_conn_closed runs, c is gone when this returns). */
static void
http_conn_close(struct http_conn *c)
{
	c->phase = HTTP_CONN_CLOSING;
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
}

/* A deadline passed. */
static void
http_conn_expire(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	bufferevent_event_cb eventcb = NULL;
	void *evcon = NULL;
	char peer[80];

	if (!c->attached || (c->phase != HTTP_CONN_HEAD && c->phase != HTTP_CONN_BODY))
		return;
	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &evcon);
	http_conn_peer(evcon, peer, sizeof(peer));
	log_info("%s: closed the connection from %s: its request %s was not in within %d ms",
	    c->set->what, peer, c->phase == HTTP_CONN_BODY ? "body" : "head",
	    c->phase == HTTP_CONN_BODY ? c->set->body_ms : c->set->head_ms);
	http_conn_close(c);
}

static void
http_conn_nodelay(struct http_conn *c)
{
	int fd = bufferevent_getfd(c->bev), one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* One loop turn after the bevcb: evhttp's connection exists (or evhttp
 * dropped it already: NULL callbacks).  Set the close callback, then let go
 * of our reference. */
static void
http_conn_attach(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct bufferevent *bev = c->bev;
	bufferevent_event_cb eventcb = NULL;
	void *evcon = NULL;

	bufferevent_getcb(bev, NULL, NULL, &eventcb, &evcon);
	if (eventcb == NULL || evcon == NULL) {
		http_conn_end(c);
		bufferevent_decref(bev);
		return;
	}
	evhttp_connection_set_closecb(evcon, http_conn_closed, c);
	c->attached = true;
	bufferevent_decref(bev);
	http_conn_nodelay(c);
	if (c->phase == HTTP_CONN_REFUSED)
		http_conn_close(c);
}

/* Look for the blank line that ends a head in the last n bytes of buf. */
static bool
http_conn_scan_head(struct http_conn *c, struct evbuffer *buf, size_t n)
{
	struct evbuffer_iovec v[16];
	struct evbuffer_ptr pos;
	size_t seen = 0;
	int nv;

	if (evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - n, EVBUFFER_PTR_SET) != 0)
		return false;
	nv = evbuffer_peek(buf, (ev_ssize_t)n, &pos, v, 16);
	for (int i = 0; i < nv && i < 16 && seen < n; i++) {
		const unsigned char *p = v[i].iov_base;

		for (size_t j = 0; j < v[i].iov_len && seen < n; j++, seen++) {
			if (p[j] == '\n' && c->line_start)
				return true;
			if (p[j] == '\n')
				c->line_start = true;
			else if (p[j] != '\r')
				c->line_start = false;
		}
	}
	return false;
}

/* Bytes arrived in the input buffer, before evhttp parses them. */
static void
http_conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;

	if (info->n_added == 0 || c->set == NULL)
		return;
	if (c->phase == HTTP_CONN_IDLE) {
		c->line_start = false;
		http_conn_arm(c, HTTP_CONN_HEAD, c->set->head_ms);
	}
	if (c->phase == HTTP_CONN_HEAD && http_conn_scan_head(c, buf, info->n_added))
		http_conn_arm(c, HTTP_CONN_BODY, c->set->body_ms);
}

/* The socket (or TLS) bufferevent; evhttp sets its fd. */
static struct bufferevent *
http_conn_transport(struct http_conns *set)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (set->tls == NULL)
		return bufferevent_socket_new(set->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if ((ssl = SSL_new(set->tls)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(set->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *
http_conns_bevcb(struct http_conns *set)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	struct timeval now = { 0, 0 };

	if (c == NULL || (c->bev = http_conn_transport(set)) == NULL ||
	    (c->input_cb = evbuffer_add_cb(bufferevent_get_input(c->bev), http_conn_input,
	    c)) == NULL) {
		if (c != NULL && c->bev != NULL)
			bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	c->set = set;
	bufferevent_incref(c->bev);
	evtimer_assign(&c->attach, set->base, http_conn_attach, c);
	evtimer_assign(&c->deadline, set->base, http_conn_expire, c);
	evtimer_add(&c->attach, &now);
	TAILQ_INSERT_TAIL(&set->list, c, entry);
	if (set->n >= set->max) {
		/* the accept backoff resumed the paused listener: pause again */
		c->phase = HTTP_CONN_REFUSED;
		if (set->lev != NULL)
			evconnlistener_disable(set->lev);
		return c->bev;
	}
	c->counted = true;
	http_conn_arm(c, HTTP_CONN_HEAD, set->head_ms);
	if (++set->n >= set->max && set->lev != NULL) {
		log_warnx("%s: %zu connections open, the most allowed (max_connections): not "
		    "accepting more until one closes", set->what, set->n);
		evconnlistener_disable(set->lev);
	}
	return c->bev;
}

struct http_conn *
http_conns_dispatched(struct http_conns *set, struct evhttp_request *evreq, bool *refused)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	struct http_conn *c;

	*refused = false;
	TAILQ_FOREACH(c, &set->list, entry)
		if (c->bev == bev)
			break;
	if (c == NULL)
		return NULL;
	*refused = c->phase == HTTP_CONN_REFUSED;
	http_conn_arm(c, *refused ? HTTP_CONN_CLOSING : HTTP_CONN_HANDLER, -1);
	return c;
}

void
http_conn_hold(struct http_conn *c, struct http_conn **slot)
{
	*slot = c;
	if (c != NULL)
		c->holder = slot;
}

void
http_conn_replied(struct http_conn *c)
{
	if (c == NULL)
		return;
	if (c->holder != NULL)
		*c->holder = NULL;
	c->holder = NULL;
	if (c->phase == HTTP_CONN_HANDLER)
		c->phase = HTTP_CONN_IDLE;
}

struct http_conns *
http_conns_new(struct event_base *base, SSL_CTX *tls, const struct ndes_http_limits *lim)
{
	struct http_conns *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->base = base;
	set->tls = tls;
	set->max = lim->max_connections;
	set->head_ms = lim->header_timeout_ms;
	set->body_ms = lim->body_timeout_ms;
	snprintf(set->what, sizeof(set->what), "http");
	TAILQ_INIT(&set->list);
	TAILQ_INIT(&set->orphans);
	return set;
}

void
http_conns_set_listener(struct http_conns *set, struct evconnlistener *lev, const char *what)
{
	set->lev = lev;
	snprintf(set->what, sizeof(set->what), "%s", what);
}

size_t
http_conns_count(const struct http_conns *set)
{
	return set->n;
}

void
http_conns_detach(struct http_conns *set)
{
	struct http_conn *c;

	if (set != NULL)
		set->lev = NULL;
	while (set != NULL && (c = TAILQ_FIRST(&set->list)) != NULL) {
		TAILQ_REMOVE(&set->list, c, entry);
		evtimer_del(&c->attach);
		evtimer_del(&c->deadline);
		if (!c->attached)
			TAILQ_INSERT_TAIL(&set->orphans, c, entry);
		c->set = NULL;
	}
}

void
http_conns_free(struct http_conns *set)
{
	struct http_conn *c;
	struct bufferevent *bev;

	if (set == NULL)
		return;
	while ((c = TAILQ_FIRST(&set->orphans)) != NULL) {
		TAILQ_REMOVE(&set->orphans, c, entry);
		bev = c->bev;
		http_conn_end(c);
		bufferevent_decref(bev);
	}
	free(set);
}
