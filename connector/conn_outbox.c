/* The outbox on SQLite (see conn_outbox.h). */
#include "conn_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "storage.h"

static const char *const outbox_migrations[] = {
	"CREATE TABLE items(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
	" key TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
	" rejected INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE work(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
	" key TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created INTEGER NOT NULL,"
	" started INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

static const struct ndes_db_schema outbox_schema = {
	.durability = NDES_DB_DURABLE,
	.migrations = outbox_migrations,
	.nmigrations = sizeof(outbox_migrations) / sizeof(outbox_migrations[0]),
	.application_id = 0x4e44434f,	/* "NDCO" */
};

struct conn_outbox {
	struct ndes_db	*db;
	int64_t		 max_items;
	int64_t		 count;		/* items + work */
};

static int64_t
outbox_scalar(struct conn_outbox *ob, const char *sql)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, sql);
	int64_t v = -1;

	if (st != NULL && ndes_db_step(ob->db, st) == 1) {
		v = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return v;
}

int
conn_outbox_recount(struct conn_outbox *ob)
{
	int64_t n = outbox_scalar(ob, "SELECT (SELECT count(*) FROM items) + "
	    "(SELECT count(*) FROM work)");

	if (n < 0)
		return -1;
	ob->count = n;
	return 0;
}

struct conn_outbox *
conn_outbox_open(const char *path, int64_t max_items, char *err, size_t errlen)
{
	struct conn_outbox *ob = calloc(1, sizeof(*ob));

	if (ob == NULL)
		return NULL;
	if ((ob->db = ndes_db_open(path, &outbox_schema, err, errlen)) == NULL) {
		free(ob);
		return NULL;
	}
	ob->max_items = max_items;
	if (conn_outbox_recount(ob) == -1) {
		snprintf(err, errlen, "%s: %s", path, ndes_db_errmsg(ob->db));
		conn_outbox_close(ob);
		return NULL;
	}
	return ob;
}

void
conn_outbox_close(struct conn_outbox *ob)
{
	if (ob == NULL)
		return;
	ndes_db_close(ob->db);
	free(ob);
}

const char *
conn_outbox_errmsg(struct conn_outbox *ob)
{
	return ndes_db_errmsg(ob->db);
}

int
conn_outbox_maintain(struct conn_outbox *ob)
{
	return ndes_db_maintain(ob->db);
}

void
conn_outbox_set_max(struct conn_outbox *ob, int64_t max_items)
{
	ob->max_items = max_items;
}

int64_t
conn_outbox_count(struct conn_outbox *ob)
{
	return ob->count;
}

int64_t
conn_outbox_room(struct conn_outbox *ob)
{
	if (ob->max_items < 1)
		return INT64_MAX;
	if (ob->count >= ob->max_items)
		conn_outbox_recount(ob);	/* ndes-connector may have purged some */
	return ob->count >= ob->max_items ? 0 : ob->max_items - ob->count;
}

static int
outbox_has(struct conn_outbox *ob, const char *table_sql, const char *key)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, table_sql);
	int r;

	if (st == NULL || sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	r = ndes_db_step(ob->db, st);
	if (r == 1)
		sqlite3_reset(st);
	return r;
}

static enum conn_outbox_add
outbox_insert(struct conn_outbox *ob, const char *has_sql, const char *ins_sql,
    const char *kind, const char *key, const char *body)
{
	sqlite3_stmt *st;
	int r = outbox_has(ob, has_sql, key);

	if (r == -1)
		return CONN_OUTBOX_ERROR;
	if (r == 1)
		return CONN_OUTBOX_DUPLICATE;
	if (conn_outbox_room(ob) == 0)
		return CONN_OUTBOX_FULL;
	st = ndes_db_prepare(ob->db, ins_sql);
	if (st == NULL || sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (int64_t)time(NULL)) != SQLITE_OK ||
	    ndes_db_step(ob->db, st) != 0)
		return CONN_OUTBOX_ERROR;
	ob->count++;
	return CONN_OUTBOX_ADDED;
}

