/* Admission of requests (crpd.h): at most max_queue in flight, none once
 * stopping; the last one answered while stopping ends the loop. */
#include "crpd.h"

#include <event2/event.h>

bool
crp_admit(struct crpd *d)
{
	if (d->stopping || d->inflight >= (size_t)d->cfg.max_queue)
		return false;
	d->inflight++;
	return true;
}

void
crp_release(struct crpd *d)
{
	struct timeval soon = { 0, 100000 };

	if (d->inflight > 0)
		d->inflight--;
	if (d->stopping && d->inflight == 0 && d->base != NULL)
		event_base_loopexit(d->base, &soon);
}
