/* Clock readings and deadlines (clock.h). */
#include "clock.h"

#include <stdio.h>

#define NDES_NS_PER_S 1000000000L

int64_t
ndes_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NDES_NS_PER_S + ts.tv_nsec;
}

struct timespec
ndes_clock_after(clockid_t clock, int64_t ns)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t)(ns / NDES_NS_PER_S);
	ts.tv_nsec += (long)(ns % NDES_NS_PER_S);
	if (ts.tv_nsec >= NDES_NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= NDES_NS_PER_S;
	}
	return ts;
}

int
ndes_clock_iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL && strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		return 0;
	if (len > 0)
		snprintf(buf, len, "?");
	return -1;
}