enum conn_outbox_add
conn_outbox_add(struct conn_outbox *ob, const char *kind, const char *key, const char *body)
{
	return outbox_insert(ob, "SELECT 1 FROM items WHERE key = ?1",
	    "INSERT INTO items(kind, key, body, created) VALUES(?1, ?2, ?3, ?4)",
	    kind, key, body);
}

enum conn_outbox_add
conn_outbox_work_add(struct conn_outbox *ob, const char *kind, const char *key,
    const char *body)
{
	return outbox_insert(ob, "SELECT 1 FROM work WHERE key = ?1",
	    "INSERT INTO work(kind, key, body, created) VALUES(?1, ?2, ?3, ?4)",
	    kind, key, body);
}

/* Rows of (seq, kind, key, body, created, attempts, last_error, flag). */
static int
outbox_read_rows(struct conn_outbox *ob, sqlite3_stmt *st, bool work,
    struct conn_outbox_item **items, size_t *n)
{
	struct conn_outbox_item *v = NULL, *it;
	size_t cnt = 0;
	int r;

	while ((r = ndes_db_step(ob->db, st)) == 1) {
		if ((it = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			sqlite3_reset(st);
			r = -1;
			break;
		}
		v = it;
		it = &v[cnt++];
		memset(it, 0, sizeof(*it));
		it->seq = sqlite3_column_int64(st, 0);
		it->kind = ndes_db_column_dup(st, 1);
		it->key = ndes_db_column_dup(st, 2);
		it->body = ndes_db_column_dup(st, 3);
		it->created = sqlite3_column_int64(st, 4);
		it->attempts = sqlite3_column_int64(st, 5);
		it->last_error = ndes_db_column_dup(st, 6);
		if (work)
			it->started = sqlite3_column_int(st, 7) != 0;
		else
			it->rejected = sqlite3_column_int(st, 7) != 0;
	}
	if (r == -1) {
		conn_outbox_items_free(v, cnt);
		return -1;
	}
	*items = v;
	*n = cnt;
	return 0;
}

/* The rows of sql: with prefix, ?1 is the prefix and ?2 the limit; without
 * (NULL), ?1 is the limit.  work: the last column is `started`. */
static int
outbox_select(struct conn_outbox *ob, const char *sql, const char *prefix, size_t limit,
    bool work, struct conn_outbox_item **items, size_t *n)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, sql);
	int i = 1;

	*items = NULL;
	*n = 0;
	if (st == NULL || (prefix != NULL &&
	    sqlite3_bind_text(st, i++, prefix, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    sqlite3_bind_int64(st, i, (int64_t)limit) != SQLITE_OK)
		return -1;
	return outbox_read_rows(ob, st, work, items, n);
}

int
conn_outbox_fetch(struct conn_outbox *ob, const char *prefix, size_t limit,
    struct conn_outbox_item **items, size_t *n)
{
	return outbox_select(ob, "SELECT seq, kind, key, body, created, attempts, last_error,"
	    " rejected FROM items WHERE rejected = 0 AND substr(key, 1, length(?1)) = ?1"
	    " ORDER BY seq LIMIT ?2", prefix != NULL ? prefix : "", limit, false, items, n);
}

int
conn_outbox_list(struct conn_outbox *ob, size_t limit, struct conn_outbox_item **items,
    size_t *n)
{
	return outbox_select(ob, "SELECT seq, kind, key, body, created, attempts, last_error,"
	    " rejected FROM items ORDER BY seq LIMIT ?1", NULL, limit, false, items, n);
}

int
conn_outbox_work_fetch(struct conn_outbox *ob, size_t limit, struct conn_outbox_item **items,
    size_t *n)
{
	return outbox_select(ob, "SELECT seq, kind, key, body, created, 0, NULL, started"
	    " FROM work ORDER BY seq LIMIT ?1", NULL, limit, true, items, n);
}

void
conn_outbox_items_free(struct conn_outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].kind);
		free(items[i].key);
		free(items[i].body);
		free(items[i].last_error);
	}
	free(items);
}

