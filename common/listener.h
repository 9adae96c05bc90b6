/* Accept failures that back off instead of spinning.
 *
 * When accept() fails with EMFILE, ENFILE, ENOBUFS or ENOMEM the listening
 * socket stays readable: a listener that only logs (libevent's default) is
 * woken again at once and spins, writing a line each time.  With a backoff
 * the listener is disabled and enabled again after a delay that doubles
 * from 10 ms up to 1 s, and goes back to 10 ms once an accept succeeds.
 * Each failure logs one line, rate-limited by log.h:
 *     http 0.0.0.0:8444: accept: Too many open files; not accepting for 40 ms
 * Loop thread only. */
#ifndef NDES_LISTENER_H
#define NDES_LISTENER_H

struct event_base;
struct evconnlistener;
struct ndes_accept_backoff;

#define NDES_ACCEPT_BACKOFF_MIN_MS 10
#define NDES_ACCEPT_BACKOFF_MAX_MS 1000

/* Take over lev's error callback; what names the listener in the log. */
struct ndes_accept_backoff *ndes_accept_backoff_new(struct event_base *base,
    struct evconnlistener *lev, const char *what);
/* An accept succeeded: the next failure waits the shortest delay again. */
void ndes_accept_backoff_ok(struct ndes_accept_backoff *b);
/* Before the listener is freed.  NULL: no-op. */
void ndes_accept_backoff_free(struct ndes_accept_backoff *b);

#endif
