/* Storage: a small SQLite wrapper (docs/storage.md).
 *
 * One struct ndes_db is one connection to one database file.  Opening it:
 *   - creates a missing file with mode 0600 (whatever the umask) and fsyncs
 *     its directory; refuses an existing file that is group or world writable
 *     or is not a regular file;
 *   - sets busy_timeout (default NDES_DB_BUSY_TIMEOUT_MS), journal_mode=WAL
 *     (verified), foreign_keys=ON and the schema's durability (verified);
 *   - brings PRAGMA user_version up to the schema's number of migrations,
 *     each migration in its own BEGIN IMMEDIATE transaction; a database whose
 *     user_version is newer than the schema knows is refused.
 *
 * Durability is a property of a file (SQLite's synchronous setting is per
 * connection and per file), so tables that need different durability live in
 * different files, each opened with its own schema:
 *   NDES_DB_DURABLE  synchronous=FULL: once ndes_db_commit() returned 0 the
 *                    transaction survives kill -9 and power loss.  For every
 *                    record that is acknowledged to someone (outbox, challenge
 *                    states).
 *   NDES_DB_RELAXED  synchronous=NORMAL: a committed transaction survives
 *                    kill -9; the last transactions may be lost on power loss
 *                    (never corrupted).  For data that can be rebuilt (caches).
 *
 * Threads: a handle (its statement cache, its transaction) belongs to one
 * thread at a time; open one handle per thread that needs one.  Never use a
 * handle in a child after fork(); open a new one there.
 *
 * Errors: functions return 0 (or a pointer) on success and -1 (or NULL) on
 * failure; failures are logged with log_warnx naming the file and SQLite's
 * message, which ndes_db_errmsg() also returns. */
#ifndef NDES_STORAGE_H
#define NDES_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define NDES_DB_BUSY_TIMEOUT_MS 5000
/* The WAL between idle times, unless the schema sets wal_max_bytes: a
 * commit that leaves NDES_DB_WAL_MAX_BYTES in it (in pages of 4 KiB)
 * checkpoints (PASSIVE), and the file is cut back to that size when it is
 * reused from its start. */
#define NDES_DB_WAL_MAX_BYTES ((int64_t)1 << 20)
/* How often a daemon calls ndes_db_maintain() while idle. */
#define NDES_DB_MAINTAIN_MS 1000
/* Distinct SQL texts a handle caches; ndes_db_prepare fails beyond this. */
#define NDES_DB_STMT_CACHE_MAX 256

enum ndes_db_durability {
	NDES_DB_DURABLE = 0,	/* synchronous=FULL */
	NDES_DB_RELAXED = 1,	/* synchronous=NORMAL */
};

struct ndes_db_schema {
	enum ndes_db_durability durability;
	/* migrations[i] brings user_version from i to i+1.  Each is one or
	 * more SQL statements run inside a transaction the wrapper opens: no
	 * BEGIN/COMMIT, VACUUM or journal_mode inside.  Never edit a released
	 * migration; append a new one. */
	const char *const *migrations;
	size_t nmigrations;
	/* PRAGMA application_id the file must carry (0: not checked).  A new
	 * file gets it with its first migration; a file with another non-zero
	 * id is refused, so a daemon cannot be pointed at another's database. */
	int32_t application_id;
	/* Milliseconds to wait for another connection's lock; 0: the default. */
	int busy_timeout_ms;
	/* The WAL's size between idle times (see NDES_DB_WAL_MAX_BYTES, the
	 * default when 0); ndes_db_wal_limit() answers it. */
	int64_t wal_max_bytes;
};

struct ndes_db;

/* Opens (creating if missing) and migrates the database at path.  On failure
 * returns NULL and writes a one-line reason into err (when err is NULL the
 * reason is logged with log_warnx instead). */
struct ndes_db *ndes_db_open(const char *path, const struct ndes_db_schema *schema,
    char *err, size_t errlen);
/* Finalizes cached statements, rolls back an open transaction, closes.
 * Accepts NULL. */
void ndes_db_close(struct ndes_db *db);

/* Runs one or more SQL statements without results. */
int ndes_db_exec(struct ndes_db *db, const char *sql);

/* Returns the cached statement for this SQL text (prepared on first use),
 * reset and with its bindings cleared.  Bind with sqlite3_bind_* directly.
 * Do not finalize it: ndes_db_close does.  It stays valid until close, but
 * asking again for the same SQL resets it (so do not nest two uses of one
 * SQL text).  sql must be exactly one statement.  Outside a transaction a
 * statement that returned a row holds a read snapshot until it is reset or
 * finishes: ndes_db_step resets on SQLITE_DONE and on errors; call
 * sqlite3_reset yourself when you stop reading early. */
