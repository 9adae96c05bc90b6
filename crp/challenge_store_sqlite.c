/* The challenge store in SQLite (crpd's state.db, table challenges). */
#include "challenge_store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "storage.h"

struct crp_store_sqlite {
	struct crp_store	 base;
	struct ndes_db		*db;
};

#define CRP_COLUMNS "challenge_id, challenge_hash, pubkey_hash, transaction_id, device_id," \
	" user_id, template_name, csr, state, verified_at, expires_at, issued_at," \
	" issued_thumbprint, last_disposition"

static struct ndes_db *
store_db(struct crp_store *s)
{
	return ((struct crp_store_sqlite *)s)->db;
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
}

static int
store_insert(struct ndes_db *db, const struct crp_record *r)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "INSERT INTO challenges(" CRP_COLUMNS ")"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, 0, NULL, -1)");

	if (st == NULL || bind_text(st, 1, r->challenge_id) || bind_text(st, 2, r->challenge_hash) ||
	    bind_text(st, 3, r->pubkey_hash) || bind_text(st, 4, r->transaction_id) ||
	    bind_text(st, 5, r->device_id) || bind_text(st, 6, r->user_id) ||
	    bind_text(st, 7, r->template_name) ||
	    sqlite3_bind_blob(st, 8, r->csr_der, (int)r->csr_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 9, r->verified_at) || sqlite3_bind_int64(st, 10, r->expires_at))
		return -1;
	return ndes_db_step(db, st) == 0 ? 0 : -1;
}

static int
store_update_retry(struct ndes_db *db, const struct crp_record *r)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "UPDATE challenges SET challenge_hash = ?2,"
	    " transaction_id = ?3, csr = ?4, verified_at = ?5, template_name = ?6"
	    " WHERE challenge_id = ?1");

	if (st == NULL || bind_text(st, 1, r->challenge_id) || bind_text(st, 2, r->challenge_hash) ||
	    bind_text(st, 3, r->transaction_id) ||
	    sqlite3_bind_blob(st, 4, r->csr_der, (int)r->csr_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, r->verified_at) || bind_text(st, 6, r->template_name))
		return -1;
	return ndes_db_step(db, st) == 0 ? 0 : -1;
}

static int
sqlite_record_verification(struct crp_store *s, const struct crp_record *r,
    enum crp_store_outcome *out)
{
	struct ndes_db *db = store_db(s);
	sqlite3_stmt *st = ndes_db_prepare(db,
	    "SELECT state, pubkey_hash FROM challenges WHERE challenge_id = ?1");
	int rc, state;
	bool same_key;

	if (st == NULL || bind_text(st, 1, r->challenge_id) != SQLITE_OK)
		return -1;
	if ((rc = ndes_db_step(db, st)) == -1)
		return -1;
	if (rc == 0) {
		*out = CRP_STORE_NEW;
		return store_insert(db, r);
	}
	state = sqlite3_column_int(st, 0);
	same_key = strcmp((const char *)sqlite3_column_text(st, 1), r->pubkey_hash) == 0;
	sqlite3_reset(st);
	if (state == CRP_RECORD_ISSUED) {
		*out = CRP_STORE_REPLAY_ISSUED;
		return 0;
	}
	if (!same_key) {
		*out = CRP_STORE_REPLAY_OTHER_KEY;
		return 0;
	}
	*out = CRP_STORE_SAME_KEY_RETRY;
	return store_update_retry(db, r);
}

static int
sqlite_changed(struct ndes_db *db, sqlite3_stmt *st)
{
	if (ndes_db_step(db, st) != 0)
		return -1;
	return sqlite3_changes(ndes_db_handle(db)) > 0 ? 1 : 0;
}

static int
sqlite_mark_issued(struct crp_store *s, const char *challenge_id, int64_t issued_at,
    const char *thumbprint)
{
	struct ndes_db *db = store_db(s);
	sqlite3_stmt *st = ndes_db_prepare(db, "UPDATE challenges SET state = 2,"
	    " issued_at = ?2, issued_thumbprint = ?3 WHERE challenge_id = ?1");

	if (st == NULL || bind_text(st, 1, challenge_id) || sqlite3_bind_int64(st, 2, issued_at) ||
	    bind_text(st, 3, thumbprint))
		return -1;
	return sqlite_changed(db, st);
}

static int
sqlite_set_disposition(struct crp_store *s, const char *challenge_id, int64_t disposition)
{
	struct ndes_db *db = store_db(s);
	sqlite3_stmt *st = ndes_db_prepare(db,
	    "UPDATE challenges SET last_disposition = ?2 WHERE challenge_id = ?1");

	if (st == NULL || bind_text(st, 1, challenge_id) ||
	    sqlite3_bind_int64(st, 2, disposition))
		return -1;
	return sqlite_changed(db, st);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? strdup((const char *)t) : NULL;
}

