/* Registration tokens and connectors (store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "store_int.h"

/* A connector whose client certificate expired can do nothing any more: it
 * is not counted, and its CRP certificate is no recipient. */
#define STORE_UNEXPIRED "client_not_after > CAST(strftime('%s', 'now') AS INTEGER)"

int
cloudsim_store_token_add(struct cloudsim_store *st, const char *hash, int64_t now,
    int64_t expires_at)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO tokens(hash, created_at, expires_at) VALUES(?1, ?2, ?3)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, hash) != 0 ||
	    sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, expires_at) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

enum cloudsim_token_state
cloudsim_store_token_state(struct cloudsim_store *st, const char *hash, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT used_at IS NOT NULL, expires_at FROM tokens WHERE hash = ?1");
	enum cloudsim_token_state state;
	int rc;

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, hash) != 0)
		return CLOUDSIM_TOKEN_ERROR;
	if ((rc = ndes_db_step(st->db, stmt)) != 1)
		return rc == 0 ? CLOUDSIM_TOKEN_UNKNOWN : CLOUDSIM_TOKEN_ERROR;
	if (sqlite3_column_int(stmt, 0))
		state = CLOUDSIM_TOKEN_USED;
	else if (sqlite3_column_int64(stmt, 1) <= now)
		state = CLOUDSIM_TOKEN_EXPIRED;
	else
		state = CLOUDSIM_TOKEN_OK;
	sqlite3_reset(stmt);
	return state;
}

int
cloudsim_store_token_use(struct cloudsim_store *st, const char *hash,
    const char *connector_id, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "UPDATE tokens SET used_at = ?2, connector_id = ?3 WHERE hash = ?1");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, hash) != 0 ||
	    sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 3, connector_id) != 0)
		return -1;
	return cloudsim_store_run(st, stmt);
}

static int
store_client_cert_add(struct cloudsim_store *st, const char *id,
    const struct cloudsim_conn_certs *c, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO client_certs(thumbprint, connector_id, serial, issued_at) "
	    "VALUES(?1, ?2, ?3, ?4)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, c->client_thumbprint) != 0 ||
	    cloudsim_bind_text(stmt, 2, id) != 0 ||
	    cloudsim_bind_text(stmt, 3, c->client_serial) != 0 ||
	    sqlite3_bind_int64(stmt, 4, now) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

int
cloudsim_store_connector_add(struct cloudsim_store *st, const char *id, const char *name,
    const struct cloudsim_conn_certs *c, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO connectors(id, name, status, client_thumbprint, client_serial, "
	    "client_not_after, crp_cert, crp_thumbprint, created_at) "
	    "VALUES(?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7, ?8)");

	cloudsim_store_recipients_forget(st);
	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0 ||
	    cloudsim_bind_text(stmt, 2, name) != 0 ||
	    cloudsim_bind_text(stmt, 3, c->client_thumbprint) != 0 ||
	    cloudsim_bind_text(stmt, 4, c->client_serial) != 0 ||
	    sqlite3_bind_int64(stmt, 5, c->client_not_after) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 6, c->crp_der, (int)c->crp_len,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 7, c->crp_thumbprint) != 0 ||
	    sqlite3_bind_int64(stmt, 8, now) != SQLITE_OK ||
	    cloudsim_store_run(st, stmt) != 0)
		return -1;
	return store_client_cert_add(st, id, c, now);
}

static int
store_crp_replace(struct cloudsim_store *st, const char *id, const struct cloudsim_conn_certs *c)
{
	sqlite3_stmt *stmt;

	if (c->crp_der == NULL)
		return 0;
	stmt = ndes_db_prepare(st->db,
	    "UPDATE connectors SET crp_cert = ?2, crp_thumbprint = ?3 WHERE id = ?1");
	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0 ||
	    sqlite3_bind_blob(stmt, 2, c->crp_der, (int)c->crp_len,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 3, c->crp_thumbprint) != 0)
		return -1;
	return cloudsim_store_run(st, stmt);
}

