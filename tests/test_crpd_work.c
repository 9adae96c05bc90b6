/* crpd's worker pool and its leader-based group commit (crp/work.c), in
 * process: real threads, a real libevent loop and a real SQLite file. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "challenge_store.h"
#include "clock.h"
#include "crp_db.h"
#include "log.h"
#include "storage.h"
#include "sync.h"
#include "work.h"

enum { MANY = 600 };

struct ctx {
	struct event_base	*base;
	struct ndes_db		*db;
	struct crp_work		*work;
	int			 submitted, done, done_order[MANY];
	int			 db_ok, db_failed, done_twice;
	int			 db_order[MANY], ndb;	/* seq of each db() call */
	bool			 gate_open;
	struct crp_sync		*sync;		/* when a test runs one */
};

struct test_job {
	struct crp_job	 job;
	int		 seq;
	bool		 gate;		/* db() waits for c.gate_open */
	bool		 fail_db;	/* db() inserts, then returns -1 */
	bool		 done;
};

static char dir[] = "/tmp/crpd-work-XXXXXX";
static struct ctx c;

static const char *const migrations[] = {
	"CREATE TABLE rows(seq INTEGER NOT NULL);",
};

static void
setup(void)
{
	struct ndes_db_schema schema = { .durability = NDES_DB_DURABLE,
	    .migrations = migrations, .nmigrations = 1 };
	char path[256], err[256];

	log_init("test-work", LOG_LEVEL_WARN);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	memset(&c, 0, sizeof(c));
	evthread_use_pthreads();
	cr_assert_not_null(c.base = event_base_new());
	cr_assert_not_null(c.db = ndes_db_open(path, &schema, err, sizeof(err)), "%s", err);
}

