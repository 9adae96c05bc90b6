/* Once a second: keep the outbox's WAL small (docs/storage.md,
 * "Maintenance").  Truncated after a second without writes, or at once
 * past 1 MiB; a checkpoint that fails (disk full) is tried again a second
 * later and logged once. */
#include "connectord.h"

#include "log.h"
#include "storage.h"

static void
maintain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct connd *d = arg;

	conn_outbox_maintain(d->ob);
}

void
connd_maintain_start(struct connd *d)
{
	struct timeval tv = { NDES_DB_MAINTAIN_MS / 1000, NDES_DB_MAINTAIN_MS % 1000 * 1000 };

	if ((d->ev_maintain = event_new(d->base, -1, EV_PERSIST, maintain_tick, d)) == NULL ||
	    event_add(d->ev_maintain, &tv) == -1)
		fatalx("cannot start the outbox maintenance timer");
}