/* Run sql (binding ?1 = seq, ?2 = text unless NULL): rows changed, or -1. */
static int64_t
outbox_exec_seq(struct conn_outbox *ob, const char *sql, int64_t seq, const char *text)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, sql);

	if (st == NULL || sqlite3_bind_int64(st, 1, seq) != SQLITE_OK ||
	    (text != NULL && sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    ndes_db_step(ob->db, st) != 0)
		return -1;
	return sqlite3_changes(ndes_db_handle(ob->db));
}

/* Run sql (binding ?1 = seq, ?2 = text) for each seq in one transaction. */
static int
outbox_each(struct conn_outbox *ob, const char *sql, const int64_t *seqs, size_t n,
    const char *text, int64_t *changed)
{
	int64_t c;

	*changed = 0;
	if (n == 0)
		return 0;
	if (ndes_db_begin(ob->db) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((c = outbox_exec_seq(ob, sql, seqs[i], text)) == -1) {
			ndes_db_rollback(ob->db);
			return -1;
		}
		*changed += c;
	}
	return ndes_db_commit(ob->db);
}

#define OUTBOX_SQL_REMOVE "DELETE FROM items WHERE seq = ?1"
#define OUTBOX_SQL_FAILED "UPDATE items SET attempts = attempts + 1, last_error = ?2" \
	" WHERE seq = ?1"
#define OUTBOX_SQL_REJECT "UPDATE items SET attempts = attempts + 1, last_error = ?2," \
	" rejected = 1 WHERE seq = ?1"

/* Inside the caller's transaction. */
static int
outbox_meta_rows(struct conn_outbox *ob, const struct conn_outbox_meta *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = ndes_db_prepare(ob->db, rows[i].value != NULL ?
		    "INSERT OR REPLACE INTO meta(name, value) VALUES(?1, ?2)" :
		    "DELETE FROM meta WHERE name = ?1");

		if (st == NULL || sqlite3_bind_text(st, 1, rows[i].name, -1, SQLITE_STATIC) !=
		    SQLITE_OK || (rows[i].value != NULL && sqlite3_bind_text(st, 2,
		    rows[i].value, -1, SQLITE_STATIC) != SQLITE_OK) || ndes_db_step(ob->db, st) != 0)
			return -1;
	}
	return 0;
}

int
conn_outbox_meta_write(struct conn_outbox *ob, const struct conn_outbox_meta *rows, size_t n)
{
	if (ndes_db_begin(ob->db) == -1)
		return -1;
	if (outbox_meta_rows(ob, rows, n) == -1) {
		ndes_db_rollback(ob->db);
		return -1;
	}
	return ndes_db_commit(ob->db);
}

int
conn_outbox_settle(struct conn_outbox *ob, const struct conn_outbox_outcome *o, size_t n,
    const struct conn_outbox_meta *meta, size_t nmeta)
{
	static const char *const sql[] = { [CONN_OUTBOX_DONE] = OUTBOX_SQL_REMOVE,
	    [CONN_OUTBOX_RETRY] = OUTBOX_SQL_FAILED, [CONN_OUTBOX_REJECTED] = OUTBOX_SQL_REJECT };
	int64_t c, removed = 0;

	if (ndes_db_begin(ob->db) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (o[i].fate == CONN_OUTBOX_UNSENT)
			continue;
		if ((c = outbox_exec_seq(ob, sql[o[i].fate], o[i].seq,
		    o[i].fate == CONN_OUTBOX_DONE ? NULL : o[i].error ? o[i].error : "")) == -1) {
			ndes_db_rollback(ob->db);
			return -1;
		}
		removed += o[i].fate == CONN_OUTBOX_DONE ? c : 0;
	}
	if (outbox_meta_rows(ob, meta, nmeta) == -1) {
		ndes_db_rollback(ob->db);
		return -1;
	}
	if (ndes_db_commit(ob->db) == -1)
		return -1;
	ob->count -= removed;
	return 0;
}

int
conn_outbox_remove(struct conn_outbox *ob, const int64_t *seqs, size_t n)
{
	int64_t changed;

	if (outbox_each(ob, OUTBOX_SQL_REMOVE, seqs, n, NULL, &changed) == -1)
		return -1;
	ob->count -= changed;
	return 0;
}

