/* Uploading the outbox, oldest first, in batches of outbox.batch_size:
 *   notifications        POST /ScepActions/<kind>, one call per item (the
 *                        body exactly as crpd made it), up to
 *                        NDES_HTTP_MAX_CONNECTIONS calls in flight at once;
 *                        what became of the batch's items is recorded in
 *                        one outbox transaction when its last call is
 *                        answered (conn_outbox_settle: one commit a batch)
 *   PKCS results         POST /PkcsRequests/uploadResults {results: [...]}
 *   revocation results   POST /CertificateAuthorityRequests/uploadRevocationResults
 * An item is removed only when the cloud confirmed it (200; a duplicate
 * counts as confirmed: the cloud is idempotent by transactionId,
 * requestId, requestContext).  A refusal for good (400, 404, 409, 413,
 * 422) keeps the item, marked rejected; a batch refused that way is sent
 * again one item at a time to find the culprit.  After a notification
 * that must wait (below), no more calls of its batch are started; those in
 * flight are answered and recorded with it; until a batch goes through
 * again, notification batches hold one item.  Anything else (no
 * connection, TLS, 401/403, 408, 429, 5xx) waits with exponential backoff
 * and jitter (outbox.backoff_initial, doubled per failed batch up to
 * backoff_max; the wait is drawn from the upper half of it; a batch that
 * goes through resets it).  So does an outbox that cannot record what the
 * cloud answered (disk full: the remove or the rejected mark fails): the
 * item stays, counts as not uploaded, and is sent again after the backoff
 * (the cloud keeps one copy).  Events per batch: 20300 counting only the
 * items settled in the outbox, or 20302 with 0x1202 / 0x1203 / 0x1204, or
 * 0x1205 when the outbox cannot be written. */
#ifndef NDES_CONND_UPLOAD_H
#define NDES_CONND_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "d_caller.h"
#include "d_env.h"

struct connd_upload;

struct connd_upload *connd_upload_new(const struct connd_env *env,
    const struct connd_caller *caller);
void connd_upload_free(struct connd_upload *u);
/* The timer; the first round runs from the loop. */
void connd_upload_start(struct connd_upload *u);
/* New items: upload soon, unless a backoff is running (they wait for it). */
void connd_upload_kick(struct connd_upload *u);
/* One round now (the timer's work): the next batch, if any. */
void connd_upload_run(struct connd_upload *u);

/* The backoff in seconds (0: the last batch went through), and when the
 * next round is due (env->now() based). */
int64_t connd_upload_backoff(const struct connd_upload *u);
time_t connd_upload_due(const struct connd_upload *u);
/* A batch is out (waiting for the cloud). */
bool connd_upload_busy(const struct connd_upload *u);

#endif
