/* An acknowledged record survives kill -9: a child commits rows one
 * transaction each and acknowledges each commit on a pipe; the parent kills
 * it with SIGKILL at a random point and checks every acknowledged row. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "test_storage_util.h"

#define ROWS_MAX 1000000

static const char *const migrations[] = {
	"CREATE TABLE acked(k INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
};

/* Deterministic payload of row k, 100 bytes to a few pages long. */
static size_t
payload(int k, unsigned char *buf, size_t cap)
{
	size_t i, n = 100 + ((size_t)k * 997) % 6000;

	cr_assert_leq(n, cap);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(k * 31 + i);
	return n;
}

static int
insert_row(struct ndes_db *db, int k)
{
	unsigned char buf[8192];
	sqlite3_stmt *st;
	size_t n = payload(k, buf, sizeof(buf));

	if (ndes_db_begin(db) == -1)
		return -1;
	st = ndes_db_prepare(db, "INSERT INTO acked(k, payload) VALUES(?1, ?2)");
	if (st == NULL || sqlite3_bind_int(st, 1, k) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, buf, (int)n, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ndes_db_step(db, st) != 0) {
		ndes_db_rollback(db);
		return -1;
	}
	return ndes_db_commit(db);
}

static void
writer(const char *path, const struct ndes_db_schema *s, int fd)
{
	struct ndes_db *db = ndes_db_open(path, s, NULL, 0);
	int k;

	if (db == NULL)
		_exit(2);
	for (k = 1; k <= ROWS_MAX; k++) {
		if (insert_row(db, k) == -1)
			_exit(3);
		if (dprintf(fd, "acked %d\n", k) < 0)
			_exit(4);
	}
	_exit(0);
}

/* Reads acks until `until` of them arrived (or EOF); returns the last one. */
static int
read_acks(FILE *f, int until, int last)
{
	char line[64];
	int k;

	while ((until == 0 || last < until) && fgets(line, sizeof(line), f) != NULL) {
		cr_assert_eq(sscanf(line, "acked %d", &k), 1, "bad line %s", line);
		cr_assert_eq(k, last + 1, "acks in order");
		last = k;
	}
	return last;
}

/* Every row 1..m is there with its payload, m is acked or acked + 1 (a
 * commit that landed just before its ack could be written). */
static void
check_rows(const char *path, const struct ndes_db_schema *s, int acked, unsigned seed)
{
	unsigned char want[8192];
	char err[512];
	struct ndes_db *db = ndes_db_open(path, s, err, sizeof(err));
	sqlite3_stmt *st;
	int r, expect = 1;
	size_t n;

	cr_assert_not_null(db, "reopen: %s", err);
	st = ndes_db_prepare(db, "PRAGMA integrity_check");
	cr_assert_eq(ndes_db_step(db, st), 1);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_reset(st);
	st = ndes_db_prepare(db, "SELECT k, payload FROM acked ORDER BY k");
	while ((r = ndes_db_step(db, st)) == 1) {
		cr_assert_eq(sqlite3_column_int(st, 0), expect, "seed %u: row %d missing", seed,
		    expect);
		n = payload(expect, want, sizeof(want));
		cr_assert_eq((size_t)sqlite3_column_bytes(st, 1), n);
		cr_assert_arr_eq(sqlite3_column_blob(st, 1), want, n, "row %d payload", expect);
		expect++;
	}
	cr_assert_eq(r, 0);
	cr_assert_geq(expect - 1, acked, "seed %u: %d rows acked, %d found", seed, acked,
	    expect - 1);
	cr_assert_leq(expect - 1, acked + 1, "seed %u: %d rows acked, %d found", seed, acked,
	    expect - 1);
	ndes_db_close(db);
}

static void
kill_mid_stream(enum ndes_db_durability durability, unsigned seed)
{
	struct ndes_db_schema s = { .durability = durability, .migrations = migrations,
	    .nmigrations = 1 };
	struct tdir td;
	int fds[2], status, target, last;
	FILE *f;
	pid_t pid;

	srand(seed);
	target = 5 + rand() % 120;
	tdir_make(&td, "acked.db");
	cr_assert_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		writer(td.path, &s, fds[1]);
	}
	cr_assert_neq(pid, -1);
	close(fds[1]);
	cr_assert_not_null(f = fdopen(fds[0], "r"));
	last = read_acks(f, target, 0);
	cr_assert_eq(last, target, "seed %u: writer stopped early at %d", seed, last);
	usleep(rand() % 3000);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	last = read_acks(f, 0, last);
	fclose(f);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
	check_rows(td.path, &s, last, seed);
	tdir_remove(&td);
}

static unsigned
base_seed(void)
{
	const char *env = getenv("NDES_TEST_SEED");

	return env != NULL ? (unsigned)strtoul(env, NULL, 10) :
	    (unsigned)time(NULL) ^ (unsigned)getpid();
}

Test(durability, durable_acked_rows_survive_sigkill, .timeout = 120)
{
	unsigned seed = base_seed();
	int i;

	log_init("test", LOG_LEVEL_WARN);
	for (i = 0; i < 5; i++)
		kill_mid_stream(NDES_DB_DURABLE, seed + i);
}

Test(durability, relaxed_acked_rows_survive_sigkill, .timeout = 120)
{
	unsigned seed = base_seed() + 1000;
	int i;

	log_init("test", LOG_LEVEL_WARN);
	for (i = 0; i < 3; i++)
		kill_mid_stream(NDES_DB_RELAXED, seed + i);
}