static void
teardown(void)
{
	char cmd[300];

	crp_work_free(c.work);
	ndes_db_close(c.db);
	event_base_free(c.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(crpd_work, .init = setup, .fini = teardown, .timeout = 60);

/* About 100 µs of CPU: a worker stage like a (cheap) verification. */
static void
job_work(struct crp_job *job, struct crpd *d)
{
	volatile unsigned long x = 0;

	(void)d;
	for (unsigned long i = 0; i < 100000; i++)
		x += i;
	job->need_db = true;
}

static int
job_db(struct crp_job *job, struct crpd *d)
{
	struct test_job *tj = (struct test_job *)job;
	sqlite3_stmt *st = ndes_db_prepare(c.db, "INSERT INTO rows(seq) VALUES(?1)");

	(void)d;
	if (c.ndb < MANY)
		c.db_order[c.ndb] = tj->seq;
	__atomic_add_fetch(&c.ndb, 1, __ATOMIC_SEQ_CST);
	while (tj->gate && !__atomic_load_n(&c.gate_open, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (st == NULL || sqlite3_bind_int(st, 1, tj->seq) != SQLITE_OK ||
	    ndes_db_step(c.db, st) != 0)
		return -1;
	return tj->fail_db ? -1 : 0;
}

static void
job_done(struct crp_job *job, struct crpd *d)
{
	struct test_job *tj = (struct test_job *)job;

	(void)d;
	if (tj->done)
		c.done_twice++;
	tj->done = true;
	if (c.done < MANY)
		c.done_order[c.done] = tj->seq;
	c.done++;
	if (job->db_ok)
		c.db_ok++;
	else
		c.db_failed++;
	if (c.done == c.submitted)
		event_base_loopbreak(c.base);
}

static const struct crp_job_ops worker_ops = {
	.name = "test", .work = job_work, .db = job_db, .done = job_done,
};
static const struct crp_job_ops db_only_ops = {
	.name = "test-db", .db = job_db, .done = job_done,
};

/* A job that inserts seq (and then fails when fail_db), submitted. */
static struct test_job *
submit_job(const struct crp_job_ops *ops, int seq, bool fail_db)
{
	struct test_job *tj = calloc(1, sizeof(*tj));

	cr_assert_not_null(tj);
	crp_job_init(&tj->job, ops, ops->work == NULL);
	tj->seq = seq;
	tj->fail_db = fail_db;
	c.submitted++;
	cr_assert_eq(crp_work_submit(c.work, &tj->job), 0);
	return tj;
}

static struct test_job *
submit(const struct crp_job_ops *ops, int seq)
{
	return submit_job(ops, seq, false);
}

/* A job whose db() waits for c.gate_open, submitted; returns once the
 * leader waits inside its batch, so that the next jobs make one batch. */
static struct test_job *
submit_gate(int seq)
{
	struct test_job *first = calloc(1, sizeof(*first));

	cr_assert_not_null(first);
	crp_job_init(&first->job, &db_only_ops, true);
	first->seq = seq;
	first->gate = true;
	c.submitted++;
	cr_assert_eq(crp_work_submit(c.work, &first->job), 0);
	while (__atomic_load_n(&c.ndb, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	return first;
}

static int
rows(const char *sql)
{
	sqlite3_stmt *st = ndes_db_prepare(c.db, sql);

	cr_assert_eq(ndes_db_step(c.db, st), 1);
	return sqlite3_column_int(st, 0);
}

static void
give_up(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(c.base);
}

/* Until every submitted job is done (the timer keeps the loop alive while
 * the workers run, and stops a test that would hang). */
static void
run_loop(void)
{
	struct timeval limit = { 30, 0 };
	struct event *timer = evtimer_new(c.base, give_up, NULL);

	evtimer_add(timer, &limit);
	cr_assert_eq(event_base_dispatch(c.base), 0);
	event_free(timer);
	cr_assert_eq(c.done, c.submitted, "%d of %d jobs done", c.done, c.submitted);
}

Test(crpd_work, saturated_burst_is_answered_once_and_committed_in_batches)
{
	struct test_job *jobs[MANY];
	size_t max_batch, commits, njobs;

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 2);
	cr_assert_not_null(c.work);
	for (int i = 0; i < MANY; i++)
		jobs[i] = submit(&worker_ops, i);
	run_loop();
	cr_assert_eq(c.done, MANY);
	cr_assert_eq(c.done_twice, 0);
	cr_assert_eq(c.db_ok, MANY);
	crp_work_stats(c.work, &max_batch, &commits, &njobs);
	cr_assert_eq(njobs, MANY);
	/* 600 queued for 2 workers: batches of 32 while the backlog lasts. */
	cr_assert_geq(max_batch, 32, "largest batch %zu", max_batch);
	cr_assert_lt(commits, MANY / 4, "%zu commits for %d jobs", commits, MANY);
	crp_work_free(c.work);
	c.work = NULL;
	cr_assert_eq(rows("SELECT count(DISTINCT seq) FROM rows"), MANY);
	for (int i = 0; i < MANY; i++)
		free(jobs[i]);
}

Test(crpd_work, one_job_alone_is_committed_at_once)
{
	struct test_job *tj;
	size_t max_batch, commits, njobs;

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 2);
	tj = submit(&worker_ops, 7);
	run_loop();
	crp_work_stats(c.work, &max_batch, &commits, &njobs);
	cr_assert_eq(commits, 1);
	cr_assert_eq(max_batch, 1);
	cr_assert(tj->job.db_ok);
	cr_assert_eq(rows("SELECT seq FROM rows"), 7);
	free(tj);
}

Test(crpd_work, jobs_without_a_worker_stage_commit_in_submission_order)
{
	enum { N = 200 };
	struct test_job *jobs[N];
	sqlite3_stmt *st;
	int i = 0;

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 2);
	for (i = 0; i < N; i++)
		jobs[i] = submit(&db_only_ops, i);
	run_loop();
	cr_assert_eq(c.db_ok, N);
	for (i = 0; i < N; i++)
		cr_assert_eq(c.done_order[i], i, "answer %d was job %d", i, c.done_order[i]);
	st = ndes_db_prepare(c.db, "SELECT seq FROM rows ORDER BY rowid");
	for (i = 0; ndes_db_step(c.db, st) == 1; i++)
		cr_assert_eq(sqlite3_column_int(st, 0), i);
	cr_assert_eq(i, N);
	for (i = 0; i < N; i++)
		free(jobs[i]);
}

Test(crpd_work, a_failing_job_is_rolled_back_alone)
{
	struct test_job *jobs[50];

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 1);
	for (int i = 0; i < 50; i++)
		jobs[i] = submit_job(&db_only_ops, i, i % 10 == 3);
	run_loop();
	cr_assert_eq(c.db_failed, 5);
	cr_assert_eq(c.db_ok, 45);
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(jobs[i]->job.db_ok, !jobs[i]->fail_db, "job %d", i);
		free(jobs[i]);
	}
	cr_assert_eq(rows("SELECT count(*) FROM rows"), 45);
	cr_assert_eq(rows("SELECT count(*) FROM rows WHERE seq % 10 = 3"), 0);
}

Test(crpd_work, stopping_finishes_every_queued_job)
{
	struct test_job *jobs[MANY];

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 2);
	for (int i = 0; i < MANY; i++)
		jobs[i] = submit(i % 3 == 0 ? &db_only_ops : &worker_ops, i);
	crp_work_free(c.work);
	c.work = NULL;
	cr_assert_eq(c.done, MANY);
	cr_assert_eq(c.done_twice, 0);
	cr_assert_eq(c.db_ok, MANY);
	cr_assert_eq(rows("SELECT count(*) FROM rows"), MANY);
	for (int i = 0; i < MANY; i++)
		free(jobs[i]);
}

