/* The device's clock (shifted by --clock-offset so that tests reach the
 * renewal threshold without waiting) and the renewal rule of
 * docs/cloud-sim.md: renew when notAfter - now < (notAfter - notBefore) *
 * renewalThresholdPercent / 100. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto.h"
#include "dsim.h"

#define DSIM_CLOCK_MAX_S (100LL * 365 * 86400)

static int64_t clock_offset_s;

int
dsim_clock_offset_parse(const char *text, int64_t *seconds)
{
	char *end;
	long long v;
	int64_t unit = 1;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || errno != 0)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > DSIM_CLOCK_MAX_S / unit || v < -DSIM_CLOCK_MAX_S / unit)
		return -1;
	*seconds = (int64_t)v * unit;
	return 0;
}

void
dsim_clock_set_offset(int64_t seconds)
{
	clock_offset_s = seconds;
}

time_t
dsim_now(void)
{
	return time(NULL) + (time_t)clock_offset_s;
}

bool
dsim_renewal_due(X509 *cert, int pct, time_t now, char *why, size_t whylen)
{
	time_t nb, na;
	int64_t whole, left, threshold;

	if (ndes_crypto_asn1_time(X509_get0_notBefore(cert), &nb) != 0 ||
	    ndes_crypto_asn1_time(X509_get0_notAfter(cert), &na) != 0) {
		snprintf(why, whylen, "the certificate's validity cannot be read");
		return true;
	}
	whole = (int64_t)na - (int64_t)nb;
	left = (int64_t)na - (int64_t)now;
	threshold = whole * pct / 100;
	snprintf(why, whylen, "%lld of %lld days left, the threshold is %d%% (%lld days)",
	    (long long)(left / 86400), (long long)(whole / 86400), pct,
	    (long long)(threshold / 86400));
	return left < threshold;
}