int
conn_outbox_failed(struct conn_outbox *ob, const int64_t *seqs, size_t n, const char *error)
{
	int64_t changed;

	return outbox_each(ob, OUTBOX_SQL_FAILED, seqs, n, error, &changed);
}

int
conn_outbox_reject(struct conn_outbox *ob, int64_t seq, const char *error)
{
	int64_t changed;

	return outbox_each(ob, OUTBOX_SQL_REJECT, &seq, 1, error, &changed);
}

int64_t
conn_outbox_purge_rejected(struct conn_outbox *ob, int64_t before)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, "DELETE FROM items WHERE rejected = 1 AND"
	    " (?1 = 0 OR created < ?1)");
	int64_t n;

	if (st == NULL || sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    ndes_db_step(ob->db, st) != 0)
		return -1;
	n = sqlite3_changes(ndes_db_handle(ob->db));
	ob->count -= n;
	return n;
}

int
conn_outbox_work_start(struct conn_outbox *ob, const char *key)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, "UPDATE work SET started = 1 WHERE key = ?1");

	if (st == NULL || sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return ndes_db_step(ob->db, st) == 0 ? 0 : -1;
}

int
conn_outbox_work_finish(struct conn_outbox *ob, const char *work_key, const char *kind,
    const char *key, const char *body)
{
	sqlite3_stmt *st;
	int64_t del;

	if (ndes_db_begin(ob->db) == -1)
		return -1;
	if ((st = ndes_db_prepare(ob->db, "DELETE FROM work WHERE key = ?1")) == NULL ||
	    sqlite3_bind_text(st, 1, work_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    ndes_db_step(ob->db, st) != 0)
		goto fail;
	del = sqlite3_changes(ndes_db_handle(ob->db));
	if ((st = ndes_db_prepare(ob->db, "INSERT OR IGNORE INTO items(kind, key, body, created)"
	    " VALUES(?1, ?2, ?3, ?4)")) == NULL ||
	    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (int64_t)time(NULL)) != SQLITE_OK ||
	    ndes_db_step(ob->db, st) != 0)
		goto fail;
	del -= sqlite3_changes(ndes_db_handle(ob->db));
	if (ndes_db_commit(ob->db) == -1)
		return -1;
	ob->count -= del;
	return 0;
fail:
	ndes_db_rollback(ob->db);
	return -1;
}

int64_t
conn_outbox_work_count(struct conn_outbox *ob)
{
	return outbox_scalar(ob, "SELECT count(*) FROM work");
}

int64_t
conn_outbox_oldest(struct conn_outbox *ob)
{
	return outbox_scalar(ob, "SELECT coalesce(min(created), 0) FROM items WHERE rejected = 0");
}

char *
conn_outbox_summary_json(struct conn_outbox *ob)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, "SELECT kind, count(*), sum(rejected)"
	    " FROM items GROUP BY kind ORDER BY kind");
	json_t *obj = json_object();
	char *text = NULL;
	int r;

	if (st == NULL || obj == NULL) {
		json_decref(obj);
		return NULL;
	}
	while ((r = ndes_db_step(ob->db, st)) == 1)
		json_object_set_new(obj, (const char *)sqlite3_column_text(st, 0),
		    json_pack("{s:I, s:I}", "waiting", (json_int_t)(sqlite3_column_int64(st, 1) -
		    sqlite3_column_int64(st, 2)), "rejected",
		    (json_int_t)sqlite3_column_int64(st, 2)));
	if (r == 0)
		text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	return text;
}

int
conn_outbox_meta_set(struct conn_outbox *ob, const char *name, const char *value)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db,
	    "INSERT OR REPLACE INTO meta(name, value) VALUES(?1, ?2)");

	if (st == NULL || sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return ndes_db_step(ob->db, st) == 0 ? 0 : -1;
}

char *
conn_outbox_meta_get(struct conn_outbox *ob, const char *name)
{
	sqlite3_stmt *st = ndes_db_prepare(ob->db, "SELECT value FROM meta WHERE name = ?1");
	char *v = NULL;

	if (st == NULL || sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
		return NULL;
	if (ndes_db_step(ob->db, st) == 1) {
		v = ndes_db_column_dup(st, 0);
		sqlite3_reset(st);
	}
	return v;
}
