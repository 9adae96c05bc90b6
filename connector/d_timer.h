/* The parts' timers, on the daemon's loop.  A timer that cannot be set up
 * at start is fatal (fatalx naming it), like memory that cannot be had. */
#ifndef NDES_CONND_TIMER_H
#define NDES_CONND_TIMER_H

#include <stdint.h>

#include <event2/event.h>

#include "d_env.h"

/* Every interval (first after one interval). */
struct event *connd_timer_every(const struct connd_env *env, struct timeval interval,
    event_callback_fn cb, void *arg, const char *what);
/* A new interval of seconds for a timer of connd_timer_every (NULL: none yet). */
void connd_timer_reset(struct event *ev, int64_t seconds);
/* A timer that runs cb once per connd_timer_after() (not started). */
struct event *connd_timer_new(const struct connd_env *env, event_callback_fn cb, void *arg,
    const char *what);
/* cb after delay (0: at the next turn of the loop); a pending one moves. */
void connd_timer_after(struct event *ev, struct timeval delay);
/* NULL is fine. */
void connd_timer_free(struct event *ev);

#endif
