/* The notification outbox (table outbox of state.db). */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "storage.h"

#define OUTBOX_COLUMNS "seq, notification_id, kind, body, transaction_id, challenge_id," \
	" device_id, user_id, thumbprint, serial_number"

int
crp_outbox_insert(struct ndes_db *db, const struct crp_outbox_item *it, int64_t now)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "INSERT INTO outbox(notification_id, kind, body,"
	    " transaction_id, challenge_id, device_id, user_id, thumbprint, serial_number,"
	    " created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");

	if (st == NULL || ndes_db_bind_str(st, 1, it->notification_id) ||
	    ndes_db_bind_str(st, 2, it->kind) || ndes_db_bind_str(st, 3, it->body) || ndes_db_bind_str(st, 4, it->transaction_id) ||
	    ndes_db_bind_str(st, 5, it->challenge_id) || ndes_db_bind_str(st, 6, it->device_id) ||
	    ndes_db_bind_str(st, 7, it->user_id) || ndes_db_bind_str(st, 8, it->thumbprint) ||
	    ndes_db_bind_str(st, 9, it->serial_number) || sqlite3_bind_int64(st, 10, now))
		return -1;
	return ndes_db_step(db, st) == 0 ? 0 : -1;
}

static void
outbox_read_row(sqlite3_stmt *st, struct crp_outbox_item *it)
{
	it->seq = sqlite3_column_int64(st, 0);
	it->notification_id = ndes_db_column_dup(st, 1);
	it->kind = ndes_db_column_dup(st, 2);
	it->body = ndes_db_column_dup(st, 3);
	it->transaction_id = ndes_db_column_dup(st, 4);
	it->challenge_id = ndes_db_column_dup(st, 5);
	it->device_id = ndes_db_column_dup(st, 6);
	it->user_id = ndes_db_column_dup(st, 7);
	it->thumbprint = ndes_db_column_dup(st, 8);
	it->serial_number = ndes_db_column_dup(st, 9);
}

/* Every row of st (bound, not stepped yet) into a new array. */
static int
outbox_read_all(struct ndes_db *db, sqlite3_stmt *st, size_t limit,
    struct crp_outbox_item **items, size_t *n)
{
	struct crp_outbox_item *arr = calloc(limit > 0 ? limit : 1, sizeof(*arr));
	size_t k = 0;
	int rc = 0;

	*items = NULL;
	*n = 0;
	if (arr == NULL)
		return -1;
	while (k < limit && (rc = ndes_db_step(db, st)) == 1)
		outbox_read_row(st, &arr[k++]);
	sqlite3_reset(st);
	if (k < limit && rc == -1) {
		crp_outbox_items_free(arr, k);
		return -1;
	}
	for (size_t i = 0; i < k; i++)
		if (arr[i].notification_id == NULL || arr[i].kind == NULL || arr[i].body == NULL) {
			crp_outbox_items_free(arr, k);
			return -1;
		}
	*items = arr;
	*n = k;
	return 0;
}

int
crp_outbox_fetch(struct ndes_db *db, int64_t after_seq, size_t limit,
    struct crp_outbox_item **items, size_t *n)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "SELECT " OUTBOX_COLUMNS " FROM outbox"
	    " WHERE seq > ?1 ORDER BY seq LIMIT ?2");

	if (st == NULL || sqlite3_bind_int64(st, 1, after_seq) ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit))
		return -1;
	return outbox_read_all(db, st, limit, items, n);
}

int
crp_outbox_take(struct ndes_db *db, const char *notification_id, struct crp_outbox_item *out)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "SELECT " OUTBOX_COLUMNS " FROM outbox"
	    " WHERE notification_id = ?1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL || ndes_db_bind_str(st, 1, notification_id))
		return -1;
	if ((rc = ndes_db_step(db, st)) != 1)
		return rc;
	outbox_read_row(st, out);
	sqlite3_reset(st);
	st = ndes_db_prepare(db, "DELETE FROM outbox WHERE notification_id = ?1");
	if (st == NULL || ndes_db_bind_str(st, 1, notification_id) || ndes_db_step(db, st) != 0) {
		crp_outbox_item_clear(out);
		return -1;
	}
	return 1;
}

int
crp_outbox_take_unreported(struct ndes_db *db, size_t limit, struct crp_outbox_item **items,
    size_t *n)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "SELECT " OUTBOX_COLUMNS " FROM outbox"
	    " WHERE failure_reported = 0 ORDER BY seq LIMIT ?1");

	if (st == NULL || sqlite3_bind_int64(st, 1, (sqlite3_int64)limit) ||
	    outbox_read_all(db, st, limit, items, n) == -1)
		return -1;
	if (*n == 0)
		return 0;
	st = ndes_db_prepare(db, "UPDATE outbox SET failure_reported = 1"
	    " WHERE failure_reported = 0 AND seq <= ?1");
	if (st == NULL || sqlite3_bind_int64(st, 1, (*items)[*n - 1].seq) ||
	    ndes_db_step(db, st) != 0) {
		crp_outbox_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
crp_outbox_count(struct ndes_db *db, int64_t *n)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "SELECT count(*) FROM outbox");

	*n = 0;
	if (st == NULL || ndes_db_step(db, st) != 1)
		return -1;
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

void
crp_outbox_item_clear(struct crp_outbox_item *it)
{
	if (it == NULL)
		return;
	free(it->notification_id);
	free(it->kind);
	free(it->body);
	free(it->transaction_id);
	free(it->challenge_id);
	free(it->device_id);
	free(it->user_id);
	free(it->thumbprint);
	free(it->serial_number);
	memset(it, 0, sizeof(*it));
}

void
crp_outbox_items_free(struct crp_outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crp_outbox_item_clear(&items[i]);
	free(items);
}
