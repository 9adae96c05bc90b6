/* Accept failures that back off.  See listener.h.
 *
 * libevent calls a listener's error callback with the listener's own
 * argument (for evhttp's listeners: the struct evhttp), so the backoff of a
 * listener is found in a small registry keyed by the listener. */
#include "listener.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "log.h"

struct ndes_accept_backoff {
	struct evconnlistener	*lev;
	struct event		*resume;
	int			 delay_ms;	/* the next pause */
	char			*what;
	LIST_ENTRY(ndes_accept_backoff) entry;
};

static pthread_mutex_t backoff_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, ndes_accept_backoff) backoffs = LIST_HEAD_INITIALIZER(backoffs);

static struct ndes_accept_backoff *
backoff_of(struct evconnlistener *lev)
{
	struct ndes_accept_backoff *b;

	pthread_mutex_lock(&backoff_lock);
	LIST_FOREACH(b, &backoffs, entry)
		if (b->lev == lev)
			break;
	pthread_mutex_unlock(&backoff_lock);
	return b;
}

static void
backoff_resume(evutil_socket_t fd, short what, void *arg)
{
	struct ndes_accept_backoff *b = arg;

	evconnlistener_enable(b->lev);
}

static void
backoff_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct ndes_accept_backoff *b = backoff_of(lev);
	struct timeval tv;

	if (b == NULL)
		return;
	tv.tv_sec = b->delay_ms / 1000;
	tv.tv_usec = (b->delay_ms % 1000) * 1000;
	log_warnx("%s: accept: %s; not accepting for %d ms", b->what,
	    evutil_socket_error_to_string(err), b->delay_ms);
	evconnlistener_disable(lev);
	evtimer_add(b->resume, &tv);
	if ((b->delay_ms *= 2) > NDES_ACCEPT_BACKOFF_MAX_MS)
		b->delay_ms = NDES_ACCEPT_BACKOFF_MAX_MS;
}

struct ndes_accept_backoff *
ndes_accept_backoff_new(struct event_base *base, struct evconnlistener *lev, const char *what)
{
	struct ndes_accept_backoff *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->what = strdup(what)) == NULL ||
	    (b->resume = evtimer_new(base, backoff_resume, b)) == NULL) {
		if (b != NULL)
			free(b->what);
		free(b);
		return NULL;
	}
	b->lev = lev;
	b->delay_ms = NDES_ACCEPT_BACKOFF_MIN_MS;
	pthread_mutex_lock(&backoff_lock);
	LIST_INSERT_HEAD(&backoffs, b, entry);
	pthread_mutex_unlock(&backoff_lock);
	evconnlistener_set_error_cb(lev, backoff_error);
	return b;
}

void
ndes_accept_backoff_ok(struct ndes_accept_backoff *b)
{
	if (b != NULL)
		b->delay_ms = NDES_ACCEPT_BACKOFF_MIN_MS;
}

void
ndes_accept_backoff_free(struct ndes_accept_backoff *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&backoff_lock);
	LIST_REMOVE(b, entry);
	pthread_mutex_unlock(&backoff_lock);
	evconnlistener_set_error_cb(b->lev, NULL);
	event_free(b->resume);
	free(b->what);
	free(b);
}