/* The jobs queued while the leader was busy make one batch, run in the
 * order of their keys (jobs without one first), equal keys in submission
 * order: two nodes' batches take the rows of a shared store in one order. */
Test(crpd_work, a_batch_runs_in_the_order_of_its_keys)
{
	static const char *const keys[] = { "c", "a", NULL, "b", "a", NULL, "c", "a" };
	static const int want[] = { 3, 6, 2, 5, 8, 4, 1, 7 };
	enum { N = sizeof(keys) / sizeof(keys[0]) };
	struct test_job *first, *jobs[N];
	size_t max_batch, commits, njobs;

	c.work = crp_work_new(c.base, NULL, c.db, NULL, NULL, 1);
	first = submit_gate(0);
	for (int i = 0; i < N; i++) {
		jobs[i] = calloc(1, sizeof(*jobs[i]));
		crp_job_init(&jobs[i]->job, &db_only_ops, true);
		jobs[i]->seq = i + 1;
		jobs[i]->job.order_key = keys[i];
		c.submitted++;
		cr_assert_eq(crp_work_submit(c.work, &jobs[i]->job), 0);
	}
	__atomic_store_n(&c.gate_open, true, __ATOMIC_SEQ_CST);
	run_loop();
	crp_work_stats(c.work, &max_batch, &commits, &njobs);
	cr_assert_eq(commits, 2, "%zu batches", commits);
	cr_assert_eq(c.ndb, N + 1);
	for (int i = 0; i < N; i++)
		cr_assert_eq(c.db_order[i + 1], want[i], "place %d: job %d, want %d", i,
		    c.db_order[i + 1], want[i]);
	for (int i = 0; i < N; i++)
		free(jobs[i]);
	free(first);
}

/* With the sync thread (state_sync: interval): jobs that must be on disk
 * before they are answered (notifications) are committed in the same
 * group commit as the others (that batch with fsync), and answered
 * without waiting for the sync thread's interval (10 s here). */
