/* Challenges minted and notifications received (store.h). */
#include <stdio.h>

#include "store_int.h"

int
cloudsim_store_challenge_add(struct cloudsim_store *st, const struct cloudsim_challenge_rec *r)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO challenges(id, device_id, profile, user_id, subject, issued_at, "
	    "expires_at, recipients) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, r->id) != 0 ||
	    cloudsim_bind_text(stmt, 2, r->device_id) != 0 ||
	    cloudsim_bind_text(stmt, 3, r->profile) != 0 ||
	    cloudsim_bind_text(stmt, 4, r->user_id) != 0 ||
	    cloudsim_bind_text(stmt, 5, r->subject) != 0 ||
	    sqlite3_bind_int64(stmt, 6, r->issued_at) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 7, r->expires_at) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 8, r->recipients) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

json_t *
cloudsim_store_list_challenges(struct cloudsim_store *st)
{
	return cloudsim_store_rows(st,
	    "SELECT id AS challengeId, device_id AS deviceId, profile, user_id AS userId, subject, "
	    "issued_at AS issuedAt, expires_at AS expiresAt, recipients "
	    "FROM challenges ORDER BY seq");
}

int
cloudsim_store_notification_add(struct cloudsim_store *st, const char *kind,
    const char *transaction_id, const char *connector_id, const char *client_request_id,
    const char *body, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT OR IGNORE INTO notifications(kind, transaction_id, connector_id, "
	    "client_request_id, received_at, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, kind) != 0 ||
	    cloudsim_bind_text(stmt, 2, transaction_id) != 0 ||
	    cloudsim_bind_text(stmt, 3, connector_id) != 0 ||
	    cloudsim_bind_text(stmt, 4, client_request_id) != 0 ||
	    sqlite3_bind_int64(stmt, 5, now) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 6, body) != 0 ||
	    cloudsim_store_run(st, stmt) != 0)
		return -1;
	return sqlite3_changes(ndes_db_handle(st->db)) > 0 ? 1 : 0;
}

/* Each row's member holding JSON text becomes that JSON value (fallback, a
 * new reference taken over, when it does not parse). */
static json_t *
rows_json_member(json_t *rows, const char *member, json_t *fallback)
{
	json_t *row, *value;
	size_t i;

	json_array_foreach(rows, i, row) {
		value = json_loads(json_string_value(json_object_get(row, member)), 0, NULL);
		json_object_set_new(row, member, value ? value : json_deep_copy(fallback));
	}
	json_decref(fallback);
	return rows;
}

/* Each issued SCEP certificate the cloud heard of with its conformance result
 * (docs/cloud-sim.md, "Profile states"): the challenge's device, profile and
 * user, the certificate, its state and differences, and its revocation. */
json_t *
cloudsim_store_list_profile_states(struct cloudsim_store *st)
{
	json_t *rows = cloudsim_store_rows(st,
	    "SELECT c.device_id AS deviceId, c.profile, c.user_id AS userId, "
	    "c.id AS challengeId, json_extract(n.body, '$.certificateThumbprint') AS thumbprint, "
	    "json_extract(n.body, '$.certificateSerialNumber') AS serialNumber, "
	    "CASE WHEN json_extract(n.body, '$.ndesConformance.conforms') THEN 'conforming' "
	    "WHEN json_extract(n.body, '$.ndesConformance.checked') THEN 'differs' "
	    "ELSE 'not checked' END AS state, "
	    "json_extract(n.body, '$.ndesConformance.differences') AS differences, "
	    "(SELECT r.status FROM revocations r WHERE ltrim(upper(r.serial_number), '0') = "
	    "ltrim(upper(json_extract(n.body, '$.certificateSerialNumber')), '0') "
	    "ORDER BY r.seq DESC LIMIT 1) AS revocation, "
	    "(SELECT d.state FROM device_reports d WHERE d.thumbprint = "
	    "upper(json_extract(n.body, '$.certificateThumbprint')) "
	    "ORDER BY d.seq DESC LIMIT 1) AS deviceState "
	    "FROM notifications n JOIN challenges c "
	    "ON c.id = json_extract(n.body, '$.ndesConformance.challengeId') "
	    "WHERE n.kind = 'success' ORDER BY n.seq");

	return rows_json_member(rows, "differences", json_array());
}

json_t *
cloudsim_store_list_notifications(struct cloudsim_store *st)
{
	json_t *rows = cloudsim_store_rows(st,
	    "SELECT kind, transaction_id AS transactionId, connector_id AS connectorId, "
	    "client_request_id AS clientRequestId, received_at AS receivedAt, body "
	    "FROM notifications ORDER BY seq");

	/* The body as the JSON object it was, not as text. */
	return rows_json_member(rows, "body", json_null());
}
