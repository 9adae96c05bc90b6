/* Where crpd's work runs.  Two kinds of threads:
 *
 *   loop     the libevent loop: sockets, timers, replies.  Never waits on
 *            crypto or fsync.
 *   workers  a pool (config `workers`, default one per CPU) running the
 *            crypto and checks of each job in parallel, and the database.
 *
 * Commits have no thread of their own (every hand-off between threads
 * costs a wake-up).  Jobs that need the database wait in one queue; the
 * worker that finds them due becomes the leader, runs them all in ONE
 * transaction (a savepoint each) and commits once (group commit); jobs
 * queued meanwhile join its next batch.  Only then are they handed back to
 * the loop.  A challenge store with transactions of its own (PostgreSQL,
 * challenge_store.h) gets one per batch too, begun before state.db's and
 * committed after it: a job is answered as done only when both committed.
 * A job that fails alone is undone alone; when the store cannot undo it (a
 * statement failed there) or cannot commit, the whole batch is refused.
 * The batch runs in the order of the jobs' order_key (the challenge ID),
 * so that two nodes' batches take the rows of one database in the same
 * order and never wait for each other in a circle.  With `state_sync: interval` a committed batch is on disk only
 * once the sync thread (sync.h) has synced it, within interval_ms, unless
 * it holds a must_sync job: then it is committed with fsync.
 *
 * A job goes worker -> (db) -> loop, skipping the stages whose callback is
 * NULL; `work` decides whether the db stage is needed (need_db).  A job
 * without a worker stage is queued for the database in submission order
 * and a worker is woken to commit it.  A worker that finds no job for a
 * second while no batch was committed for a second takes the leader's role
 * for a moment to keep the WAL small (ndes_db_maintain).  The loop is woken with
 * event_active() on an event of its base (libevent threading is enabled
 * with evthread_use_pthreads()). */
#ifndef CRP_WORK_H
#define CRP_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

struct crpd;
struct crp_job;
struct crp_store;
struct crp_work;
struct crp_sync;
struct event_base;
struct ndes_db;

struct crp_job_ops {
	const char *name;
	/* Worker thread (NULL: no worker stage). */
	void	(*work)(struct crp_job *job, struct crpd *d);
	/* The leader (a worker), inside the batch transaction and the job's
	 * own savepoint: 0 keeps its changes, -1 rolls them back. */
	int	(*db)(struct crp_job *job, struct crpd *d);
	/* The leader, once the batch committed (committed true; on disk
	 * already unless state_sync left the fsync to the sync thread) or was
	 * rolled back (false): emit the job's events here.  May be NULL. */
	void	(*after_db)(struct crp_job *job, struct crpd *d, bool committed);
	/* Loop thread, last: reply and free the job.  Required. */
	void	(*done)(struct crp_job *job, struct crpd *d);
	/* Its db() records in the challenge store (a verification, a
	 * notification): a batch that commits such a job clears the store's
	 * current error (crp_errors.h); batches that only read never do. */
	bool	records;
};

struct crp_job {
	TAILQ_ENTRY(crp_job)	 entry;
	const struct crp_job_ops *ops;
	bool			 need_db;	/* set by work(), or before submit */
	/* Its changes must be on disk before it is answered, whatever
	 * state_sync says (a notification crpd acknowledges). */
	bool			 must_sync;
	/* db() writes only to a store with transactions of its own (a
	 * verification with the PostgreSQL store): a batch of such jobs opens
	 * no transaction, savepoints or commit in state.db.  Set by work(). */
	bool			 store_only;
	bool			 db_ok;		/* db() returned 0 and the batch committed */
	/* The row the job decides on (set by work(); NULL: none known).
	 * Batches run in this order, jobs without one first; the order of
	 * jobs with equal keys is kept. */
	const char		*order_key;
	/* When !db_ok: why (what the database said) and its diagnostic code
	 * (0x00001020 or 0x00001021), for after_db. */
	uint32_t		 db_code;
	char			 db_error[256];
};

void	crp_job_init(struct crp_job *job, const struct crp_job_ops *ops, bool need_db);

/* Start nworkers workers (the leader among them uses db and store).  The
 * loop's completion event is created on base.  sync NULL: every commit is
 * fsynced (db is opened NDES_DB_DURABLE); else batches without a must_sync
 * job are committed NDES_DB_RELAXED and handed to sync.  store NULL, or one
 * without transactions of its own: state.db's transaction is the only one.
 * NULL on failure (logged). */
struct crp_work *crp_work_new(struct event_base *base, struct crpd *d, struct ndes_db *db,
	    struct crp_store *store, struct crp_sync *sync, int nworkers);
/* Hand a job to its first stage.  Any thread.  -1 once crp_work_free()
 * has begun (the job was not taken: free it). */
int	crp_work_submit(struct crp_work *w, struct crp_job *job);
/* Stop: the workers finish every job already queued, then
 * the remaining completions run on the calling (loop) thread.  Then free. */
void	crp_work_free(struct crp_work *w);
int	crp_work_nworkers(const struct crp_work *w);
/* Largest batch committed so far and number of commits (for the logs and
 * the benchmark). */
void	crp_work_stats(struct crp_work *w, size_t *max_batch, size_t *commits,
	    size_t *jobs);

#endif
