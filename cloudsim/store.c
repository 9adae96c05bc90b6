/* ndes-cloud-sim state: the database file, its schema, transactions and the
 * generic row lister (store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"
#include "store_int.h"

static const char *const store_migrations[] = {
	"CREATE TABLE tokens("
	"  hash TEXT PRIMARY KEY,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER,"
	"  connector_id TEXT);"
	"CREATE TABLE connectors("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  client_thumbprint TEXT NOT NULL,"
	"  client_serial TEXT NOT NULL,"
	"  client_not_after INTEGER NOT NULL,"
	"  crp_cert BLOB NOT NULL,"
	"  crp_thumbprint TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  renewed_at INTEGER,"
	"  unregistered_at INTEGER);"
	"CREATE TABLE client_certs("
	"  thumbprint TEXT PRIMARY KEY,"
	"  connector_id TEXT NOT NULL REFERENCES connectors(id),"
	"  serial TEXT NOT NULL,"
	"  issued_at INTEGER NOT NULL);"
	"CREATE TABLE challenges("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  device_id TEXT NOT NULL,"
	"  profile TEXT NOT NULL,"
	"  user_id TEXT,"
	"  subject TEXT NOT NULL,"
	"  issued_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  recipients INTEGER NOT NULL);"
	"CREATE TABLE notifications("
	"  seq INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  transaction_id TEXT NOT NULL,"
	"  connector_id TEXT NOT NULL,"
	"  client_request_id TEXT,"
	"  received_at INTEGER NOT NULL,"
	"  body TEXT NOT NULL,"
	"  UNIQUE(kind, transaction_id));"
	"CREATE TABLE revocations("
	"  seq INTEGER PRIMARY KEY,"
	"  request_context TEXT NOT NULL UNIQUE,"
	"  serial_number TEXT NOT NULL,"
	"  issuer_name TEXT NOT NULL,"
	"  ca_configuration TEXT,"
	"  status TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  leased_until INTEGER,"
	"  deliveries INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  error_code INTEGER,"
	"  error_message TEXT,"
	"  result_at INTEGER,"
	"  connector_id TEXT);"
	"CREATE TABLE pkcs_requests("
	"  seq INTEGER PRIMARY KEY,"
	"  request_id TEXT NOT NULL UNIQUE,"
	"  device_id TEXT NOT NULL,"
	"  user_id TEXT,"
	"  profile TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  leased_until INTEGER,"
	"  deliveries INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  envelope BLOB,"
	"  thumbprint TEXT,"
	"  serial_number TEXT,"
	"  expiration TEXT,"
	"  error_code INTEGER,"
	"  error_message TEXT,"
	"  result_at INTEGER,"
	"  connector_id TEXT);",
	/* 2: what devices (ndes-device-sim) report of their SCEP profiles */
	"CREATE TABLE device_reports("
	"  seq INTEGER PRIMARY KEY,"
	"  device_id TEXT NOT NULL,"
	"  profile TEXT NOT NULL,"
	"  user_id TEXT,"
	"  challenge_id TEXT,"
	"  state TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  renewal INTEGER NOT NULL,"
	"  thumbprint TEXT,"
	"  serial_number TEXT,"
	"  url TEXT,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX device_reports_thumbprint ON device_reports(thumbprint);",
};

static const struct ndes_db_schema store_schema = {
	.durability = NDES_DB_DURABLE,
	.migrations = store_migrations,
	.nmigrations = sizeof(store_migrations) / sizeof(store_migrations[0]),
	.application_id = 0x4e44434c,	/* "NDCL" */
};

struct cloudsim_store *
cloudsim_store_open(const char *state_dir, char *err, size_t errlen)
{
	struct cloudsim_store *st = calloc(1, sizeof(*st));
	char *path = NULL;

	if (st == NULL || asprintf(&path, "%s/cloud.db", state_dir) == -1) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return NULL;
	}
	st->db = ndes_db_open(path, &store_schema, err, errlen);
	free(path);
	if (st->db == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
cloudsim_store_close(struct cloudsim_store *st)
{
	if (st == NULL)
		return;
	cloudsim_store_recipients_forget(st);
	ndes_db_close(st->db);
	free(st);
}

int
cloudsim_store_begin(struct cloudsim_store *st)
{
	return ndes_db_begin(st->db);
}

int
cloudsim_store_commit(struct cloudsim_store *st)
{
	return ndes_db_commit(st->db);
}

void
cloudsim_store_rollback(struct cloudsim_store *st)
{
	cloudsim_store_recipients_forget(st);
	ndes_db_rollback(st->db);
}

int
cloudsim_store_maintain(struct cloudsim_store *st)
{
	return ndes_db_maintain(st->db);
}

int
cloudsim_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	int rc = s ? sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(stmt, idx);

	return rc == SQLITE_OK ? 0 : -1;
}

int
cloudsim_store_run(struct cloudsim_store *st, sqlite3_stmt *stmt)
{
	int rc = ndes_db_step(st->db, stmt);

	if (rc == 1) {
		sqlite3_reset(stmt);
		return 0;
	}
	return rc;
}

static json_t *
store_column(sqlite3_stmt *stmt, int i)
{
	const char *name = sqlite3_column_name(stmt, i);
	size_t n = strlen(name);
	char iso[32];

	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_INTEGER:
		if (n > 2 && strcmp(name + n - 2, "At") == 0) {
			cloudsim_time_iso(sqlite3_column_int64(stmt, i), iso, sizeof(iso));
			return json_string(iso);
		}
		return json_integer(sqlite3_column_int64(stmt, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(stmt, i),
		    (size_t)sqlite3_column_bytes(stmt, i));
	case SQLITE_BLOB:
		return json_integer(sqlite3_column_bytes(stmt, i));
	default:
		return json_null();
	}
}

json_t *
cloudsim_store_rows(struct cloudsim_store *st, const char *sql)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db, sql);
	json_t *rows = json_array(), *row;
	int rc;

	if (stmt == NULL || rows == NULL) {
		json_decref(rows);
		return NULL;
	}
	while ((rc = ndes_db_step(st->db, stmt)) == 1) {
		row = json_object();
		for (int i = 0; row != NULL && i < sqlite3_column_count(stmt); i++)
			json_object_set_new(row, sqlite3_column_name(stmt, i),
			    store_column(stmt, i));
		json_array_append_new(rows, row);
	}
	if (rc != 0) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}
