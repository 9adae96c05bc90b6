/* The sync thread: with `state_sync.mode: interval`, the workers commit
 * without fsync (a commit survives kill -9 and restarts at once) and this
 * thread, on its own connection to the same file, makes what was committed
 * durable on disk (WAL fsync + checkpoint) within `state_sync.interval_ms`.
 * No worker ever checkpoints, so no fsync is ever on the path
 * of an answer.  A batch holding a job that must be on disk before it is
 * answered (a notification: must_sync) is committed with fsync (work.c). */
#ifndef CRP_SYNC_H
#define CRP_SYNC_H

#include <stdint.h>

struct crp_sync;

/* Opens its connection to db_path and starts the thread.  NULL on failure
 * (logged). */
struct crp_sync	*crp_sync_new(const char *db_path, int64_t interval_ms);
/* A batch was committed without fsync (any thread). */
void		 crp_sync_committed(struct crp_sync *s);
/* Syncs what is left, stops the thread, closes.  Accepts NULL. */
void		 crp_sync_free(struct crp_sync *s);
/* Syncs done and the longest one, in microseconds (for the logs). */
void		 crp_sync_stats(struct crp_sync *s, uint64_t *syncs, uint64_t *max_us);

#endif
