/* Clock readings and deadlines for timed waits (pthread_cond_timedwait,
 * pthread_mutex_timedlock), so that no module does timespec arithmetic. */
#ifndef NDES_CLOCK_H
#define NDES_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The clock's reading in nanoseconds. */
int64_t ndes_clock_ns(clockid_t clock);
/* The clock's reading plus ns (>= 0), normalised, for timed waits on that
 * clock (CLOCK_REALTIME for mutexes and default condition variables). */
struct timespec ndes_clock_after(clockid_t clock, int64_t ns);

#endif
