/* ndes-crpd's metrics (docs/metrics.md): verifications by result and
 * code, their latency, and the gauges read at scrape time.  Served on
 * metrics.listen when set. */
#ifndef CRP_CRP_METRICS_H
#define CRP_CRP_METRICS_H

#include <stdint.h>
#include <time.h>

#include "events.h"

struct crpd;

/* At start, after the listeners: 0, or -1 (logged) when metrics.listen
 * cannot be used.  Without metrics.listen nothing is counted. */
int	crp_metrics_start(struct crpd *d);
void	crp_metrics_stop(struct crpd *d);
/* One verification answered (any thread): event and code as in its event,
 * started its CLOCK_MONOTONIC start. */
void	crp_metrics_verified(struct crpd *d, enum ndes_event ev, uint32_t code,
	    const struct timespec *started);

#endif
