/* The revocation and PKCS queues (store.h).
 *
 * A request is "pending" until a final result arrives.  A download leases
 * it to the connector that asked (leased_until = now + lease, connector_id
 * = that connector): it is not handed out again until the lease ran out
 * without a result, and then to whichever connector asks next.  A result
 * counts only from the leaseholder, the connector the request was last
 * handed to: also after its lease ran out, as long as no other connector
 * took the request since.  From any other connector it is answered
 * "notLeaseholder" and not recorded.  A retryable error makes it pending
 * and unleased again; success or any other error is final, and results for
 * a request that already has a final one are acknowledged as duplicates
 * (from any connector). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

const char *
cloudsim_result_name(enum cloudsim_result r)
{
	switch (r) {
	case CLOUDSIM_RESULT_RECORDED:
		return "recorded";
	case CLOUDSIM_RESULT_REQUEUED:
		return "requeued";
	case CLOUDSIM_RESULT_DUPLICATE:
		return "duplicate";
	case CLOUDSIM_RESULT_UNKNOWN:
		return "unknown";
	case CLOUDSIM_RESULT_NOT_LEASEHOLDER:
		return "notLeaseholder";
	default:
		return "error";
	}
}

bool
cloudsim_error_retryable(int64_t code)
{
	return code >= 4100 && code <= 4103;
}

/* Lease the rows whose seq is in seqs[0..n); inside the caller's transaction. */
static int
queue_lease_rows(struct cloudsim_store *st, const char *table, const int64_t *seqs, size_t n,
    int64_t until, const char *connector_id)
{
	char sql[256];
	sqlite3_stmt *stmt;

	snprintf(sql, sizeof(sql), "UPDATE %s SET leased_until = ?2, deliveries = deliveries + 1, "
	    "connector_id = ?3 WHERE seq = ?1", table);
	for (size_t i = 0; i < n; i++) {
		if ((stmt = ndes_db_prepare(st->db, sql)) == NULL ||
		    sqlite3_bind_int64(stmt, 1, seqs[i]) != SQLITE_OK ||
		    sqlite3_bind_int64(stmt, 2, until) != SQLITE_OK ||
		    cloudsim_bind_text(stmt, 3, connector_id) != 0 ||
		    cloudsim_store_run(st, stmt) != 0)
			return -1;
	}
	return 0;
}

static json_t *
revocation_item(sqlite3_stmt *stmt)
{
	const char *ca_conf = (const char *)sqlite3_column_text(stmt, 4);

	return json_pack("{s:s, s:s, s:s, s:o}",
	    "requestContext", (const char *)sqlite3_column_text(stmt, 1),
	    "serialNumber", (const char *)sqlite3_column_text(stmt, 2),
	    "issuerName", (const char *)sqlite3_column_text(stmt, 3),
	    "caConfiguration", ca_conf ? json_string(ca_conf) : json_null());
}

static json_t *
pkcs_item(sqlite3_stmt *stmt)
{
	return json_loads((const char *)sqlite3_column_text(stmt, 1), 0, NULL);
}

/* SELECT seq, ... rows into items, then lease them; one transaction. */
static json_t *
queue_lease(struct cloudsim_store *st, sqlite3_stmt *stmt, const char *table,
    json_t *(*item)(sqlite3_stmt *), int max, int64_t until, const char *connector_id)
{
	json_t *items = json_array(), *it;
	int64_t *seqs = calloc((size_t)max, sizeof(*seqs));
	size_t n = 0;
	int rc = -1;

	while (items != NULL && seqs != NULL && n < (size_t)max &&
	    (rc = ndes_db_step(st->db, stmt)) == 1) {
		if ((it = item(stmt)) == NULL)
			continue;
		seqs[n++] = sqlite3_column_int64(stmt, 0);
		json_array_append_new(items, it);
	}
	sqlite3_reset(stmt);
	if (items == NULL || seqs == NULL || rc == -1 ||
	    queue_lease_rows(st, table, seqs, n, until, connector_id) != 0 ||
	    cloudsim_store_commit(st) != 0) {
		cloudsim_store_rollback(st);
		json_decref(items);
		items = NULL;
	}
	free(seqs);
	return items;
}

json_t *
cloudsim_store_revocation_lease(struct cloudsim_store *st, const char *issuer_name, int max,
    int64_t now, int64_t lease_s, const char *connector_id)
{
	sqlite3_stmt *stmt;

	if (max <= 0 || cloudsim_store_begin(st) != 0)
		return NULL;
	stmt = ndes_db_prepare(st->db,
	    "SELECT seq, request_context, serial_number, issuer_name, ca_configuration "
	    "FROM revocations WHERE status = 'pending' "
	    "AND (leased_until IS NULL OR leased_until <= ?1) "
	    "AND (?2 IS NULL OR issuer_name = ?2 COLLATE NOCASE) ORDER BY seq LIMIT ?3");
	if (stmt == NULL || sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 2, issuer_name) != 0 ||
	    sqlite3_bind_int(stmt, 3, max) != SQLITE_OK) {
		cloudsim_store_rollback(st);
		return NULL;
	}
	return queue_lease(st, stmt, "revocations", revocation_item, max, now + lease_s,
	    connector_id);
}

json_t *
cloudsim_store_pkcs_lease(struct cloudsim_store *st, int max, int64_t now, int64_t lease_s,
    const char *connector_id)
{
	sqlite3_stmt *stmt;

	if (max <= 0 || cloudsim_store_begin(st) != 0)
		return NULL;
	stmt = ndes_db_prepare(st->db,
	    "SELECT seq, request FROM pkcs_requests WHERE status = 'pending' "
	    "AND (leased_until IS NULL OR leased_until <= ?1) ORDER BY seq LIMIT ?2");
	if (stmt == NULL || sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 2, max) != SQLITE_OK) {
		cloudsim_store_rollback(st);
		return NULL;
	}
	return queue_lease(st, stmt, "pkcs_requests", pkcs_item, max, now + lease_s,
	    connector_id);
}

