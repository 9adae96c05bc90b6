/* Clock readings and deadlines for timed waits (pthread_cond_timedwait,
 * pthread_mutex_timedlock), so that no module does timespec arithmetic. */
#ifndef NDES_CLOCK_H
#define NDES_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The clock's reading in nanoseconds. */
int64_t ndes_clock_ns(clockid_t clock);
/* The clock's reading plus ns (>= 0), normalised, for timed waits on that
 * clock (CLOCK_REALTIME for mutexes and default condition variables). */
struct timespec ndes_clock_after(clockid_t clock, int64_t ns);
/* t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (32 bytes are enough): 0, or
 * -1 with buf "?" when t cannot be written so. */
int ndes_clock_iso8601(time_t t, char *buf, size_t len);

#endif
