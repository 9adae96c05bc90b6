/* The challenge store in SQLite (crpd's state.db, table challenges). */
#include "challenge_store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crp_db.h"
#include "events.h"
#include "log.h"
#include "storage.h"

struct crp_store_sqlite {
	struct crp_store	 base;
	struct ndes_db		*db;
};

#define CRP_COLUMNS "challenge_id, pubkey_hash, transaction_id, device_id," \
	" user_id, template_name, csr, state, verified_at, expires_at, issued_at," \
	" issued_thumbprint, last_disposition"

static struct ndes_db *
store_db(struct crp_store *s)
{
	return ((struct crp_store_sqlite *)s)->db;
}

/* The first 64 bits of a SHA-256 given in hex: the indexed key. */
static int64_t
key_of_hex(const char *hex)
{
	uint64_t k = 0;

	for (int i = 0; i < 16 && hex[i] != '\0'; i++) {
		char c = hex[i];
		unsigned int v = c >= '0' && c <= '9' ? (unsigned int)(c - '0') :
		    c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) :
		    c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10) : 0;

		k = k << 4 | v;
	}
	return (int64_t)k;
}

/* The first 64 bits of SHA-256(s). */
static int64_t
key_of_text(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t k = 0;

	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1)
		return 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | md[i];
	return (int64_t)k;
}

static int
store_insert(struct ndes_db *db, const struct crp_record *r)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "INSERT INTO challenges(challenge_id,"
	    " pubkey_key, pubkey_hash, transaction_key, transaction_id, device_id, user_id,"
	    " template_name, csr, state, verified_at, expires_at)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11)");

	if (st == NULL || ndes_db_bind_str(st, 1, r->challenge_id) ||
	    sqlite3_bind_int64(st, 2, key_of_hex(r->pubkey_hash)) ||
	    ndes_db_bind_str(st, 3, r->pubkey_hash) ||
	    sqlite3_bind_int64(st, 4, key_of_text(r->transaction_id)) ||
	    ndes_db_bind_str(st, 5, r->transaction_id) || ndes_db_bind_str(st, 6, r->device_id) ||
	    ndes_db_bind_str(st, 7, r->user_id) || ndes_db_bind_str(st, 8, r->template_name) ||
	    sqlite3_bind_blob(st, 9, r->csr_der, (int)r->csr_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 10, r->verified_at) || sqlite3_bind_int64(st, 11, r->expires_at))
		return -1;
	return ndes_db_step(db, st) == 0 ? 0 : -1;
}

static int
store_update_retry(struct ndes_db *db, const struct crp_record *r)
{
	sqlite3_stmt *st = ndes_db_prepare(db, "UPDATE challenges SET transaction_key = ?2,"
	    " transaction_id = ?3, csr = ?4, verified_at = ?5, template_name = ?6"
	    " WHERE challenge_id = ?1");

	if (st == NULL || ndes_db_bind_str(st, 1, r->challenge_id) ||
	    sqlite3_bind_int64(st, 2, key_of_text(r->transaction_id)) ||
	    ndes_db_bind_str(st, 3, r->transaction_id) ||
	    sqlite3_bind_blob(st, 4, r->csr_der, (int)r->csr_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, r->verified_at) || ndes_db_bind_str(st, 6, r->template_name))
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

	if (st == NULL || ndes_db_bind_str(st, 1, r->challenge_id) != SQLITE_OK)
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

	if (st == NULL || ndes_db_bind_str(st, 1, challenge_id) ||
	    sqlite3_bind_int64(st, 2, issued_at) || ndes_db_bind_str(st, 3, thumbprint))
		return -1;
	return sqlite_changed(db, st);
}

static int
sqlite_set_disposition(struct crp_store *s, const char *challenge_id, int64_t disposition)
{
	struct ndes_db *db = store_db(s);
	sqlite3_stmt *st = ndes_db_prepare(db,
	    "UPDATE challenges SET last_disposition = ?2 WHERE challenge_id = ?1");

	if (st == NULL || ndes_db_bind_str(st, 1, challenge_id) ||
	    sqlite3_bind_int64(st, 2, disposition))
		return -1;
	return sqlite_changed(db, st);
}

static int
store_read_row(sqlite3_stmt *st, struct crp_record *r)
{
	const void *csr = sqlite3_column_blob(st, 6);

	memset(r, 0, sizeof(*r));
	r->challenge_id = ndes_db_column_dup(st, 0);
	r->pubkey_hash = ndes_db_column_dup(st, 1);
	r->transaction_id = ndes_db_column_dup(st, 2);
	r->device_id = ndes_db_column_dup(st, 3);
	r->user_id = ndes_db_column_dup(st, 4);
	r->template_name = ndes_db_column_dup(st, 5);
	r->csr_len = (size_t)sqlite3_column_bytes(st, 6);
	if ((r->csr_der = malloc(r->csr_len + 1)) != NULL && csr != NULL)
		memcpy(r->csr_der, csr, r->csr_len);
	r->state = (enum crp_record_state)sqlite3_column_int(st, 7);
	r->verified_at = sqlite3_column_int64(st, 8);
	r->expires_at = sqlite3_column_int64(st, 9);
	r->issued_at = sqlite3_column_int64(st, 10);
	r->issued_thumbprint = ndes_db_column_dup(st, 11);
	r->last_disposition = sqlite3_column_int64(st, 12);
	if (r->challenge_id == NULL || r->transaction_id == NULL || r->csr_der == NULL) {
		crp_record_clear(r);
		return -1;
	}
	return 0;
}

/* ?1 the key, ?2 the value. */
static const char *
lookup_sql(enum crp_lookup_by by)
{
	switch (by) {
	case CRP_LOOKUP_CHALLENGE_ID:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE challenge_id = ?2";
	case CRP_LOOKUP_PUBKEY_HASH:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE pubkey_key = ?1"
		    " AND pubkey_hash = ?2 ORDER BY state, verified_at DESC LIMIT 1";
	case CRP_LOOKUP_TRANSACTION_ID:
		return "SELECT " CRP_COLUMNS " FROM challenges WHERE transaction_key = ?1"
		    " AND transaction_id = ?2 ORDER BY state, verified_at DESC LIMIT 1";
	}
	return NULL;
}

static int64_t
lookup_key(enum crp_lookup_by by, const char *value)
{
	switch (by) {
	case CRP_LOOKUP_PUBKEY_HASH:
		return key_of_hex(value);
	case CRP_LOOKUP_TRANSACTION_ID:
		return key_of_text(value);
	default:
		return 0;
	}
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
	    sqlite3_bind_int64(st, 1, lookup_key(by, value)) != SQLITE_OK ||
	    ndes_db_bind_str(st, 2, value) != SQLITE_OK)
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

static const char *
sqlite_error(struct crp_store *s, uint32_t *code)
{
	*code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
	return crp_db_error(store_db(s));
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
	.error = sqlite_error,
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
