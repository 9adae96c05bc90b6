/* The installation's name every event carries as NDES_INSTANCE (events.h,
 * docs/events.md): events.instance in the daemon's YAML, else the
 * NDES_INSTANCE environment variable, else the host name. */
#include "events.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char ev_instance[256];
static pthread_once_t ev_instance_once = PTHREAD_ONCE_INIT;

static void
ev_instance_default(void)
{
	const char *env = getenv("NDES_INSTANCE");

	if (env != NULL && env[0] != '\0')
		snprintf(ev_instance, sizeof(ev_instance), "%s", env);
	else if (gethostname(ev_instance, sizeof(ev_instance) - 1) == -1 ||
	    ev_instance[0] == '\0')
		snprintf(ev_instance, sizeof(ev_instance), "localhost");
}

void
ndes_events_set_instance(const char *name)
{
	pthread_once(&ev_instance_once, ev_instance_default);
	if (name != NULL && name[0] != '\0')
		snprintf(ev_instance, sizeof(ev_instance), "%s", name);
	else
		ev_instance_default();
}

const char *
ndes_events_instance(void)
{
	pthread_once(&ev_instance_once, ev_instance_default);
	return ev_instance;
}
