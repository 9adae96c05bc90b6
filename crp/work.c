/* Worker pool with leader-based group commit, and completions to the loop. */
#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "challenge_store.h"
#include "clock.h"
#include "crp_db.h"
#include "crp_errors.h"
#include "events.h"
#include "log.h"
#include "storage.h"
#include "sync.h"

/* Jobs one transaction takes at most. */
#define CRP_WORK_MAX_BATCH 512
/* Saturated: every worker has this many verifications or more queued.
 * The answers then wait for the CPUs anyway, so the jobs waiting for the
 * database are committed only once there are CRP_WORK_SATURATED_BATCH of
 * them: fewer, larger commits (fewer WAL writes, fewer fsyncs).  Below
 * that backlog they are committed at once, so a short burst never waits. */
#define CRP_WORK_SATURATED_BACKLOG 4
#define CRP_WORK_SATURATED_BATCH 32

TAILQ_HEAD(crp_jobq, crp_job);

struct crp_queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct crp_jobq	 head;
	size_t		 len;
	size_t		 kicks;		/* wake-ups without a job (pool only) */
	bool		 stop;
};

struct crp_work {
	struct crpd	*d;
	struct ndes_db	*db;
	struct crp_store *store;	/* NULL: none with transactions of its own */
	struct crp_sync	*sync;		/* NULL: every commit is fsynced */
	struct crp_queue pool;		/* jobs with a worker stage */
	struct crp_queue dbq;		/* jobs waiting for the database */
	bool		 leading;	/* a thread is committing (under dbq.lock) */
	bool		 local;		/* the leader's batch writes to state.db */
	pthread_t	*workers;
	int		 nworkers;
	int		 nstarted;
	/* completions for the loop */
	pthread_mutex_t	 done_lock;
	struct crp_jobq	 done;
	struct event	*done_ev;
	/* statistics, under dbq.lock */
	size_t		 max_batch, commits, jobs;
	int64_t		 last_db_ns;	/* CLOCK_MONOTONIC of the last batch that wrote */
	int64_t		 last_changes;	/* the handle's total changes then */
};

void
crp_job_init(struct crp_job *job, const struct crp_job_ops *ops, bool need_db)
{
	memset(job, 0, sizeof(*job));
	job->ops = ops;
	job->need_db = need_db;
}

static void
queue_init(struct crp_queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	TAILQ_INIT(&q->head);
}

static void
queue_destroy(struct crp_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
}

/* Called with q->lock held. */
static void
queue_append(struct crp_queue *q, struct crp_job *job)
{
	TAILQ_INSERT_TAIL(&q->head, job, entry);
	q->len++;
}

/* Called with q->lock held. */
static size_t
queue_move(struct crp_queue *q, struct crp_jobq *out, size_t max)
{
	struct crp_job *job;
	size_t n = 0;

	while (n < max && (job = TAILQ_FIRST(&q->head)) != NULL) {
		TAILQ_REMOVE(&q->head, job, entry);
		TAILQ_INSERT_TAIL(out, job, entry);
		q->len--;
		n++;
	}
	return n;
}

/* Called with q->lock held. */
static struct crp_job *
queue_pop_locked(struct crp_queue *q)
{
	struct crp_job *job = TAILQ_FIRST(&q->head);

	if (job != NULL) {
		TAILQ_REMOVE(&q->head, job, entry);
		q->len--;
	}
	return job;
}

/* The first job, waiting for one when `wait`.  NULL when there is none
 * (without wait), after a kick, after NDES_DB_MAINTAIN_MS without one
 * (*idle), or once the queue is stopped and empty. */
static struct crp_job *
queue_pop(struct crp_queue *q, bool wait, bool *idle)
{
	struct timespec until = ndes_clock_after(CLOCK_REALTIME,
	    (int64_t)NDES_DB_MAINTAIN_MS * 1000000);
	struct crp_job *job;

	*idle = false;
	pthread_mutex_lock(&q->lock);
	while (wait && TAILQ_EMPTY(&q->head) && !q->stop && q->kicks == 0 && !*idle)
		*idle = pthread_cond_timedwait(&q->cond, &q->lock, &until) == ETIMEDOUT;
	if ((job = queue_pop_locked(q)) == NULL && wait && q->kicks > 0)
		q->kicks--;
	pthread_mutex_unlock(&q->lock);
	return job;
}

