/* Helpers shared by the storage tests. */
#ifndef TEST_STORAGE_UTIL_H
#define TEST_STORAGE_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage.h"

/* A fresh directory for one test and the database path inside it. */
struct tdir {
	char dir[256];
	char path[300];
};

static inline void
tdir_make(struct tdir *t, const char *name)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/ndes-storage-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	cr_assert_not_null(mkdtemp(t->dir), "mkdtemp");
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
}

static inline void
tdir_remove(struct tdir *t)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t->dir);
}

/* Reads one integer through a raw connection (no wrapper involved). */
static inline long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -999;

	cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* Reads one integer through the wrapper's handle. */
static inline long long
db_int(struct ndes_db *db, const char *sql)
{
	sqlite3_stmt *st = ndes_db_prepare(db, sql);
	long long v;

	cr_assert_not_null(st, "%s: %s", sql, ndes_db_errmsg(db));
	cr_assert_eq(ndes_db_step(db, st), 1, "%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static inline double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

#endif
