/* Worker pool, group-committing db thread and completions to the loop. */
#include "work.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "storage.h"
#include "sync.h"

/* Jobs one transaction takes at most. */
#define CRP_WORK_MAX_BATCH 512
/* When a batch will be fsynced and verifications wait for a worker (the
 * CPUs are saturated), the db thread holds it open up to this long for the
 * jobs about to finish: fewer, larger commits, so fewer fsyncs per
 * verification when they cost the most.  With no backlog, or when the batch
 * is not fsynced (state_sync interval), it commits at once.  It looks every
 * CRP_WORK_COALESCE_STEP_NS rather than being woken by every arrival. */
#define CRP_WORK_COALESCE_NS (10 * 1000000L)
#define CRP_WORK_COALESCE_STEP_NS (1000000L)
#define CRP_WORK_RELAXED_BATCH 32
#define CRP_WORK_RELAXED_BACKLOG 4
#define CRP_WORK_RELAXED_WAIT_NS (5 * 1000000L)

TAILQ_HEAD(crp_jobq, crp_job);

struct crp_queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct crp_jobq	 head;
	size_t		 len;
	bool		 stop;
};

struct crp_work {
	struct crpd	*d;
	struct ndes_db	*db;
	struct crp_sync	*sync;		/* NULL: every commit is fsynced */
	struct crp_queue pool;
	struct crp_queue dbq;
	pthread_t	*workers;
	int		 nworkers;
	int		 nstarted;
	pthread_t	 dbthread;
	bool		 dbthread_started;
	/* completions for the loop */
	pthread_mutex_t	 done_lock;
	struct crp_jobq	 done;
	struct event	*done_ev;
	/* statistics, under dbq.lock */
	size_t		 max_batch, commits, jobs;
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
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	TAILQ_INIT(&q->head);
	q->len = 0;
	q->stop = false;
}

static void
queue_destroy(struct crp_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
}

