#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "test_storage_util.h"

static struct tdir td;

static void
setup(void)
{
	log_init("test", LOG_LEVEL_WARN);
	tdir_make(&td, "t.db");
}

static void
teardown(void)
{
	tdir_remove(&td);
}

TestSuite(storage, .init = setup, .fini = teardown);

/* Each migration leaves a row in "steps", so a migration run twice shows. */
static const char *const migrations[] = {
	"CREATE TABLE steps(n INTEGER NOT NULL);"
	"INSERT INTO steps VALUES(0);",
	"CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"INSERT INTO steps VALUES(1);",
	"CREATE TABLE tag(item INTEGER NOT NULL REFERENCES item(id), tag TEXT);"
	"INSERT INTO steps VALUES(2);",
};

static const struct ndes_db_schema schema_v3 = {
	.durability = NDES_DB_DURABLE, .migrations = migrations, .nmigrations = 3,
};

static struct ndes_db *
open_ok(const struct ndes_db_schema *s)
{
	char err[512] = "";
	struct ndes_db *db = ndes_db_open(td.path, s, err, sizeof(err));

	cr_assert_not_null(db, "open: %s", err);
	return db;
}

Test(storage, migrates_new_file_from_zero_to_n)
{
	struct ndes_db *db = open_ok(&schema_v3);

	cr_assert_eq(db_int(db, "PRAGMA user_version"), 3);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM steps"), 3);
	cr_assert_eq(db_int(db, "SELECT group_concat(n, '') FROM steps"), 12, "0,1,2 in order");
	cr_assert_eq(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
	    "('steps', 'item', 'tag')"), 3);
	cr_assert_str_eq(ndes_db_path(db), td.path);
	ndes_db_close(db);
	cr_assert_eq(raw_int(td.path, "PRAGMA user_version"), 3);
}

Test(storage, migrates_from_intermediate_version)
{
	struct ndes_db_schema v1 = schema_v3;
	struct ndes_db *db;

	v1.nmigrations = 1;
	ndes_db_close(open_ok(&v1));
	cr_assert_eq(raw_int(td.path, "PRAGMA user_version"), 1);
	cr_assert_eq(raw_int(td.path, "SELECT count(*) FROM steps"), 1);

	db = open_ok(&schema_v3);
	cr_assert_eq(db_int(db, "PRAGMA user_version"), 3);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM steps WHERE n = 0"), 1, "v1 ran once");
	cr_assert_eq(db_int(db, "SELECT count(*) FROM steps"), 3);
	ndes_db_close(db);

	db = open_ok(&schema_v3);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM steps"), 3, "nothing runs at version n");
	ndes_db_close(db);
}

