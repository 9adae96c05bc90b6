/* Queueing revocation and PKCS requests, and listing them (store.h). */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* claimed_by NULL: queued for download; else leased to that connector for
 * good (it carries the revocation out by itself). */
static int
revocation_insert(struct cloudsim_store *st, const char *request_context, const char *serial,
    const char *issuer_name, const char *ca_configuration, const char *claimed_by,
    int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO revocations(request_context, serial_number, issuer_name, "
	    "ca_configuration, status, created_at, leased_until, connector_id) "
	    "VALUES(?1, ?2, ?3, ?4, 'pending', ?5, CASE WHEN ?6 IS NULL THEN NULL "
	    "ELSE 9223372036854775807 END, ?6)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, request_context) != 0 ||
	    cloudsim_bind_text(stmt, 2, serial) != 0 ||
	    cloudsim_bind_text(stmt, 3, issuer_name) != 0 ||
	    cloudsim_bind_text(stmt, 4, ca_configuration) != 0 ||
	    sqlite3_bind_int64(stmt, 5, now) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 6, claimed_by) != 0)
		return -1;
	return cloudsim_store_run(st, stmt);
}

int
cloudsim_store_revocation_add(struct cloudsim_store *st, const char *request_context,
    const char *serial, const char *issuer_name, const char *ca_configuration, int64_t now)
{
	return revocation_insert(st, request_context, serial, issuer_name, ca_configuration,
	    NULL, now);
}

int
cloudsim_store_revocation_claimed(struct cloudsim_store *st, const char *request_context,
    const char *serial, const char *issuer_name, const char *connector_id, int64_t now)
{
	return revocation_insert(st, request_context, serial, issuer_name, NULL, connector_id,
	    now);
}

json_t *
cloudsim_store_list_revocations(struct cloudsim_store *st)
{
	return cloudsim_store_rows(st,
	    "SELECT request_context AS requestContext, serial_number AS serialNumber, "
	    "issuer_name AS issuerName, ca_configuration AS caConfiguration, status, "
	    "created_at AS createdAt, leased_until AS leasedUntilAt, deliveries, attempts, "
	    "error_code AS errorCode, error_message AS errorMessage, result_at AS resultAt, "
	    "connector_id AS connectorId FROM revocations ORDER BY seq");
}

int
cloudsim_store_pkcs_add(struct cloudsim_store *st, const char *request_id,
    const char *device_id, const char *user_id, const char *profile, const char *request,
    int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO pkcs_requests(request_id, device_id, user_id, profile, request, "
	    "status, created_at) VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, request_id) != 0 ||
	    cloudsim_bind_text(stmt, 2, device_id) != 0 ||
	    cloudsim_bind_text(stmt, 3, user_id) != 0 ||
	    cloudsim_bind_text(stmt, 4, profile) != 0 ||
	    cloudsim_bind_text(stmt, 5, request) != 0 ||
	    sqlite3_bind_int64(stmt, 6, now) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

json_t *
cloudsim_store_list_pkcs(struct cloudsim_store *st)
{
	return cloudsim_store_rows(st,
	    "SELECT request_id AS requestId, device_id AS deviceId, user_id AS userId, "
	    "profile, status, created_at AS createdAt, leased_until AS leasedUntilAt, "
	    "deliveries, attempts, envelope AS envelopeBytes, thumbprint AS certificateThumbprint, "
	    "serial_number AS certificateSerialNumber, "
	    "expiration AS certificateExpirationDateUtc, error_code AS errorCode, "
	    "error_message AS errorMessage, result_at AS resultAt, connector_id AS connectorId "
	    "FROM pkcs_requests ORDER BY seq");
}

int
cloudsim_store_pkcs_envelope(struct cloudsim_store *st, const char *request_id,
    uint8_t **der, size_t *len, char **device_id)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT envelope, device_id FROM pkcs_requests WHERE request_id = ?1 "
	    "AND envelope IS NOT NULL");
	int rc, n;

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, request_id) != 0)
		return -1;
	if ((rc = ndes_db_step(st->db, stmt)) != 1)
		return rc;
	n = sqlite3_column_bytes(stmt, 0);
	*der = malloc((size_t)n + 1);
	*device_id = strdup((const char *)sqlite3_column_text(stmt, 1));
	if (*der != NULL)
		memcpy(*der, sqlite3_column_blob(stmt, 0), (size_t)n);
	*len = (size_t)n;
	sqlite3_reset(stmt);
	if (*der == NULL || *device_id == NULL) {
		free(*der);
		free(*device_id);
		*der = NULL;
		*device_id = NULL;
		return -1;
	}
	return 1;
}