static int
store_read_row(sqlite3_stmt *st, struct crp_record *r)
{
	const void *csr = sqlite3_column_blob(st, 7);

	memset(r, 0, sizeof(*r));
	r->challenge_id = column_dup(st, 0);
	r->challenge_hash = column_dup(st, 1);
	r->pubkey_hash = column_dup(st, 2);
	r->transaction_id = column_dup(st, 3);
	r->device_id = column_dup(st, 4);
	r->user_id = column_dup(st, 5);
	r->template_name = column_dup(st, 6);
	r->csr_len = (size_t)sqlite3_column_bytes(st, 7);
	if ((r->csr_der = malloc(r->csr_len + 1)) != NULL && csr != NULL)
		memcpy(r->csr_der, csr, r->csr_len);
	r->state = (enum crp_record_state)sqlite3_column_int(st, 8);
	r->verified_at = sqlite3_column_int64(st, 9);
	r->expires_at = sqlite3_column_int64(st, 10);
	r->issued_at = sqlite3_column_int64(st, 11);
	r->issued_thumbprint = column_dup(st, 12);
	r->last_disposition = sqlite3_column_int64(st, 13);
	if (r->challenge_id == NULL || r->transaction_id == NULL || r->csr_der == NULL) {
		crp_record_clear(r);
		return -1;
	}
	return 0;
}

static const char *
lookup_sql(enum crp_lookup_by by)
{
	switch (by) {
	case CRP_LOOKUP_CHALLENGE_HASH:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE challenge_hash = ?1"
		    " ORDER BY state, verified_at DESC LIMIT 1";
	case CRP_LOOKUP_PUBKEY_HASH:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE pubkey_hash = ?1"
		    " ORDER BY state, verified_at DESC LIMIT 1";
	case CRP_LOOKUP_TRANSACTION_ID:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE transaction_id = ?1"
		    " ORDER BY state, verified_at DESC LIMIT 1";
	}
	return NULL;
}

static int
sqlite_lookup(struct crp_store *s, enum crp_lookup_by by, const char *value,
    struct crp_record *out)
{
	struct ndes_db *db = store_db(s);
	const char *sql = lookup_sql(by);
	sqlite3_stmt *st;
	int rc;

	if (sql == NULL || (st = ndes_db_prepare(db, sql)) == NULL ||
	    bind_text(st, 1, value) != SQLITE_OK)
		return -1;
	if ((rc = ndes_db_step(db, st)) != 1)
		return rc;
	rc = store_read_row(st, out) == 0 ? 1 : -1;
	sqlite3_reset(st);
	return rc;
}

static int
sqlite_purge_expired(struct crp_store *s, int64_t before, int64_t *purged)
{
	struct ndes_db *db = store_db(s);
	sqlite3_stmt *st = ndes_db_prepare(db, "DELETE FROM challenges WHERE expires_at < ?1");

	*purged = 0;
	if (st == NULL || sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    ndes_db_step(db, st) != 0)
		return -1;
	*purged = sqlite3_changes(ndes_db_handle(db));
	return 0;
}

static void
sqlite_free(struct crp_store *s)
{
	free(s);
}

static const struct crp_store_ops sqlite_ops = {
	.record_verification = sqlite_record_verification,
	.mark_issued = sqlite_mark_issued,
	.set_disposition = sqlite_set_disposition,
	.lookup = sqlite_lookup,
	.purge_expired = sqlite_purge_expired,
	.free = sqlite_free,
};

struct crp_store *
crp_store_sqlite_new(struct ndes_db *db)
{
	struct crp_store_sqlite *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base.ops = &sqlite_ops;
	s->db = db;
	return &s->base;
}

void
crp_record_clear(struct crp_record *r)
{
	if (r == NULL)
		return;
	free(r->challenge_id);
	free(r->challenge_hash);
	free(r->pubkey_hash);
	free(r->transaction_id);
	free(r->device_id);
	free(r->user_id);
	free(r->template_name);
	free(r->csr_der);
	free(r->issued_thumbprint);
	memset(r, 0, sizeof(*r));
}

const char *
crp_store_outcome_name(enum crp_store_outcome o)
{
	switch (o) {
	case CRP_STORE_NEW:
		return "new";
	case CRP_STORE_SAME_KEY_RETRY:
		return "same-key retry";
	case CRP_STORE_REPLAY_OTHER_KEY:
		return "replay with another key";
	case CRP_STORE_REPLAY_ISSUED:
		return "replay after issuance";
	}
	return "?";
}