sqlite3_stmt *ndes_db_prepare(struct ndes_db *db, const char *sql);
/* Steps st once: 1 = a row is ready, 0 = done (st reset), -1 = error
 * (logged, st reset). */
int ndes_db_step(struct ndes_db *db, sqlite3_stmt *st);

/* BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
 * timeout), so the transaction cannot fail later with SQLITE_BUSY. */
int ndes_db_begin(struct ndes_db *db);
/* COMMIT.  When it returns 0 the data has the file's durability.  On failure
 * the transaction is rolled back.  Both commit and rollback reset every
 * cached statement first. */
int ndes_db_commit(struct ndes_db *db);
/* ROLLBACK; returns 0 when no transaction is open (convenient on error
 * paths). */
int ndes_db_rollback(struct ndes_db *db);

/* Copies the WAL back into the database file and truncates the WAL
 * (wal_checkpoint(TRUNCATE)).  SQLite also checkpoints automatically; call
 * this from an idle timer to keep the WAL small.  -1 when readers or a
 * writer kept it from finishing, or on error. */
int ndes_db_checkpoint(struct ndes_db *db);
/* The size in bytes of the file's WAL (its "-wal" file; 0 when there is
 * none), -1 when it cannot be looked at. */
int64_t ndes_db_wal_size(struct ndes_db *db);
/* Keeps the WAL small: call it when the daemon is idle (about once a second,
 * NDES_DB_MAINTAIN_MS, from a timer or a worker that found no job) on the
 * thread that owns the handle.  When the WAL is not empty it is copied into
 * the database and truncated (wal_checkpoint(TRUNCATE)), without waiting
 * for other connections (busy: nothing done, call again later).  A failure
 * (disk full, I/O error) is logged once, and its end once.  1 when it
 * checkpointed, 0 nothing to do (or busy, or inside a transaction), -1
 * failed. */
int ndes_db_maintain(struct ndes_db *db);
/* The WAL size this handle keeps to between idle times (the schema's
 * wal_max_bytes, or NDES_DB_WAL_MAX_BYTES). */
int64_t ndes_db_wal_limit(const struct ndes_db *db);
/* The same under load (a WAL that grew past ndes_db_wal_limit() between
 * batches): copied into the database and reused from its start
 * (wal_checkpoint(RESTART)) instead of truncated, the file cut back to
 * that limit (journal_size_limit).  The next commits then
 * overwrite blocks the file has and pages the page cache holds, where a
 * truncated WAL makes every commit allocate them again.  Returns as
 * ndes_db_maintain(). */
int ndes_db_restart_wal(struct ndes_db *db);
/* Changes the durability of this handle's next commits (not inside a
 * transaction): a file opened NDES_DB_DURABLE can commit some transactions
 * NDES_DB_RELAXED and have ndes_db_sync() make them durable later. */
int ndes_db_set_durability(struct ndes_db *db, enum ndes_db_durability d);
/* WAL pages after which a commit on this handle checkpoints by itself
 * (ndes_db_wal_limit() in pages of 4 KiB); 0: never, another handle calls
 * ndes_db_sync(). */
int ndes_db_set_autocheckpoint(struct ndes_db *db, int pages);
/* Makes every transaction committed so far on the file, by any handle,
 * durable: fsyncs the WAL and copies it into the database
 * (wal_checkpoint(PASSIVE)), never waiting for the other handles.  0 when
 * done, 1 when a reader or writer kept part of it from finishing (call again
 * later), -1 on error. */
int ndes_db_sync(struct ndes_db *db);
/* Binds s as text (SQLITE_STATIC: s must outlive the step), or NULL when s
 * is NULL.  SQLite's result code. */
int ndes_db_bind_str(sqlite3_stmt *st, int i, const char *s);
/* A malloc'd copy of column i's text; NULL for SQL NULL (or no memory). */
char *ndes_db_column_dup(sqlite3_stmt *st, int i);
/* Changes the busy timeout of an open handle. */
int ndes_db_set_busy_timeout(struct ndes_db *db, int ms);

/* The message of the last failure of an ndes_db_* call on this handle ("" if
 * none).  After calling sqlite3_* yourself, use sqlite3_errmsg(). */
const char *ndes_db_errmsg(const struct ndes_db *db);
const char *ndes_db_path(const struct ndes_db *db);
/* The underlying connection, for sqlite3_* calls the wrapper does not wrap.
 * Do not close it or change its journal mode. */
sqlite3 *ndes_db_handle(struct ndes_db *db);

#endif