int
cloudsim_store_connector_renew(struct cloudsim_store *st, const char *id,
    const struct cloudsim_conn_certs *c, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "UPDATE connectors SET client_thumbprint = ?2, client_serial = ?3, "
	    "client_not_after = ?4, renewed_at = ?5 WHERE id = ?1");

	cloudsim_store_recipients_forget(st);

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0 ||
	    cloudsim_bind_text(stmt, 2, c->client_thumbprint) != 0 ||
	    cloudsim_bind_text(stmt, 3, c->client_serial) != 0 ||
	    sqlite3_bind_int64(stmt, 4, c->client_not_after) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 5, now) != SQLITE_OK ||
	    cloudsim_store_run(st, stmt) != 0 || store_crp_replace(st, id, c) != 0)
		return -1;
	return store_client_cert_add(st, id, c, now);
}

int
cloudsim_store_connector_unregister(struct cloudsim_store *st, const char *id, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "UPDATE connectors SET status = 'unregistered', unregistered_at = ?2 WHERE id = ?1");

	cloudsim_store_recipients_forget(st);

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0 ||
	    sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

int
cloudsim_store_connector_active_count(struct cloudsim_store *st, int64_t *n)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT count(*) FROM connectors WHERE status = 'active' AND " STORE_UNEXPIRED);

	if (stmt == NULL || ndes_db_step(st->db, stmt) != 1)
		return -1;
	*n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

enum cloudsim_auth
cloudsim_store_connector_auth(struct cloudsim_store *st, const char *thumbprint,
    char *id, size_t idlen)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT c.id, c.status = 'active', c.client_thumbprint = k.thumbprint "
	    "FROM client_certs k JOIN connectors c ON c.id = k.connector_id "
	    "WHERE k.thumbprint = ?1");
	enum cloudsim_auth auth;
	int rc;

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, thumbprint) != 0)
		return CLOUDSIM_AUTH_ERROR;
	if ((rc = ndes_db_step(st->db, stmt)) != 1)
		return rc == 0 ? CLOUDSIM_AUTH_UNKNOWN : CLOUDSIM_AUTH_ERROR;
	snprintf(id, idlen, "%s", (const char *)sqlite3_column_text(stmt, 0));
	if (!sqlite3_column_int(stmt, 1))
		auth = CLOUDSIM_AUTH_UNREGISTERED;
	else if (!sqlite3_column_int(stmt, 2))
		auth = CLOUDSIM_AUTH_SUPERSEDED;
	else
		auth = CLOUDSIM_AUTH_OK;
	sqlite3_reset(stmt);
	return auth;
}

int
cloudsim_store_connector_crp(struct cloudsim_store *st, const char *id, uint8_t **der,
    size_t *len)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT crp_cert FROM connectors WHERE id = ?1");
	int n;

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, id) != 0 ||
	    ndes_db_step(st->db, stmt) != 1)
		return -1;
	n = sqlite3_column_bytes(stmt, 0);
	if ((*der = malloc((size_t)n + 1)) != NULL)
		memcpy(*der, sqlite3_column_blob(stmt, 0), (size_t)n);
	*len = (size_t)n;
	sqlite3_reset(stmt);
	return *der ? 0 : -1;
}

json_t *
cloudsim_store_list_connectors(struct cloudsim_store *st)
{
	return cloudsim_store_rows(st,
	    "SELECT id AS connectorId, name, CASE WHEN status = 'active' AND NOT "
	    STORE_UNEXPIRED " THEN 'expired' ELSE status END AS status, "
	    "client_thumbprint AS clientThumbprint, "
	    "client_serial AS clientSerialNumber, client_not_after AS clientExpiresAt, "
	    "crp_thumbprint AS crpThumbprint, created_at AS createdAt, "
	    "renewed_at AS renewedAt, unregistered_at AS unregisteredAt "
	    "FROM connectors ORDER BY seq");
}