Test(storage, refuses_newer_schema)
{
	struct ndes_db_schema v2 = schema_v3;
	char err[512], want[512];

	ndes_db_close(open_ok(&schema_v3));
	v2.nmigrations = 2;
	cr_assert_null(ndes_db_open(td.path, &v2, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: schema version 3 is newer than the 2 this program "
	    "knows; refusing to open it", td.path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(raw_int(td.path, "PRAGMA user_version"), 3);
}

Test(storage, failed_migration_keeps_version_and_says_why)
{
	static const char *const bad[] = {
		"CREATE TABLE steps(n INTEGER NOT NULL); INSERT INTO steps VALUES(0);",
		"CREATE TABLE half(x); INSERT INTO nope VALUES(1);",
	};
	struct ndes_db_schema s = { .durability = NDES_DB_DURABLE, .migrations = bad,
	    .nmigrations = 2 };
	char err[512], want[512];

	cr_assert_null(ndes_db_open(td.path, &s, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: migration to schema version 2 failed: "
	    "no such table: nope", td.path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(raw_int(td.path, "PRAGMA user_version"), 1, "first migration kept");
	cr_assert_eq(raw_int(td.path, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"),
	    0, "second migration rolled back entirely");
	/* Fixed program: the retry starts from version 1. */
	ndes_db_close(open_ok(&schema_v3));
	cr_assert_eq(raw_int(td.path, "PRAGMA user_version"), 3);
}

Test(storage, logs_open_failure_when_no_err_buffer)
{
	struct ndes_db_schema v0 = { .durability = NDES_DB_DURABLE };
	char want[600];

	cr_redirect_stderr();
	ndes_db_close(open_ok(&schema_v3));
	cr_assert_null(ndes_db_open(td.path, &v0, NULL, 0));
	fflush(stderr);
	snprintf(want, sizeof(want), "test: %s: schema version 3 is newer than the 0 this "
	    "program knows; refusing to open it\n", td.path);
	cr_assert_stderr_eq_str(want);
}

Test(storage, refuses_other_programs_database)
{
	struct ndes_db_schema a = schema_v3, b = schema_v3;
	char err[512], want[512];
	struct ndes_db *db;

	a.application_id = 0x4e444531;
	b.application_id = 0x4e444532;
	db = open_ok(&a);
	cr_assert_eq(db_int(db, "PRAGMA application_id"), 0x4e444531);
	ndes_db_close(db);
	cr_assert_null(ndes_db_open(td.path, &b, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: application_id 0x4e444531 is not 0x4e444532: "
	    "not this program's database", td.path);
	cr_assert_str_eq(err, want);
	ndes_db_close(open_ok(&a));
}

Test(storage, wal_durability_and_foreign_keys_are_on)
{
	struct ndes_db_schema relaxed = schema_v3;
	struct ndes_db *db = open_ok(&schema_v3);
	sqlite3_stmt *st;
	char wal[320];
	struct stat sb;

	st = ndes_db_prepare(db, "PRAGMA journal_mode");
	cr_assert_eq(ndes_db_step(db, st), 1);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_reset(st);
	cr_assert_eq(db_int(db, "PRAGMA synchronous"), 2, "DURABLE is FULL");
	cr_assert_eq(db_int(db, "PRAGMA foreign_keys"), 1);
	cr_assert_eq(db_int(db, "PRAGMA busy_timeout"), NDES_DB_BUSY_TIMEOUT_MS);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO tag VALUES(42, 'x')"), -1);
	cr_assert_str_eq(ndes_db_errmsg(db), "FOREIGN KEY constraint failed");
	snprintf(wal, sizeof(wal), "%s-wal", td.path);
	cr_assert_eq(stat(wal, &sb), 0, "WAL file exists");
	ndes_db_close(db);

	relaxed.durability = NDES_DB_RELAXED;
	relaxed.busy_timeout_ms = 1234;
	db = open_ok(&relaxed);
	cr_assert_eq(db_int(db, "PRAGMA synchronous"), 1, "RELAXED is NORMAL");
	cr_assert_eq(db_int(db, "PRAGMA busy_timeout"), 1234);
	cr_assert_eq(ndes_db_set_busy_timeout(db, 77), 0);
	cr_assert_eq(db_int(db, "PRAGMA busy_timeout"), 77);
	ndes_db_close(db);
}

Test(storage, new_file_is_0600_whatever_the_umask)
{
	const char *suffix[] = { "", "-wal", "-shm" };
	struct ndes_db *db;
	char p[320];
	struct stat sb;
	mode_t old = umask(0);
	size_t i;

	db = open_ok(&schema_v3);
	umask(old);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('a')"), 0);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", td.path, suffix[i]);
		cr_assert_eq(stat(p, &sb), 0, "%s", p);
		cr_assert_eq(sb.st_mode & 07777, 0600, "%s has mode %o", p,
		    (unsigned)(sb.st_mode & 07777));
	}
	ndes_db_close(db);
}

Test(storage, refuses_group_writable_file)
{
	char err[512], want[512];

	ndes_db_close(open_ok(&schema_v3));
	cr_assert_eq(chmod(td.path, 0664), 0);
	cr_assert_null(ndes_db_open(td.path, &schema_v3, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: refusing a group or world writable database file "
	    "(mode 0664)", td.path);
	cr_assert_str_eq(err, want);
}

Test(storage, refuses_non_database_file)
{
	char err[512], want[512];
	FILE *f = fopen(td.path, "w");

	cr_assert_not_null(f);
	fputs("this is not a database, just some text long enough to have a header\n", f);
	fclose(f);
	cr_assert_eq(chmod(td.path, 0600), 0);
	cr_assert_null(ndes_db_open(td.path, &schema_v3, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: file is not a database", td.path);
	cr_assert_str_eq(err, want);
}

Test(storage, commit_and_rollback)
{
	struct ndes_db *db = open_ok(&schema_v3);

	cr_assert_eq(ndes_db_begin(db), 0);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('gone')"), 0);
	cr_assert_eq(ndes_db_rollback(db), 0);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM item"), 0);

	cr_assert_eq(ndes_db_begin(db), 0);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('kept')"), 0);
	cr_assert_eq(ndes_db_begin(db), -1, "no nested transactions");
	cr_assert_str_eq(ndes_db_errmsg(db), "cannot start a transaction within a transaction");
	cr_assert_eq(ndes_db_commit(db), 0);
	cr_assert_eq(raw_int(td.path, "SELECT count(*) FROM item WHERE name = 'kept'"), 1);

	cr_assert_eq(ndes_db_rollback(db), 0, "rollback without a transaction is a no-op");
	cr_assert_eq(ndes_db_commit(db), -1);
	cr_assert_str_eq(ndes_db_errmsg(db), "cannot commit - no transaction is active");
	ndes_db_close(db);
}

Test(storage, failed_commit_rolls_back)
{
	struct ndes_db *db = open_ok(&schema_v3);

	cr_assert_eq(ndes_db_exec(db, "PRAGMA defer_foreign_keys=ON"), 0);
	cr_assert_eq(ndes_db_begin(db), 0);
	cr_assert_eq(ndes_db_exec(db, "PRAGMA defer_foreign_keys=ON"), 0);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO tag VALUES(7, 'orphan')"), 0);
	cr_assert_eq(ndes_db_commit(db), -1);
	cr_assert_str_eq(ndes_db_errmsg(db), "FOREIGN KEY constraint failed");
	cr_assert(sqlite3_get_autocommit(ndes_db_handle(db)), "transaction closed");
	cr_assert_eq(db_int(db, "SELECT count(*) FROM tag"), 0);
	ndes_db_close(db);
}

Test(storage, close_rolls_back_open_transaction)
{
	struct ndes_db *db = open_ok(&schema_v3);

	cr_assert_eq(ndes_db_begin(db), 0);
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('x')"), 0);
	ndes_db_close(db);
	ndes_db_close(NULL);
	cr_assert_eq(raw_int(td.path, "SELECT count(*) FROM item"), 0);
}

Test(storage, statement_cache_returns_same_reset_cleared_stmt)
{
	struct ndes_db *db = open_ok(&schema_v3);
	sqlite3_stmt *a, *b, *c;

	a = ndes_db_prepare(db, "SELECT ?1");
	cr_assert_not_null(a);
	cr_assert_eq(sqlite3_bind_int(a, 1, 5), SQLITE_OK);
	cr_assert_eq(ndes_db_step(db, a), 1);
	cr_assert_eq(sqlite3_column_int(a, 0), 5);
	b = ndes_db_prepare(db, "SELECT ?1");
	cr_assert_eq(a, b, "same SQL, same statement");
	cr_assert_eq(ndes_db_step(db, b), 1, "reset: runs again");
	cr_assert_eq(sqlite3_column_type(b, 0), SQLITE_NULL, "bindings cleared");
	cr_assert_eq(ndes_db_step(db, b), 0);
	c = ndes_db_prepare(db, "SELECT ?1 + 1");
	cr_assert_not_null(c);
	cr_assert_neq(c, a);
	cr_assert_eq(ndes_db_prepare(db, "SELECT ?1 + 1"), c);
	ndes_db_close(db);
}

Test(storage, prepare_and_step_errors_are_reported)
{
	struct ndes_db *db = open_ok(&schema_v3);
	sqlite3_stmt *st;

	cr_assert_null(ndes_db_prepare(db, "SELEC 1"));
	cr_assert_str_eq(ndes_db_errmsg(db), "near \"SELEC\": syntax error");
	cr_assert_null(ndes_db_prepare(db, "SELECT 1; SELECT 2"));
	cr_assert_str_eq(ndes_db_errmsg(db), "more than one statement");
	cr_assert_null(ndes_db_prepare(db, "  "));
	cr_assert_str_eq(ndes_db_errmsg(db), "no statement");
	cr_assert_not_null(ndes_db_prepare(db, "SELECT 1;  \n"), "trailing ; and space are fine");

	st = ndes_db_prepare(db, "INSERT INTO item(name) VALUES(?1)");
	cr_assert_eq(sqlite3_bind_text(st, 1, "dup", -1, SQLITE_STATIC), SQLITE_OK);
	cr_assert_eq(ndes_db_step(db, st), 0);
	st = ndes_db_prepare(db, "INSERT INTO item(name) VALUES(?1)");
	cr_assert_eq(sqlite3_bind_text(st, 1, "dup", -1, SQLITE_STATIC), SQLITE_OK);
	cr_assert_eq(ndes_db_step(db, st), -1);
	cr_assert_str_eq(ndes_db_errmsg(db), "UNIQUE constraint failed: item.name");
	ndes_db_close(db);
}

Test(storage, statement_cache_is_bounded)
{
	struct ndes_db *db = open_ok(&schema_v3);
	char sql[64];
	int i;

	for (i = 0; i < NDES_DB_STMT_CACHE_MAX; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		cr_assert_not_null(ndes_db_prepare(db, sql));
	}
	cr_assert_null(ndes_db_prepare(db, "SELECT 'one too many'"));
	cr_assert_str_eq(ndes_db_errmsg(db),
	    "statement cache full (use sqlite3_prepare for dynamic SQL)");
	cr_assert_not_null(ndes_db_prepare(db, "SELECT 7"), "cached ones still served");
	ndes_db_close(db);
}

Test(storage, checkpoint_truncates_wal)
{
	struct ndes_db *db = open_ok(&schema_v3);
	char wal[320];
	struct stat sb;

	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('a'), ('b')"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", td.path);
	cr_assert_eq(stat(wal, &sb), 0);
	cr_assert_gt(sb.st_size, 0);
	cr_assert_eq(ndes_db_checkpoint(db), 0, "%s", ndes_db_errmsg(db));
	cr_assert_eq(stat(wal, &sb), 0);
	cr_assert_eq(sb.st_size, 0);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM item"), 2);
	ndes_db_close(db);
}

Test(storage, maintain_truncates_the_wal)
{
	struct ndes_db *db = open_ok(&schema_v3);

	cr_assert_eq(ndes_db_maintain(db), 1, "the migrations left a WAL");
	cr_assert_eq(ndes_db_wal_size(db), 0);
	cr_assert_eq(ndes_db_maintain(db), 0, "nothing to do");
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('a')"), 0);
	cr_assert_gt(ndes_db_wal_size(db), 0);
	cr_assert_eq(ndes_db_exec(db, "BEGIN; INSERT INTO item(name) VALUES('b')"), 0);
	cr_assert_eq(ndes_db_maintain(db), 0, "not inside a transaction");
	cr_assert_eq(ndes_db_rollback(db), 0);
	cr_assert_eq(ndes_db_maintain(db), 1);
	cr_assert_eq(ndes_db_wal_size(db), 0);
	ndes_db_close(db);
	cr_assert_eq(raw_int(td.path, "SELECT count(*) FROM item"), 1);
}

/* 600 commits of 6 KB each and no maintain() at all (a daemon under steady
 * writes is never idle): the WAL stays near NDES_DB_WAL_MAX_BYTES, where
 * SQLite's defaults let it grow to 1000 pages (4 MB) and keep it. */
Test(storage, wal_stays_near_its_limit_under_steady_writes)
{
	struct ndes_db *db = open_ok(&schema_v3);
	int64_t largest = 0, wal;
	sqlite3_stmt *st;

	for (int i = 0; i < 600; i++) {
		st = ndes_db_prepare(db, "INSERT INTO item(name) VALUES(printf('%d', ?1) || "
		    "hex(zeroblob(3000)))");
		cr_assert_not_null(st);
		cr_assert_eq(sqlite3_bind_int(st, 1, i), SQLITE_OK);
		cr_assert_eq(ndes_db_step(db, st), 0);
		if ((wal = ndes_db_wal_size(db)) > largest)
			largest = wal;
	}
	cr_assert_leq(largest, NDES_DB_WAL_MAX_BYTES + 64 * 1024, "WAL reached %lld bytes",
	    (long long)largest);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM item"), 600);
	ndes_db_close(db);
}

Test(storage, maintain_never_waits_for_another_connection)
{
	struct ndes_db *db = open_ok(&schema_v3);
	sqlite3 *reader = NULL;
	struct timespec t0, t1;

	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('a')"), 0);
	cr_assert_eq(sqlite3_open_v2(td.path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM item", NULL, NULL, NULL),
	    SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ndes_db_maintain(db), 0, "a reader holds the WAL: tried again later");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 500,
	    "it did not wait for the busy timeout");
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	cr_assert_eq(ndes_db_maintain(db), 1);
	cr_assert_eq(ndes_db_wal_size(db), 0);
	ndes_db_close(db);
}

Test(storage, text_or_null_bind_and_column_copy)
{
	struct ndes_db *db = open_ok(&schema_v3);
	sqlite3_stmt *st = ndes_db_prepare(db, "SELECT ?1, ?2");
	char *a, *b;

	cr_assert_not_null(st);
	cr_assert_eq(ndes_db_bind_str(st, 1, "abc"), SQLITE_OK);
	cr_assert_eq(ndes_db_bind_str(st, 2, NULL), SQLITE_OK);
	cr_assert_eq(ndes_db_step(db, st), 1);
	a = ndes_db_column_dup(st, 0);
	b = ndes_db_column_dup(st, 1);
	cr_assert_str_eq(a, "abc");
	cr_assert_null(b);
	cr_assert_eq(sqlite3_column_type(st, 1), SQLITE_NULL);
	sqlite3_reset(st);
	free(a);
	ndes_db_close(db);
}

/* Rows of table item in a copy of the database file alone, without its WAL
 * (what a checkpoint has put on disk); -1 when the table is not there. */
static int
rows_in_main_file_alone(void)
{
	char copy[320], buf[4096];
	FILE *in, *out;
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t n;
	int rows = -1;

	snprintf(copy, sizeof(copy), "%s.copy", td.path);
	cr_assert_not_null((in = fopen(td.path, "rb")));
	cr_assert_not_null((out = fopen(copy, "wb")));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	cr_assert_eq(sqlite3_open_v2(copy, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(h, "SELECT count(*) FROM item", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			rows = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	unlink(copy);
	return rows;
}

/* A relaxed commit on one handle, made durable by another handle's sync
 * (crpd's state_sync interval): the writer never checkpoints by itself, the
 * second handle's sync puts the rows into the database file. */
Test(storage, relaxed_commits_are_synced_by_another_handle)
{
	struct ndes_db *writer = open_ok(&schema_v3), *syncer = open_ok(&schema_v3);

	cr_assert_eq(ndes_db_set_durability(writer, NDES_DB_RELAXED), 0);
	cr_assert_eq(db_int(writer, "PRAGMA synchronous"), 1);
	cr_assert_eq(ndes_db_set_autocheckpoint(writer, 0), 0);
	cr_assert_eq(ndes_db_checkpoint(writer), 0, "%s", ndes_db_errmsg(writer));
	cr_assert_eq(ndes_db_exec(writer, "INSERT INTO item(name) VALUES('a'), ('b')"), 0);
	cr_assert_eq(rows_in_main_file_alone(), 0, "only the WAL has the rows yet");
	cr_assert_eq(ndes_db_sync(syncer), 0, "%s", ndes_db_errmsg(syncer));
	cr_assert_eq(rows_in_main_file_alone(), 2);
	cr_assert_eq(ndes_db_set_durability(writer, NDES_DB_DURABLE), 0);
	cr_assert_eq(db_int(writer, "PRAGMA synchronous"), 2);
	ndes_db_close(syncer);
	ndes_db_close(writer);
}

/* A child opens its own handle, holds the write lock for hold_ms, commits
 * its row, and says "locked" on fd once it holds the lock. */
static pid_t
spawn_lock_holder(int hold_ms)
{
	int fds[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct ndes_db *db = ndes_db_open(td.path, &schema_v3, NULL, 0);

		close(fds[0]);
		if (db == NULL || ndes_db_begin(db) == -1 ||
		    ndes_db_exec(db, "INSERT INTO item(name) VALUES('child')") == -1)
			_exit(2);
		if (write(fds[1], "L", 1) != 1)
			_exit(3);
		usleep(hold_ms * 1000);
		_exit(ndes_db_commit(db) == 0 ? 0 : 4);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "child took the lock");
	close(fds[0]);
	return pid;
}

static void
wait_child_ok(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

Test(storage, busy_timeout_waits_for_a_writer)
{
	struct ndes_db *db;
	double t0, waited;
	pid_t pid;

	pid = spawn_lock_holder(200);
	t0 = now_ms();
	db = open_ok(&schema_v3);
	cr_assert_eq(ndes_db_begin(db), 0, "%s", ndes_db_errmsg(db));
	waited = now_ms() - t0;
	cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('parent')"), 0);
	cr_assert_eq(ndes_db_commit(db), 0);
	wait_child_ok(pid);
	cr_assert_geq(waited, 150.0, "waited %.0f ms for the writer", waited);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM item"), 2);
	ndes_db_close(db);
}

Test(storage, busy_timeout_expires)
{
	struct ndes_db_schema s = schema_v3;
	struct ndes_db *db;
	double t0, waited;
	pid_t pid;

	pid = spawn_lock_holder(1500);
	s.busy_timeout_ms = 100;
	db = open_ok(&s);
	t0 = now_ms();
	cr_assert_eq(ndes_db_begin(db), -1);
	waited = now_ms() - t0;
	cr_assert_str_eq(ndes_db_errmsg(db), "database is locked");
	cr_assert_geq(waited, 80.0, "waited %.0f ms", waited);
	cr_assert_lt(waited, 1000.0, "gave up after %.0f ms", waited);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM item"), 0, "readers are not blocked");
	wait_child_ok(pid);
	ndes_db_close(db);
}

Test(storage, relative_names_are_plain_files_never_uris)
{
	const char *names[] = { "file:odd.db?mode=memory", ":memory:", "plain.db" };
	char err[512], p[400];
	struct ndes_db *db;
	struct stat sb;
	size_t i;

	cr_assert_eq(chdir(td.dir), 0);
	for (i = 0; i < 3; i++) {
		db = ndes_db_open(names[i], &schema_v3, err, sizeof(err));
		cr_assert_not_null(db, "%s: %s", names[i], err);
		cr_assert_str_eq(ndes_db_path(db), names[i]);
		cr_assert_eq(ndes_db_exec(db, "INSERT INTO item(name) VALUES('x')"), 0);
		ndes_db_close(db);
		snprintf(p, sizeof(p), "%s/%s", td.dir, names[i]);
		cr_assert_eq(stat(p, &sb), 0, "%s is a file", p);
		cr_assert_eq(raw_int(p, "SELECT count(*) FROM item"), 1);
	}
}

Test(storage, refuses_directory_and_bad_arguments)
{
	struct ndes_db_schema bad = { .durability = NDES_DB_DURABLE, .nmigrations = 1 };
	char err[512], want[512];

	cr_assert_null(ndes_db_open(td.dir, &schema_v3, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a regular file", td.dir);
	cr_assert_str_eq(err, want);
	cr_assert_null(ndes_db_open(td.path, &bad, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: invalid database path or schema", td.path);
	cr_assert_str_eq(err, want);
	cr_assert_null(ndes_db_open(NULL, &schema_v3, err, sizeof(err)));
	cr_assert_str_eq(err, "(null): invalid database path or schema");
}
