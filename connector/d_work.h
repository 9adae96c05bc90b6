/* Carrying out downloaded work on the CA: PKCS issuance (events 20100 /
 * 20102) and revocation (20200 / 20202), CONND_WORK_PER_TURN items per turn
 * of the event loop (so that crpd's notifications and the watchdog are
 * served between key generations).
 *
 * The claim: a work item is marked started (conn_outbox_work_start) before
 * it is carried out, and becomes its result in the outbox in one
 * transaction.  A crash in between leaves the work item, marked, and it is
 * carried out again: a revocation then found already revoked counts as done
 * (our own earlier attempt did it); one found already revoked without the
 * mark is a failure result.  A request for another CA than ca.name is
 * answered as CA unavailable. */
#ifndef NDES_CONND_WORK_H
#define NDES_CONND_WORK_H

#include "d_env.h"

#define CONND_WORK_PER_TURN 4

struct connd_work;

/* stored: results were stored (upload them). */
struct connd_work *connd_work_new(const struct connd_env *env, struct connd_hook stored);
void connd_work_free(struct connd_work *w);
/* A turn: up to CONND_WORK_PER_TURN items, the next turn queued on the loop
 * when more wait.  Nothing without a CA, or while stopping. */
void connd_work_run(struct connd_work *w);

#endif
