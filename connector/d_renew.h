/* Renewal of the registration certificates: every renewal.check_interval,
 * when less than renewal.threshold_percent of the client certificate's
 * lifetime is left, POST /connectors/renew (mutual TLS with the current
 * certificate) with fresh client and CRP requests.  The new pairs are
 * written (the old CRP pair kept as crp-previous.*); then, outside the
 * HTTP callback, the renewed hook (connectord.c: the registration checked
 * again, so the HTTPS client switches once nothing is in flight, and crpd
 * told to reload).  Events: 10100 on success, 10102 with 0x1202 / 0x1203 /
 * 0x1204 / 0x0FFFFFFF on failure (0x405 when the certificate has expired:
 * d_registration.c).  One renewal at a time; a failed one is tried again
 * at the next check. */
#ifndef NDES_CONND_RENEW_H
#define NDES_CONND_RENEW_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "d_caller.h"
#include "d_env.h"

struct connd_reg;
struct connd_renew;

struct connd_renew *connd_renew_new(const struct connd_env *env, struct connd_reg *reg,
    const struct connd_caller *caller, struct connd_hook renewed);
void connd_renew_free(struct connd_renew *rn);
/* The timer, and a check now. */
void connd_renew_start(struct connd_renew *rn);
/* Renew when it is due (and the registration usable). */
void connd_renew_check(struct connd_renew *rn);
/* renewal.check_interval changed: the timer follows. */
void connd_renew_reschedule(struct connd_renew *rn);
/* A renewal is under way. */
bool connd_renew_busy(const struct connd_renew *rn);

/* Less than threshold_percent of not_before .. not_after is left at now. */
bool connd_renew_due(time_t not_before, time_t not_after, time_t now,
    int64_t threshold_percent);

#endif
