/* Storage: opening a database file, its settings and its migrations. */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void db_msg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
db_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(msg, len, fmt, ap);
	va_end(ap);
}

/* Makes the directory entry of a file we just created durable. */
static int
db_sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = -1;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* Creates a missing file 0600, or checks that an existing one is a regular
 * file nobody but its owner may write.  path is the name shown in messages. */
static int
db_prepare_file(const char *fspath, const char *path, char *msg, size_t len)
{
	struct stat sb;
	int fd;

	fd = open(fspath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd != -1) {
		if (fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
			db_msg(msg, len, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		if (db_sync_dir(fspath) == -1) {
			db_msg(msg, len, "%s: fsync of its directory: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST || stat(fspath, &sb) == -1) {
		db_msg(msg, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		db_msg(msg, len, "%s: not a regular file", path);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		db_msg(msg, len, "%s: refusing a group or world writable database file (mode %04o)",
		    path, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Runs a query returning one row and reads its first column as text. */
static int
db_query_text(sqlite3 *h, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	const unsigned char *v;
	int rc;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, outlen, "%s", (const char *)v);
	else if (rc == SQLITE_ROW)
		snprintf(out, outlen, "%s", "");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
db_query_int(sqlite3 *h, const char *sql, long long *out)
{
	char buf[64], *end;

	if (db_query_text(h, sql, buf, sizeof(buf)) == -1)
		return -1;
	errno = 0;
	*out = strtoll(buf, &end, 10);
	return (errno != 0 || end == buf || *end != '\0') ? -1 : 0;
}

static void
db_harden(sqlite3 *h)
{
	sqlite3_extended_result_codes(h, 1);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
#endif
}

/* Commits checkpoint (PASSIVE) once the WAL holds the schema's limit
 * (NDES_DB_WAL_MAX_BYTES unless it sets one), not SQLite's 1000 pages, and
 * the file is cut back to that size when it is reused from its start
 * (docs/storage.md, "Maintenance"). */
static int
db_limit_wal(struct ndes_db *db, const struct ndes_db_schema *s)
{
	char sql[64];

	db->wal_max = s->wal_max_bytes > 0 ? s->wal_max_bytes : NDES_DB_WAL_MAX_BYTES;
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%lld", (long long)db->wal_max);
	if (sqlite3_exec(db->handle, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	return sqlite3_wal_autocheckpoint(db->handle, (int)(db->wal_max / 4096)) ==
	    SQLITE_OK ? 0 : -1;
}

int64_t
ndes_db_wal_limit(const struct ndes_db *db)
{
	return db->wal_max;
}

/* busy_timeout, WAL, durability and foreign keys, each verified. */
static int
db_configure(struct ndes_db *db, const struct ndes_db_schema *s, char *msg, size_t len)
{
	int want_sync = s->durability == NDES_DB_RELAXED ? 1 : 2;
	char mode[32];
	long long v;

	db_harden(db->handle);
	db->busy_ms = s->busy_timeout_ms > 0 ? s->busy_timeout_ms : NDES_DB_BUSY_TIMEOUT_MS;
	sqlite3_busy_timeout(db->handle, db->busy_ms);
	if (db_query_text(db->handle, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) == -1)
		goto sqlerr;
	if (strcmp(mode, "wal") != 0) {
		db_msg(msg, len, "%s: journal_mode is %s, not wal", db->path, mode);
		return -1;
	}
	if (sqlite3_exec(db->handle, want_sync == 2 ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db->handle, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK ||
	    db_limit_wal(db, s) == -1)
		goto sqlerr;
	if (db_query_int(db->handle, "PRAGMA synchronous", &v) == -1)
		goto sqlerr;
	if (v != want_sync) {
		db_msg(msg, len, "%s: synchronous is %lld, not %d", db->path, v, want_sync);
		return -1;
	}
	if (db_query_int(db->handle, "PRAGMA foreign_keys", &v) == -1 || v != 1) {
		db_msg(msg, len, "%s: foreign keys cannot be enabled", db->path);
		return -1;
	}
	return 0;
sqlerr:
	db_msg(msg, len, "%s: %s", db->path, sqlite3_errmsg(db->handle));
	return -1;
}

/* Reads user_version and checks it and application_id against the schema. */
static int
db_check_version(struct ndes_db *db, const struct ndes_db_schema *s, long long *version,
    char *msg, size_t len)
{
	long long appid;

	if (db_query_int(db->handle, "PRAGMA user_version", version) == -1 ||
	    db_query_int(db->handle, "PRAGMA application_id", &appid) == -1) {
		db_msg(msg, len, "%s: %s", db->path, sqlite3_errmsg(db->handle));
		return -1;
	}
	if (*version < 0) {
		db_msg(msg, len, "%s: invalid schema version %lld", db->path, *version);
		return -1;
	}
	if ((unsigned long long)*version > s->nmigrations) {
		db_msg(msg, len, "%s: schema version %lld is newer than the %zu this program "
		    "knows; refusing to open it", db->path, *version, s->nmigrations);
		return -1;
	}
	if (s->application_id != 0 && appid != s->application_id &&
	    !(appid == 0 && *version == 0)) {
		db_msg(msg, len, "%s: application_id 0x%08llx is not 0x%08x: "
		    "not this program's database", db->path, (unsigned long long)appid & 0xffffffffULL,
		    (unsigned)s->application_id);
		return -1;
	}
	return 0;
}

/* One migration in one transaction: the version is read again under the
 * write lock, since another process may have migrated meanwhile. */
static int
db_migrate_step(struct ndes_db *db, const struct ndes_db_schema *s, long long *version,
    char *msg, size_t len)
{
	char *sql = NULL, *emsg = NULL;
	int rc;

	if (sqlite3_exec(db->handle, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_msg(msg, len, "%s: %s", db->path, sqlite3_errmsg(db->handle));
		return -1;
	}
	if (db_check_version(db, s, version, msg, len) == -1)
		goto fail;
	if ((size_t)*version == s->nmigrations) {
		if (sqlite3_exec(db->handle, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			return 0;
		db_msg(msg, len, "%s: %s", db->path, sqlite3_errmsg(db->handle));
		goto fail;
	}
	rc = sqlite3_exec(db->handle, s->migrations[*version], NULL, NULL, &emsg);
	if (rc == SQLITE_OK) {
		sql = s->application_id != 0 ?
		    sqlite3_mprintf("PRAGMA user_version=%lld; PRAGMA application_id=%d; COMMIT",
			*version + 1, (int)s->application_id) :
		    sqlite3_mprintf("PRAGMA user_version=%lld; COMMIT", *version + 1);
		rc = sql == NULL ? SQLITE_NOMEM : sqlite3_exec(db->handle, sql, NULL, NULL, &emsg);
		sqlite3_free(sql);
	}
	if (rc != SQLITE_OK) {
		db_msg(msg, len, "%s: migration to schema version %lld failed: %s", db->path,
		    *version + 1, emsg != NULL ? emsg : sqlite3_errstr(rc));
		sqlite3_free(emsg);
		goto fail;
	}
	*version += 1;
	return 0;
fail:
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
db_migrate(struct ndes_db *db, const struct ndes_db_schema *s, char *msg, size_t len)
{
	long long version, from;

	if (db_check_version(db, s, &version, msg, len) == -1)
		return -1;
	from = version;
	while ((size_t)version < s->nmigrations) {
		if (db_migrate_step(db, s, &version, msg, len) == -1)
			return -1;
	}
	if (version != from)
		log_info("%s: schema migrated from version %lld to %lld", db->path, from, version);
	return 0;
}

static struct ndes_db *
db_open_checked(const char *path, const struct ndes_db_schema *s, char *msg, size_t len)
{
	struct ndes_db *db;
	char *fspath = NULL;
	int rc;

	/* "./" keeps SQLite from reading "file:..." or ":memory:" as special
	 * (Debian's SQLite interprets URIs everywhere). */
	if ((db = calloc(1, sizeof(*db))) == NULL || (db->path = strdup(path)) == NULL ||
	    asprintf(&fspath, "%s%s", path[0] == '/' ? "" : "./", path) == -1) {
		db_msg(msg, len, "%s: out of memory", path);
		ndes_db_close(db);
		return NULL;
	}
	if (db_prepare_file(fspath, path, msg, len) == -1) {
		free(fspath);
		ndes_db_close(db);
		return NULL;
	}
	rc = sqlite3_open_v2(fspath, &db->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
	    NULL);
	free(fspath);
	if (rc != SQLITE_OK) {
		db_msg(msg, len, "%s: %s", path,
		    db->handle != NULL ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
		ndes_db_close(db);
		return NULL;
	}
	if (db_configure(db, s, msg, len) == -1 || db_migrate(db, s, msg, len) == -1) {
		ndes_db_close(db);
		return NULL;
	}
	return db;
}

struct ndes_db *
ndes_db_open(const char *path, const struct ndes_db_schema *schema, char *err, size_t errlen)
{
	struct ndes_db *db = NULL;
	char msg[NDES_ERR_MAX];

	if (path == NULL || *path == '\0' || schema == NULL ||
	    (schema->nmigrations > 0 && schema->migrations == NULL) ||
	    (schema->durability != NDES_DB_DURABLE && schema->durability != NDES_DB_RELAXED))
		db_msg(msg, sizeof(msg), "%s: invalid database path or schema",
		    path != NULL ? path : "(null)");
	else
		db = db_open_checked(path, schema, msg, sizeof(msg));
	if (db != NULL)
		return db;
	if (err != NULL && errlen > 0)
		ndes_err_set(err, errlen, "%s", msg);
	else
		log_warnx("%s", msg);
	return NULL;
}

void
ndes_db_close(struct ndes_db *db)
{
	if (db == NULL)
		return;
	ndes_db_stmts_free(db);
	if (db->handle != NULL) {
		if (!sqlite3_get_autocommit(db->handle))
			sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
		if (sqlite3_close(db->handle) != SQLITE_OK) {
			log_warnx("%s: closing with statements not finalized", db->path);
			sqlite3_close_v2(db->handle);
		}
	}
	free(db->path);
	free(db);
}

int
ndes_db_set_busy_timeout(struct ndes_db *db, int ms)
{
	if (sqlite3_busy_timeout(db->handle, ms) != SQLITE_OK) {
		ndes_db_fail_sqlite(db, "busy_timeout");
		return -1;
	}
	db->busy_ms = ms;
	return 0;
}

int
ndes_db_checkpoint(struct ndes_db *db)
{
	int rc;

	rc = sqlite3_wal_checkpoint_v2(db->handle, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc == SQLITE_BUSY) {
		ndes_db_fail(db, "checkpoint", "not complete: the database is busy");
		return -1;
	}
	if (rc != SQLITE_OK) {
		ndes_db_fail_sqlite(db, "checkpoint");
		return -1;
	}
	return 0;
}

int
ndes_db_set_durability(struct ndes_db *db, enum ndes_db_durability d)
{
	if (sqlite3_exec(db->handle, d == NDES_DB_RELAXED ? "PRAGMA synchronous=NORMAL" :
	    "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		ndes_db_fail_sqlite(db, "synchronous");
		return -1;
	}
	return 0;
}

int
ndes_db_set_autocheckpoint(struct ndes_db *db, int pages)
{
	if (sqlite3_wal_autocheckpoint(db->handle, pages) != SQLITE_OK) {
		ndes_db_fail_sqlite(db, "wal_autocheckpoint");
		return -1;
	}
	return 0;
}

int
ndes_db_sync(struct ndes_db *db)
{
	int rc, nlog = 0, ncopied = 0;

	rc = sqlite3_wal_checkpoint_v2(db->handle, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &ncopied);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		ndes_db_fail_sqlite(db, "sync");
		return -1;
	}
	if (rc == SQLITE_BUSY || ncopied < nlog) {
		ndes_db_fail(db, "sync", "not complete: the database is busy");
		return 1;
	}
	return 0;
}

const char *
ndes_db_errmsg(const struct ndes_db *db)
{
	return db->errbuf;
}

const char *
ndes_db_path(const struct ndes_db *db)
{
	return db->path;
}

sqlite3 *
ndes_db_handle(struct ndes_db *db)
{
	return db->handle;
}
