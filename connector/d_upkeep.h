/* Upkeep on timers: the CA's CRL kept fresh and the outbox's WAL kept small.
 *
 * The CRL: at start, every CONND_CRL_CHECK_S and after a configuration
 * reload, conn_ca_crl_refresh() publishes a new crl.pem when there is none,
 * when it does not verify with the CA certificate, or when less than half of
 * ca.crl_days is left before its nextUpdate (so with the default 7 days a CRL
 * is re-issued every 3.5 days, never left to expire).  A CRL that cannot be
 * published is event 20212 CrlPublish_Failure (a project extension: no
 * revocation failed, so not 20202) with 0x00001303 (CA unavailable: files
 * missing, unreadable or locked), 0x00001305 (a malformed CA file) or
 * 0x0FFFFFFF.
 *
 * The WAL (docs/storage.md, "Maintenance"): once a second, truncated after a
 * second without writes, or at once past 1 MiB; a checkpoint that fails
 * (disk full) is tried again a second later and logged once. */
#ifndef NDES_CONND_UPKEEP_H
#define NDES_CONND_UPKEEP_H

#include "d_env.h"

#define CONND_CRL_CHECK_S 3600

struct connd_upkeep;

struct connd_upkeep *connd_upkeep_new(const struct connd_env *env);
void connd_upkeep_free(struct connd_upkeep *k);
/* The timers, and a CRL check now. */
void connd_upkeep_start(struct connd_upkeep *k);
/* The CRL now (and after a reload). */
void connd_upkeep_crl(struct connd_upkeep *k);

#endif