/* Where one request stands for the connector that sends its result. */
enum queue_state {
	QUEUE_ERROR = -1,
	QUEUE_UNKNOWN,          /* no such request */
	QUEUE_HELD,             /* pending, and this connector holds its lease */
	QUEUE_FINAL,            /* it has its final result */
	QUEUE_NOT_HELD,         /* pending, never handed out or last handed to another */
};

/* sql selects status and connector_id of request ?1. */
static enum queue_state
queue_state(struct cloudsim_store *st, const char *sql, const char *id,
    const char *connector_id)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db, sql);
	const char *holder;
	enum queue_state qs;
	int rc;

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0)
		return QUEUE_ERROR;
	if ((rc = ndes_db_step(st->db, stmt)) != 1)
		return rc == 0 ? QUEUE_UNKNOWN : QUEUE_ERROR;
	holder = (const char *)sqlite3_column_text(stmt, 1);
	if (strcmp((const char *)sqlite3_column_text(stmt, 0), "pending") != 0)
		qs = QUEUE_FINAL;
	else if (holder != NULL && connector_id != NULL && strcmp(holder, connector_id) == 0)
		qs = QUEUE_HELD;
	else
		qs = QUEUE_NOT_HELD;
	sqlite3_reset(stmt);
	return qs;
}

static enum cloudsim_result
queue_result_kind(enum queue_state state, const struct cloudsim_queue_result *r,
    const char **status, const char *done)
{
	switch (state) {
	case QUEUE_HELD:
		break;
	case QUEUE_UNKNOWN:
		return CLOUDSIM_RESULT_UNKNOWN;
	case QUEUE_FINAL:
		return CLOUDSIM_RESULT_DUPLICATE;
	case QUEUE_NOT_HELD:
		return CLOUDSIM_RESULT_NOT_LEASEHOLDER;
	default:
		return CLOUDSIM_RESULT_ERROR;
	}
	if (r->succeeded) {
		*status = done;
		return CLOUDSIM_RESULT_RECORDED;
	}
	if (cloudsim_error_retryable(r->error_code)) {
		*status = "pending";
		return CLOUDSIM_RESULT_REQUEUED;
	}
	*status = "failed";
	return CLOUDSIM_RESULT_RECORDED;
}

/* Binds ?1 id, ?2 status, ?3 error code, ?4 message, ?5 now, ?6 connector. */
static int
queue_bind_result(sqlite3_stmt *stmt, const struct cloudsim_queue_result *r, const char *status,
    const char *connector_id, int64_t now)
{
	if (stmt == NULL || cloudsim_bind_text(stmt, 1, r->id) != 0 ||
	    cloudsim_bind_text(stmt, 2, status) != 0 ||
	    sqlite3_bind_int64(stmt, 3, r->error_code) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 4, r->error_message) != 0 ||
	    sqlite3_bind_int64(stmt, 5, now) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 6, connector_id) != 0)
		return -1;
	return 0;
}

enum cloudsim_result
cloudsim_store_revocation_result(struct cloudsim_store *st,
    const struct cloudsim_queue_result *r, const char *connector_id, int64_t now)
{
	const char *status = NULL;
	enum cloudsim_result kind = queue_result_kind(queue_state(st,
	    "SELECT status, connector_id FROM revocations WHERE request_context = ?1", r->id,
	    connector_id), r, &status, "revoked");
	sqlite3_stmt *stmt;

	if (status == NULL)
		return kind;
	stmt = ndes_db_prepare(st->db,
	    "UPDATE revocations SET status = ?2, error_code = ?3, error_message = ?4, "
	    "result_at = ?5, connector_id = ?6, attempts = attempts + 1, leased_until = NULL "
	    "WHERE request_context = ?1");
	if (queue_bind_result(stmt, r, status, connector_id, now) != 0 ||
	    cloudsim_store_run(st, stmt) != 0)
		return CLOUDSIM_RESULT_ERROR;
	return kind;
}

enum cloudsim_result
cloudsim_store_pkcs_result(struct cloudsim_store *st, const struct cloudsim_queue_result *r,
    const char *connector_id, int64_t now)
{
	const char *status = NULL;
	enum cloudsim_result kind = queue_result_kind(queue_state(st,
	    "SELECT status, connector_id FROM pkcs_requests WHERE request_id = ?1", r->id,
	    connector_id), r, &status, "issued");
	sqlite3_stmt *stmt;

	if (status == NULL)
		return kind;
	stmt = ndes_db_prepare(st->db,
	    "UPDATE pkcs_requests SET status = ?2, error_code = ?3, error_message = ?4, "
	    "result_at = ?5, connector_id = ?6, attempts = attempts + 1, leased_until = NULL, "
	    "envelope = ?7, thumbprint = ?8, serial_number = ?9, expiration = ?10 "
	    "WHERE request_id = ?1");
	if (queue_bind_result(stmt, r, status, connector_id, now) != 0 ||
	    (r->envelope ? sqlite3_bind_blob(stmt, 7, r->envelope, (int)r->envelope_len,
	    SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, 7)) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 8, r->thumbprint) != 0 ||
	    cloudsim_bind_text(stmt, 9, r->serial) != 0 ||
	    cloudsim_bind_text(stmt, 10, r->expiration) != 0 ||
	    cloudsim_store_run(st, stmt) != 0)
		return CLOUDSIM_RESULT_ERROR;
	return kind;
}
