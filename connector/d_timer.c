/* The parts' timers (d_timer.h). */
#include "d_timer.h"

#include "log.h"

struct event *
connd_timer_every(const struct connd_env *env, struct timeval interval, event_callback_fn cb,
    void *arg, const char *what)
{
	struct event *ev = event_new(env->base, -1, EV_PERSIST, cb, arg);

	if (ev == NULL || event_add(ev, &interval) == -1)
		fatalx("cannot start the %s timer", what);
	return ev;
}

void
connd_timer_reset(struct event *ev, int64_t seconds)
{
	struct timeval tv = { (time_t)seconds, 0 };

	if (ev != NULL)
		event_add(ev, &tv);
}

struct event *
connd_timer_new(const struct connd_env *env, event_callback_fn cb, void *arg, const char *what)
{
	struct event *ev = evtimer_new(env->base, cb, arg);

	if (ev == NULL)
		fatalx("cannot set up the %s timer", what);
	return ev;
}

void
connd_timer_after(struct event *ev, struct timeval delay)
{
	evtimer_del(ev);
	evtimer_add(ev, &delay);
}

void
connd_timer_free(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}
