/* Storage: keeping the WAL small (docs/storage.md, "Maintenance").
 *
 * SQLite checkpoints by itself only after a commit that leaves 1000 pages
 * in the WAL, and only PASSIVE: the file is reused from its start but never
 * shrinks, and a daemon that stops writing keeps its last writes in it.  On
 * a small or nearly full file system that WAL is what fills it.  So every
 * handle checkpoints at its WAL limit (ndes_db_wal_limit: the schema's, or
 * NDES_DB_WAL_MAX_BYTES) with the file cut back to it (storage.c), and
 * every daemon calls
 * ndes_db_maintain() from its idle time: the WAL copied into the database
 * and truncated to zero bytes. */
#include "storage_int.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"

int64_t
ndes_db_wal_size(struct ndes_db *db)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db->handle, "main"));
	struct stat sb;

	if (wal == NULL)
		return -1;
	if (stat(wal, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	return (int64_t)sb.st_size;
}

/* wal_checkpoint(mode) without waiting for another connection. */
static int
db_maint_checkpoint(struct ndes_db *db, int mode)
{
	int rc;

	sqlite3_busy_timeout(db->handle, 0);
	rc = sqlite3_wal_checkpoint_v2(db->handle, NULL, mode, NULL, NULL);
	sqlite3_busy_timeout(db->handle, db->busy_ms);
	return rc;
}

/* A failure is logged when it starts and when it is over, not every time. */
static int
db_maint_report(struct ndes_db *db, int rc)
{
	if (rc == SQLITE_OK) {
		if (db->maint_failing)
			log_info("%s: the WAL can be checkpointed again", db->path);
		db->maint_failing = 0;
		return 1;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 0;
	snprintf(db->errbuf, sizeof(db->errbuf), "%s", sqlite3_errstr(rc));
	if (!db->maint_failing)
		log_warnx("%s: checkpoint: %s; trying again while idle", db->path,
		    sqlite3_errstr(rc));
	db->maint_failing = 1;
	return -1;
}

int
ndes_db_maintain(struct ndes_db *db)
{
	if (!sqlite3_get_autocommit(db->handle) || ndes_db_wal_size(db) == 0)
		return 0;
	return db_maint_report(db, db_maint_checkpoint(db, SQLITE_CHECKPOINT_TRUNCATE));
}

int
ndes_db_restart_wal(struct ndes_db *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		return 0;
	return db_maint_report(db, db_maint_checkpoint(db, SQLITE_CHECKPOINT_RESTART));
}
