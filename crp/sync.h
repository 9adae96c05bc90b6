/* The sync thread: with `state_sync.mode: interval`, the workers commit
 * without fsync (a commit survives kill -9 and restarts at once) and this
 * thread, on its own connection to the same file, makes what was committed
 * durable on disk (WAL fsync + checkpoint) within `state_sync.interval_ms`.
 * No worker ever checkpoints, so no fsync is ever on the path
 * of an answer.  A batch holding a job that must be on disk before it is
 * answered (a notification: must_sync) is committed like any other and
 * handed over as urgent: the thread syncs at once (every batch committed
 * meanwhile rides on the same sync) and tells the listener, which answers
 * the jobs that waited (work.c). */
#ifndef CRP_SYNC_H
#define CRP_SYNC_H

#include <stdbool.h>
#include <stdint.h>

struct crp_sync;

/* Opens its connection to db_path and starts the thread.  NULL on failure
 * (logged). */
struct crp_sync	*crp_sync_new(const char *db_path, int64_t interval_ms);
/* A batch was committed without fsync (any thread): its sequence number
 * (1, 2, ...).  urgent: something waits for it to be on disk, sync now. */
uint64_t	 crp_sync_committed(struct crp_sync *s, bool urgent);
/* After each complete sync, the sync thread calls fn(arg, upto): every
 * batch numbered upto or lower is on disk.  fn NULL: none.  Once this
 * returns, the previous fn is not running and will not be called again. */
void		 crp_sync_set_listener(struct crp_sync *s, void (*fn)(void *, uint64_t),
		    void *arg);
/* Syncs what is left, stops the thread, closes.  Accepts NULL. */
void		 crp_sync_free(struct crp_sync *s);
/* Syncs done and the longest one, in microseconds (for the logs). */
void		 crp_sync_stats(struct crp_sync *s, uint64_t *syncs, uint64_t *max_us);

#endif
