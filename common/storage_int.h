/* Internals shared by storage.c and storage_stmt.c; not for other modules. */
#ifndef NDES_STORAGE_INT_H
#define NDES_STORAGE_INT_H

#include "storage.h"
#include "errmsg.h"

struct ndes_db_cached {
	char *sql;
	sqlite3_stmt *st;
};

struct ndes_db {
	sqlite3 *handle;
	char *path;
	struct ndes_db_cached *stmts;
	size_t nstmts;
	size_t stmtcap;
	char errbuf[NDES_ERR_MAX];
	int busy_ms;			/* the busy timeout in effect */
	int maint_failing;		/* its failure has been logged */
	int64_t wal_max;		/* ndes_db_wal_limit() */
};

/* Records msg as the handle's last error and logs "path: what: msg". */
void ndes_db_fail(struct ndes_db *db, const char *what, const char *msg);
/* Records and logs sqlite3_errmsg() of the handle. */
void ndes_db_fail_sqlite(struct ndes_db *db, const char *what);
/* Resets every cached statement (ends their read snapshots). */
void ndes_db_reset_all(struct ndes_db *db);
/* Finalizes and forgets every cached statement. */
void ndes_db_stmts_free(struct ndes_db *db);

#endif