Test(crpd_work, must_sync_jobs_share_the_group_commit)
{
	enum { N = 8 };
	struct test_job *first, *jobs[N];
	size_t max_batch, commits, njobs;
	char path[256], err[256];
	int64_t t0;

	/* crpd's own state.db (the sync thread opens it as crpd does), with
	 * the test's table */
	snprintf(path, sizeof(path), "%s/crpd-state.db", dir);
	ndes_db_close(c.db);
	cr_assert_not_null(c.db = crp_db_open(path, err, sizeof(err)), "%s", err);
	cr_assert_eq(ndes_db_exec(c.db, migrations[0]), 0);
	cr_assert_eq(ndes_db_set_durability(c.db, NDES_DB_RELAXED), 0);
	cr_assert_eq(ndes_db_set_autocheckpoint(c.db, 0), 0);
	cr_assert_not_null(c.sync = crp_sync_new(path, 10000));
	cr_assert_not_null(c.work = crp_work_new(c.base, NULL, c.db, NULL, c.sync, 1));
	first = submit_gate(100);
	for (int i = 0; i < N; i++) {
		jobs[i] = calloc(1, sizeof(*jobs[i]));
		crp_job_init(&jobs[i]->job, &db_only_ops, true);
		jobs[i]->seq = i;
		jobs[i]->job.must_sync = i == 2 || i == 5;
		c.submitted++;
		cr_assert_eq(crp_work_submit(c.work, &jobs[i]->job), 0);
	}
	t0 = ndes_clock_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&c.gate_open, true, __ATOMIC_SEQ_CST);
	run_loop();
	cr_assert_lt(ndes_clock_ns(CLOCK_MONOTONIC) - t0, 5000000000LL,
	    "the notifications waited for the sync thread's interval");
	crp_work_stats(c.work, &max_batch, &commits, &njobs);
	cr_assert_eq(commits, 2, "%zu commits", commits);	/* the first alone, then the 8 */
	cr_assert_eq(max_batch, N);
	cr_assert_eq(c.db_ok, N + 1);
	crp_work_free(c.work);
	c.work = NULL;
	crp_sync_free(c.sync);
	c.sync = NULL;
	cr_assert_eq(rows("SELECT count(*) FROM rows"), N + 1);
	free(first);
	for (int i = 0; i < N; i++)
		free(jobs[i]);
}

/* A store with transactions of its own that records nothing: it counts
 * its steps. */
static int store_steps[CRP_STORE_ROLLBACK + 1];

static int
counting_txn(struct crp_store *s, enum crp_store_txn step)
{
	(void)s;
	__atomic_add_fetch(&store_steps[step], 1, __ATOMIC_SEQ_CST);
	return 0;
}

static const char *
counting_error(struct crp_store *s, uint32_t *code)
{
	(void)s;
	*code = 0;
	return "";
}

static const struct crp_store_ops counting_ops = {
	.txn = counting_txn, .error = counting_error,
};

static int
store_only_db(struct crp_job *job, struct crpd *d)
{
	(void)job;
	(void)d;
	__atomic_add_fetch(&c.ndb, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static const struct crp_job_ops store_only_ops = {
	.name = "test-store", .db = store_only_db, .done = job_done,
};

/* Jobs that write only to a store with transactions of its own (crpd's
 * verifications with PostgreSQL) commit there without a transaction in
 * state.db: another connection's write lock on state.db (held here for
 * the whole test; state.db's busy timeout is 5 s) does not hold them up,
 * while a job that writes to state.db waits for it and fails. */
Test(crpd_work, store_only_batches_leave_state_db_alone)
{
	struct crp_store store = { &counting_ops };
	struct ndes_db_schema schema = { .durability = NDES_DB_DURABLE,
	    .migrations = migrations, .nmigrations = 1 };
	struct ndes_db *other;
	char path[256], err[256];
	struct test_job *jobs[3];
	int64_t t0;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	cr_assert_not_null(other = ndes_db_open(path, &schema, err, sizeof(err)), "%s", err);
	cr_assert_eq(ndes_db_exec(other, "BEGIN IMMEDIATE"), 0);
	c.work = crp_work_new(c.base, NULL, c.db, &store, NULL, 1);
	t0 = ndes_clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 3; i++) {
		jobs[i] = calloc(1, sizeof(*jobs[i]));
		crp_job_init(&jobs[i]->job, &store_only_ops, true);
		jobs[i]->job.store_only = true;
		c.submitted++;
		cr_assert_eq(crp_work_submit(c.work, &jobs[i]->job), 0);
	}
	run_loop();
	cr_assert_lt(ndes_clock_ns(CLOCK_MONOTONIC) - t0, 2000000000LL,
	    "the store's jobs waited for state.db's lock");
	cr_assert_eq(c.db_ok, 3);
	cr_assert_eq(c.ndb, 3);
	cr_assert_geq(store_steps[CRP_STORE_COMMIT], 1);
	cr_assert_eq(store_steps[CRP_STORE_MARK], 3);
	/* a job that writes to state.db still opens its transaction there */
	submit(&db_only_ops, 4);
	run_loop();
	cr_assert_eq(c.db_failed, 1);
	cr_assert_eq(ndes_db_exec(other, "ROLLBACK"), 0);
	ndes_db_close(other);
	for (int i = 0; i < 3; i++)
		free(jobs[i]);
}