/* false once the queue is stopped (the job is not taken). */
static bool
queue_push(struct crp_queue *q, struct crp_job *job)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	if ((ok = !q->stop)) {
		queue_append(q, job);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* Wake one waiting worker without a job. */
static void
queue_kick(struct crp_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicks++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static size_t
queue_len(struct crp_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void
queue_stop(struct crp_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static void
work_post_done(struct crp_work *w, struct crp_jobq *jobs)
{
	pthread_mutex_lock(&w->done_lock);
	TAILQ_CONCAT(&w->done, jobs, entry);
	pthread_mutex_unlock(&w->done_lock);
	event_active(w->done_ev, EV_READ, 0);
}

static void
work_post_one(struct crp_work *w, struct crp_job *job)
{
	struct crp_jobq one = TAILQ_HEAD_INITIALIZER(one);

	TAILQ_INSERT_TAIL(&one, job, entry);
	work_post_done(w, &one);
}

static int
work_step(struct ndes_db *db, const char *sql)
{
	sqlite3_stmt *st = ndes_db_prepare(db, sql);

	return st != NULL && ndes_db_step(db, st) == 0 ? 0 : -1;
}

static int
work_store_txn(struct crp_work *w, enum crp_store_txn step)
{
	return w->store != NULL ? crp_store_txn(w->store, step) : 0;
}

/* Why the job is refused: what the database said. */
static void
work_job_error(struct crp_job *job, uint32_t code, const char *msg)
{
	job->db_code = code;
	snprintf(job->db_error, sizeof(job->db_error), "%s", msg);
}

/* Every job of the batch refused for the reason the store gives. */
static void
work_store_failed(struct crp_work *w, struct crp_jobq *batch)
{
	const char *msg;
	struct crp_job *job;
	uint32_t code;

	msg = crp_store_error(w->store, &code);
	TAILQ_FOREACH(job, batch, entry)
		work_job_error(job, code, msg);
}

/* ... or for state.db's. */
static void
work_db_failed(struct crp_work *w, struct crp_jobq *batch)
{
	struct crp_job *job;

	TAILQ_FOREACH(job, batch, entry)
		work_job_error(job, NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, crp_db_error(w->db));
}

/* A job failed: the store's reason when it failed since the job's mark
 * (it says nothing then otherwise), else state.db's. */
static void
work_job_failed(struct crp_work *w, struct crp_job *job)
{
	const char *msg = "";
	uint32_t code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;

	if (w->store != NULL)
		msg = crp_store_error(w->store, &code);
	if (msg[0] == '\0') {
		code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
		msg = crp_db_error(w->db);
	}
	work_job_error(job, code, msg);
}

/* One job inside the open transactions, in its own savepoint.  false when
 * the store cannot undo what the failed job did there: the batch is lost. */
static bool
work_db_one(struct crp_work *w, struct crp_job *job)
{
	bool undone = true;
	int rc;

	job->db_ok = false;
	if (w->local && work_step(w->db, "SAVEPOINT crp_job") == -1) {
		work_job_error(job, NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, crp_db_error(w->db));
		return true;
	}
	if ((rc = work_store_txn(w, CRP_STORE_MARK)) == 0)
		rc = job->ops->db(job, w->d);
	if (rc != 0) {
		work_job_failed(w, job);
		if (w->local)
			work_step(w->db, "ROLLBACK TO crp_job");
		undone = work_store_txn(w, CRP_STORE_UNDO) == 0;
	}
	if (w->local && work_step(w->db, "RELEASE crp_job") == -1)
		rc = -1;
	job->db_ok = rc == 0;
	return undone;
}

/* Whether a job of the batch writes to state.db (work.h, store_only). */
static bool
work_batch_local(const struct crp_work *w, const struct crp_jobq *batch)
{
	const struct crp_job *job;

	if (w->store == NULL)
		return true;
	TAILQ_FOREACH(job, batch, entry)
		if (!job->store_only)
			return true;
	return false;
}

static bool
work_batch_must_sync(const struct crp_jobq *batch)
{
	const struct crp_job *job;

	TAILQ_FOREACH(job, batch, entry)
		if (job->must_sync)
			return true;
	return false;
}

/* Both transactions open, every job in its savepoint, then state.db's
 * COMMIT and the store's: true when both committed. */
static bool
work_db_run(struct crp_work *w, struct crp_jobq *batch, size_t *n)
{
	struct crp_job *job;

	if (work_store_txn(w, CRP_STORE_BEGIN) == -1) {
		work_store_failed(w, batch);
		return false;
	}
	if (w->local && ndes_db_begin(w->db) == -1) {
		log_warnx("db: cannot start a transaction: %s", ndes_db_errmsg(w->db));
		work_db_failed(w, batch);
		work_store_txn(w, CRP_STORE_ROLLBACK);
		return false;
	}
	TAILQ_FOREACH(job, batch, entry) {
		(*n)++;
		if (!work_db_one(w, job)) {
			work_store_failed(w, batch);
			if (w->local)
				ndes_db_rollback(w->db);
			work_store_txn(w, CRP_STORE_ROLLBACK);
			return false;
		}
	}
	if (w->local && ndes_db_commit(w->db) == -1) {
		work_db_failed(w, batch);
		work_store_txn(w, CRP_STORE_ROLLBACK);
		return false;
	}
	if (work_store_txn(w, CRP_STORE_COMMIT) == -1) {
		work_store_failed(w, batch);
		return false;
	}
	return true;
}

/* Every job in its savepoint, then COMMIT: fsynced when there is no sync
 * thread or a job must be on disk, else handed to the sync thread. */
static bool
work_db_commit(struct crp_work *w, struct crp_jobq *batch, size_t *n)
{
	bool fsync = w->sync == NULL || work_batch_must_sync(batch), committed;
	bool relax = w->sync != NULL && w->local;

	if (relax && fsync)
		ndes_db_set_durability(w->db, NDES_DB_DURABLE);
	committed = work_db_run(w, batch, n);
	if (relax && fsync)
		ndes_db_set_durability(w->db, NDES_DB_RELAXED);
	else if (relax && committed)
		crp_sync_committed(w->sync);
	return committed;
}

struct work_sort_item {
	struct crp_job	*job;
	size_t		 place;
};

static int
work_key_cmp(const void *a, const void *b)
{
	const struct work_sort_item *x = a, *y = b;
	const char *kx = x->job->order_key, *ky = y->job->order_key;
	int c;

	if (kx == NULL || ky == NULL)
		c = (kx != NULL) - (ky != NULL);
	else
		c = strcmp(kx, ky);
	return c != 0 ? c : x->place < y->place ? -1 : x->place > y->place;
}

/* The batch in the order of its jobs' keys (work.h), each job's place in
 * the batch breaking ties. */
static void
work_batch_sort(struct crp_jobq *batch, size_t n)
{
	struct work_sort_item items[CRP_WORK_MAX_BATCH];
	struct crp_job *job;
	size_t i = 0;

	if (n < 2 || n > CRP_WORK_MAX_BATCH)
		return;
	TAILQ_FOREACH(job, batch, entry) {
		items[i].job = job;
		items[i].place = i;
		i++;
	}
	qsort(items, n, sizeof(items[0]), work_key_cmp);
	TAILQ_INIT(batch);
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(batch, items[i].job, entry);
}

/* When the last batch changed rows (read-only ones, such as the link's
 * retries, do not end an idle time).  Called by the leader, dbq.lock held. */
static void
work_note_writes(struct crp_work *w)
{
	int64_t changes = sqlite3_total_changes64(ndes_db_handle(w->db));

	if (changes != w->last_changes) {
		w->last_changes = changes;
		w->last_db_ns = ndes_clock_ns(CLOCK_MONOTONIC);
	}
}

/* The store's current error (crp_errors.h): set when a job of the batch
 * could not be recorded, cleared when the batch committed one that records. */
static void
work_note_store(const struct crp_jobq *batch)
{
	const struct crp_job *job;
	bool recorded = false;

	TAILQ_FOREACH(job, batch, entry) {
		if (!job->db_ok) {
			crp_error_note(CRP_ACTIVITY_STORE, "%s: %s", job->ops->name,
			    job->db_error[0] != '\0' ? job->db_error : "not committed");
			return;
		}
		recorded |= job->ops->records;
	}
	if (recorded)
		crp_error_clear(CRP_ACTIVITY_STORE);
}

/* Commit one batch, run the jobs' after_db and hand them to the loop.
 * Only the leader calls this. */
static void
work_db_batch(struct crp_work *w, struct crp_jobq *batch, size_t len)
{
	struct crp_job *job;
	bool committed;
	size_t n = 0;

	work_batch_sort(batch, len);
	w->local = work_batch_local(w, batch);
	committed = work_db_commit(w, batch, &n);
	ndes_event_batch_begin();	/* the batch's events in one write */
	TAILQ_FOREACH(job, batch, entry) {
		if (!committed)
			job->db_ok = false;
		if (job->ops->after_db != NULL)
			job->ops->after_db(job, w->d, committed);
	}
	ndes_event_batch_end();
	work_note_store(batch);
	pthread_mutex_lock(&w->dbq.lock);
	if (n > w->max_batch)
		w->max_batch = n;
	w->commits++;
	w->jobs += n;
	work_note_writes(w);
	pthread_mutex_unlock(&w->dbq.lock);
	work_post_done(w, batch);
}

/* The leader, once a batch was handed back to the loop: a WAL past its
 * limit (CRP_DB_WAL_MAX_BYTES) is checkpointed and restarted now.  Under steady
 * load the sync thread's passive checkpoints never let SQLite restart it
 * (a batch is always in progress), so it would only grow.  Restarted, not
 * truncated: the next batches overwrite the file's blocks (and cached
 * pages) instead of allocating them again; idle time truncates it. */
static void
work_db_bound_wal(struct crp_work *w)
{
	if (w->local && ndes_db_wal_size(w->db) > ndes_db_wal_limit(w->db))
		ndes_db_restart_wal(w->db);
}

/* Whether the jobs waiting for the database are committed now (see
 * CRP_WORK_SATURATED_BACKLOG).  Called with dbq.lock held. */
static bool
work_db_due(struct crp_work *w)
{
	if (TAILQ_EMPTY(&w->dbq.head))
		return false;
	if (w->dbq.len >= CRP_WORK_SATURATED_BATCH)
		return true;
	return queue_len(&w->pool) < CRP_WORK_SATURATED_BACKLOG * (size_t)w->nworkers;
}

/* Group commit without a db thread: the thread that finds jobs due and no
 * leader becomes the leader and commits batches until none is due.  Jobs
 * queued meanwhile by others join its next batch; they never wait for a
 * thread to wake up.  Nothing is left behind: a leader looks again under
 * the same lock it gives the role up with, every worker pokes after each
 * job and before it sleeps, and a job that is not due means the pool is
 * busy, so a worker will poke again. */
static void
work_db_poke(struct crp_work *w)
{
	struct crp_jobq batch;
	size_t len;

	pthread_mutex_lock(&w->dbq.lock);
	if (w->leading || !work_db_due(w)) {
		pthread_mutex_unlock(&w->dbq.lock);
		return;
	}
	w->leading = true;
	do {
		TAILQ_INIT(&batch);
		len = queue_move(&w->dbq, &batch, CRP_WORK_MAX_BATCH);
		pthread_mutex_unlock(&w->dbq.lock);
		work_db_batch(w, &batch, len);
		work_db_bound_wal(w);
		pthread_mutex_lock(&w->dbq.lock);
	} while (work_db_due(w));
	w->leading = false;
	pthread_mutex_unlock(&w->dbq.lock);
}

/* No batch for NDES_DB_MAINTAIN_MS and no leader: take the leader's role
 * for a moment and keep the WAL small (docs/storage.md, "Maintenance"),
 * then commit whatever arrived meanwhile. */
static void
work_db_idle(struct crp_work *w)
{
	int64_t now = ndes_clock_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&w->dbq.lock);
	if (w->leading || !TAILQ_EMPTY(&w->dbq.head) ||
	    now - w->last_db_ns < (int64_t)NDES_DB_MAINTAIN_MS * 1000000) {
		pthread_mutex_unlock(&w->dbq.lock);
		return;
	}
	w->leading = true;
	pthread_mutex_unlock(&w->dbq.lock);
	ndes_db_maintain(w->db);
	pthread_mutex_lock(&w->dbq.lock);
	w->leading = false;
	pthread_mutex_unlock(&w->dbq.lock);
	work_db_poke(w);
}

/* A job that needs the database and has no worker stage: queued in
 * submission order, and a worker is woken to commit it (the loop itself
 * never does: a commit may fsync). */
static int
work_submit_db(struct crp_work *w, struct crp_job *job)
{
	bool ok;

	pthread_mutex_lock(&w->dbq.lock);
	if ((ok = !w->dbq.stop))
		queue_append(&w->dbq, job);
	pthread_mutex_unlock(&w->dbq.lock);
	if (ok)
		queue_kick(&w->pool);
	return ok ? 0 : -1;
}

int
crp_work_submit(struct crp_work *w, struct crp_job *job)
{
	if (job->ops->work != NULL)
		return queue_push(&w->pool, job) ? 0 : -1;
	if (job->need_db && job->ops->db != NULL)
		return work_submit_db(w, job);
	work_post_one(w, job);
	return 0;
}

static void
work_after_work(struct crp_work *w, struct crp_job *job)
{
	if (job->need_db && job->ops->db != NULL) {
		pthread_mutex_lock(&w->dbq.lock);
		queue_append(&w->dbq, job);
		pthread_mutex_unlock(&w->dbq.lock);
	} else
		work_post_one(w, job);
}

/* The next job; before sleeping, commit what waits; after a second
 * without one, maintenance.  NULL after a kick, after that second, or once
 * the pool is stopped and empty (*stop). */
static struct crp_job *
work_next(struct crp_work *w, bool *stop)
{
	struct crp_job *job;
	bool idle;

	if ((job = queue_pop(&w->pool, false, &idle)) != NULL)
		return job;
	work_db_poke(w);
	if ((job = queue_pop(&w->pool, true, &idle)) == NULL) {
		if (idle)
			work_db_idle(w);
		pthread_mutex_lock(&w->pool.lock);
		*stop = w->pool.stop && TAILQ_EMPTY(&w->pool.head);
		pthread_mutex_unlock(&w->pool.lock);
	}
	return job;
}

static void *
work_worker_main(void *arg)
{
	struct crp_work *w = arg;
	struct crp_job *job;
	bool stop = false;

	while (!stop) {
		if ((job = work_next(w, &stop)) != NULL) {
			job->ops->work(job, w->d);
			work_after_work(w, job);
		}
		work_db_poke(w);
	}
	return NULL;
}

static void
work_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct crp_work *w = arg;
	struct crp_jobq jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct crp_job *job;

	pthread_mutex_lock(&w->done_lock);
	TAILQ_CONCAT(&jobs, &w->done, entry);
	pthread_mutex_unlock(&w->done_lock);
	while ((job = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, job, entry);
		job->ops->done(job, w->d);
	}
}

/* Start threads with every signal blocked: signals go to the loop. */
static int
work_start_threads(struct crp_work *w)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < w->nworkers && rc == 0; i++) {
		if (pthread_create(&w->workers[i], NULL, work_worker_main, w) != 0)
			rc = -1;
		else
			w->nstarted++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct crp_work *
crp_work_new(struct event_base *base, struct crpd *d, struct ndes_db *db,
    struct crp_store *store, struct crp_sync *sync, int nworkers)
{
	struct crp_work *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->d = d;
	w->db = db;
	w->store = store;
	w->sync = sync;
	w->nworkers = nworkers > 0 ? nworkers : 1;
	queue_init(&w->pool);
	queue_init(&w->dbq);
	pthread_mutex_init(&w->done_lock, NULL);
	TAILQ_INIT(&w->done);
	w->workers = calloc((size_t)w->nworkers, sizeof(*w->workers));
	w->done_ev = event_new(base, -1, 0, work_done_cb, w);
	if (w->workers == NULL || w->done_ev == NULL || work_start_threads(w) == -1) {
		log_warnx("cannot start the worker threads");
		crp_work_free(w);
		return NULL;
	}
	return w;
}

/* After the workers are gone: refuse new database jobs and commit what
 * is left on the calling thread. */
static void
work_db_finish(struct crp_work *w)
{
	pthread_mutex_lock(&w->dbq.lock);
	w->dbq.stop = true;
	pthread_mutex_unlock(&w->dbq.lock);
	work_db_poke(w);
}

void
crp_work_free(struct crp_work *w)
{
	if (w == NULL)
		return;
	queue_stop(&w->pool);
	for (int i = 0; i < w->nstarted; i++)
		pthread_join(w->workers[i], NULL);
	work_db_finish(w);
	if (w->done_ev != NULL) {
		work_done_cb(-1, 0, w);
		event_free(w->done_ev);
	}
	free(w->workers);
	queue_destroy(&w->pool);
	queue_destroy(&w->dbq);
	pthread_mutex_destroy(&w->done_lock);
	free(w);
}

int
crp_work_nworkers(const struct crp_work *w)
{
	return w->nworkers;
}

void
crp_work_stats(struct crp_work *w, size_t *max_batch, size_t *commits, size_t *jobs)
{
	pthread_mutex_lock(&w->dbq.lock);
	*max_batch = w->max_batch;
	*commits = w->commits;
	*jobs = w->jobs;
	pthread_mutex_unlock(&w->dbq.lock);
}
