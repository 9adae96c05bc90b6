/* Notifications recorded in groups (docs/cloud-sim.md, "Notifications").
 *
 *   loop  api_notify() checks a notification and hands the call here;
 *   loop  the notifications waiting when the loop gets to them (every one
 *         read in the same turn of the loop: the connector sends several in
 *         flight) are recorded in ONE transaction, with the revocations the
 *         conformance check asks for, and only then is each answered.  The
 *         store is NDES_DB_DURABLE: one fsync for the group, and no
 *         notification is acknowledged before its record is on disk.  A
 *         group that cannot be recorded is answered 500, each; the connector
 *         keeps those items and sends them again (at least once, recorded
 *         once per kind and transaction ID).
 *
 * Everything runs on the loop thread. */
#ifndef NDES_CLOUDSIM_NOTIFY_BATCH_H
#define NDES_CLOUDSIM_NOTIFY_BATCH_H

#include <jansson.h>

#include "api.h"

struct cloudsim_notify_batch;

struct cloudsim_notify_batch *cloudsim_notify_batch_new(struct cloudsim_svc *svc);
/* What is waiting is recorded and answered first.  Before the HTTP
 * servers are freed. */
void cloudsim_notify_batch_free(struct cloudsim_notify_batch *b);
/* Take over the call (its reply): the notification n (inside call->body),
 * of kind "success" or "failure", for transaction txid (inside n). */
void cloudsim_notify_batch_submit(struct cloudsim_notify_batch *b, struct api_call *call,
    const char *kind, const json_t *n, const char *txid);

/* api_scep.c: the revocation a notification's conformance result asks for
 * (0, also when none; -1 when the store failed). */
int api_conformance_revocation(struct cloudsim_svc *svc, const json_t *n,
    const char *connector);

#endif