/* false once the queue is stopped (the job is not taken). */
static bool
queue_push(struct crp_queue *q, struct crp_job *job)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	if ((ok = !q->stop)) {
		TAILQ_INSERT_TAIL(&q->head, job, entry);
		q->len++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
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

/* Move up to max jobs into out, waiting for at least one; 0 once the
 * queue is stopped and empty. */
static size_t
queue_take(struct crp_queue *q, struct crp_jobq *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	while (TAILQ_EMPTY(&q->head) && !q->stop)
		pthread_cond_wait(&q->cond, &q->lock);
	n = queue_move(q, out, max);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Move up to max jobs without waiting. */
static size_t
queue_take_now(struct crp_queue *q, struct crp_jobq *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = queue_move(q, out, max);
	pthread_mutex_unlock(&q->lock);
	return n;
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
work_after_work(struct crp_work *w, struct crp_job *job)
{
	struct crp_jobq one = TAILQ_HEAD_INITIALIZER(one);

	if (job->need_db && job->ops->db != NULL && queue_push(&w->dbq, job))
		return;
	TAILQ_INSERT_TAIL(&one, job, entry);
	work_post_done(w, &one);
}

int
crp_work_submit(struct crp_work *w, struct crp_job *job)
{
	if (job->ops->work != NULL)
		return queue_push(&w->pool, job) ? 0 : -1;
	if (job->need_db && job->ops->db != NULL)
		return queue_push(&w->dbq, job) ? 0 : -1;
	work_after_work(w, job);
	return 0;
}

static void *
work_worker_main(void *arg)
{
	struct crp_work *w = arg;
	struct crp_jobq mine = TAILQ_HEAD_INITIALIZER(mine);
	struct crp_job *job;

	while (queue_take(&w->pool, &mine, 1) > 0) {
		job = TAILQ_FIRST(&mine);
		TAILQ_REMOVE(&mine, job, entry);
		job->ops->work(job, w->d);
		work_after_work(w, job);
	}
	return NULL;
}

static int
work_step(struct ndes_db *db, const char *sql)
{
	sqlite3_stmt *st = ndes_db_prepare(db, sql);

	return st != NULL && ndes_db_step(db, st) == 0 ? 0 : -1;
}

/* One job inside the open transaction, in its own savepoint. */
static void
work_db_one(struct crp_work *w, struct crp_job *job)
{
	int rc;

	if (work_step(w->db, "SAVEPOINT crp_job") == -1) {
		job->db_ok = false;
		return;
	}
	rc = job->ops->db(job, w->d);
	if (rc != 0)
		work_step(w->db, "ROLLBACK TO crp_job");
	if (work_step(w->db, "RELEASE crp_job") == -1)
		rc = -1;
	job->db_ok = rc == 0;
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

/* Every job in its savepoint, then COMMIT: fsynced when there is no sync
 * thread or a job must be on disk, else handed to the sync thread. */
static bool
work_db_commit(struct crp_work *w, struct crp_jobq *batch, size_t *n)
{
	bool fsync = w->sync == NULL || work_batch_must_sync(batch), committed;
	struct crp_job *job;

	if (w->sync != NULL && fsync)
		ndes_db_set_durability(w->db, NDES_DB_DURABLE);
	if (ndes_db_begin(w->db) == 0) {
		TAILQ_FOREACH(job, batch, entry) {
			work_db_one(w, job);
			(*n)++;
		}
		committed = ndes_db_commit(w->db) == 0;
	} else {
		log_warnx("db: cannot start a transaction: %s", ndes_db_errmsg(w->db));
		committed = false;
	}
	if (w->sync != NULL && fsync)
		ndes_db_set_durability(w->db, NDES_DB_RELAXED);
	else if (w->sync != NULL && committed)
		crp_sync_committed(w->sync);
	return committed;
}

static void
work_db_batch(struct crp_work *w, struct crp_jobq *batch)
{
	struct crp_job *job;
	bool committed;
	size_t n = 0;

	committed = work_db_commit(w, batch, &n);
	TAILQ_FOREACH(job, batch, entry) {
		if (!committed)
			job->db_ok = false;
		if (job->ops->after_db != NULL)
			job->ops->after_db(job, w->d, committed);
	}
	pthread_mutex_lock(&w->dbq.lock);
	if (n > w->max_batch)
		w->max_batch = n;
	w->commits++;
	w->jobs += n;
	pthread_mutex_unlock(&w->dbq.lock);
	work_post_done(w, batch);
}

/* Hold a batch that will be fsynced open while verifications wait for a
 * worker (see CRP_WORK_COALESCE_NS). */
static void
work_db_coalesce_fsync(struct crp_work *w, struct crp_jobq *batch, size_t n)
{
	struct timespec step = { 0, CRP_WORK_COALESCE_STEP_NS };
	long waited = 0;

	while (n < CRP_WORK_MAX_BATCH && waited < CRP_WORK_COALESCE_NS &&
	    queue_len(&w->pool) > 0) {
		nanosleep(&step, NULL);
		waited += CRP_WORK_COALESCE_STEP_NS;
		n += queue_take_now(&w->dbq, batch, CRP_WORK_MAX_BATCH - n);
	}
	n += queue_take_now(&w->dbq, batch, CRP_WORK_MAX_BATCH - n);
}

/* Without fsync a commit still costs its WAL writes (every page it
 * changed, index pages included).  Only while every worker has
 * CRP_WORK_RELAXED_BACKLOG or more jobs queued (saturated: the answers wait
 * for the CPUs anyway) does the db thread wait, up to
 * CRP_WORK_RELAXED_WAIT_NS, for the batch to reach CRP_WORK_RELAXED_BATCH
 * jobs; below that it commits at once, so that a short burst never waits. */
static void
work_db_coalesce_relaxed(struct crp_work *w, struct crp_jobq *batch, size_t n)
{
	struct timespec until = ndes_clock_after(CLOCK_REALTIME, CRP_WORK_RELAXED_WAIT_NS);

	pthread_mutex_lock(&w->dbq.lock);
	while (n + w->dbq.len < CRP_WORK_RELAXED_BATCH && !w->dbq.stop &&
	    queue_len(&w->pool) >= CRP_WORK_RELAXED_BACKLOG * (size_t)w->nworkers &&
	    pthread_cond_timedwait(&w->dbq.cond, &w->dbq.lock, &until) == 0)
		;
	queue_move(&w->dbq, batch, CRP_WORK_MAX_BATCH - n);
	pthread_mutex_unlock(&w->dbq.lock);
}

static void
work_db_coalesce(struct crp_work *w, struct crp_jobq *batch, size_t n)
{
	if (w->sync == NULL || work_batch_must_sync(batch))
		work_db_coalesce_fsync(w, batch, n);
	else
		work_db_coalesce_relaxed(w, batch, n);
}

static void *
work_db_main(void *arg)
{
	struct crp_work *w = arg;
	struct crp_jobq batch = TAILQ_HEAD_INITIALIZER(batch);
	size_t n;

	while ((n = queue_take(&w->dbq, &batch, CRP_WORK_MAX_BATCH)) > 0) {
		work_db_coalesce(w, &batch, n);
		work_db_batch(w, &batch);
		TAILQ_INIT(&batch);
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
	if (rc == 0 && pthread_create(&w->dbthread, NULL, work_db_main, w) == 0)
		w->dbthread_started = true;
	else
		rc = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct crp_work *
crp_work_new(struct event_base *base, struct crpd *d, struct ndes_db *db, struct crp_sync *sync,
    int nworkers)
{
	struct crp_work *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->d = d;
	w->db = db;
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

void
crp_work_free(struct crp_work *w)
{
	if (w == NULL)
		return;
	queue_stop(&w->pool);
	for (int i = 0; i < w->nstarted; i++)
		pthread_join(w->workers[i], NULL);
	queue_stop(&w->dbq);
	if (w->dbthread_started)
		pthread_join(w->dbthread, NULL);
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
