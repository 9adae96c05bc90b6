/* Storage: statements, the statement cache and transactions. */
#include "storage_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void
ndes_db_fail(struct ndes_db *db, const char *what, const char *msg)
{
	ndes_err_set(db->errbuf, sizeof(db->errbuf), "%s", msg);
	log_warnx("%s: %.80s: %s", db->path, what, msg);
}

void
ndes_db_fail_sqlite(struct ndes_db *db, const char *what)
{
	ndes_db_fail(db, what, sqlite3_errmsg(db->handle));
}

int
ndes_db_exec(struct ndes_db *db, const char *sql)
{
	char *emsg = NULL;
	int rc;

	rc = sqlite3_exec(db->handle, sql, NULL, NULL, &emsg);
	if (rc != SQLITE_OK) {
		ndes_db_fail(db, sql, emsg != NULL ? emsg : sqlite3_errstr(rc));
		sqlite3_free(emsg);
		return -1;
	}
	return 0;
}

static int
db_only_space(const char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static sqlite3_stmt *
db_stmt_new(struct ndes_db *db, const char *sql)
{
	struct ndes_db_cached *grown, *c;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	size_t cap;

	if (db->nstmts == NDES_DB_STMT_CACHE_MAX) {
		ndes_db_fail(db, sql, "statement cache full (use sqlite3_prepare for dynamic SQL)");
		return NULL;
	}
	if (sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    &tail) != SQLITE_OK) {
		ndes_db_fail_sqlite(db, sql);
		return NULL;
	}
	if (st == NULL || !db_only_space(tail)) {
		ndes_db_fail(db, sql, st == NULL ? "no statement" : "more than one statement");
		sqlite3_finalize(st);
		return NULL;
	}
	if (db->nstmts == db->stmtcap) {
		cap = db->stmtcap == 0 ? 16 : db->stmtcap * 2;
		if ((grown = reallocarray(db->stmts, cap, sizeof(*grown))) == NULL)
			goto nomem;
		db->stmts = grown;
		db->stmtcap = cap;
	}
	c = &db->stmts[db->nstmts];
	if ((c->sql = strdup(sql)) == NULL)
		goto nomem;
	c->st = st;
	db->nstmts++;
	return st;
nomem:
	ndes_db_fail(db, sql, "out of memory");
	sqlite3_finalize(st);
	return NULL;
}

sqlite3_stmt *
ndes_db_prepare(struct ndes_db *db, const char *sql)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++) {
		if (strcmp(db->stmts[i].sql, sql) == 0) {
			sqlite3_reset(db->stmts[i].st);
			sqlite3_clear_bindings(db->stmts[i].st);
			return db->stmts[i].st;
		}
	}
	return db_stmt_new(db, sql);
}

int
ndes_db_step(struct ndes_db *db, sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	ndes_db_fail_sqlite(db, sqlite3_sql(st));
	sqlite3_reset(st);
	return -1;
}

void
ndes_db_reset_all(struct ndes_db *db)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++)
		sqlite3_reset(db->stmts[i].st);
}

void
ndes_db_stmts_free(struct ndes_db *db)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++) {
		sqlite3_finalize(db->stmts[i].st);
		free(db->stmts[i].sql);
	}
	free(db->stmts);
	db->stmts = NULL;
	db->nstmts = db->stmtcap = 0;
}

int
ndes_db_begin(struct ndes_db *db)
{
	return ndes_db_exec(db, "BEGIN IMMEDIATE");
}

int
ndes_db_commit(struct ndes_db *db)
{
	ndes_db_reset_all(db);
	if (ndes_db_exec(db, "COMMIT") == 0)
		return 0;
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
ndes_db_rollback(struct ndes_db *db)
{
	ndes_db_reset_all(db);
	if (sqlite3_get_autocommit(db->handle))
		return 0;
	return ndes_db_exec(db, "ROLLBACK");
}

int
ndes_db_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
}

char *
ndes_db_column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? strdup((const char *)t) : NULL;
}
