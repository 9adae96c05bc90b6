/* The PostgreSQL store's schema and statements (store_pg.h). */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"

void
pg_one_line(const char *msg, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = msg; *p != '\0' && n + 1 < len; p++) {
		if (strncmp(p, "LOCATION:", 9) == 0)
			break;
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			if (n > 0 && buf[n - 1] != ' ')
				buf[n++] = ' ';
			continue;
		}
		buf[n++] = *p;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* migrations[i] brings the schema from version i to i + 1, in the
 * transaction that holds the advisory lock.  Never edit a released one;
 * append.  Text columns hold what crpd checked as UTF-8 (the server must
 * store it as it is: UTF8 or SQL_ASCII); the transaction ID, which the
 * device chooses, is indexed by hash, so that no length breaks an index. */
static const char *const pg_migrations[PG_SCHEMA_VERSION] = {
	"CREATE TABLE crp_challenges ("
	" challenge_id text PRIMARY KEY,"
	" pubkey_hash text NOT NULL,"
	" transaction_id text NOT NULL,"
	" device_id text, user_id text, template_name text,"
	" csr bytea NOT NULL,"
	" state smallint NOT NULL,"
	" verifications integer NOT NULL DEFAULT 1,"
	" verified_at bigint NOT NULL,"
	" expires_at bigint NOT NULL,"
	" issued_at bigint NOT NULL DEFAULT 0,"
	" issued_thumbprint text,"
	" last_disposition bigint NOT NULL DEFAULT -1"
	");"
	"CREATE INDEX crp_challenges_by_pubkey ON crp_challenges (pubkey_hash);"
	"CREATE INDEX crp_challenges_by_transaction ON crp_challenges USING hash (transaction_id);"
	"CREATE INDEX crp_challenges_by_expiry ON crp_challenges (expires_at);",
};

#define PG_COLUMNS "challenge_id, pubkey_hash, transaction_id, device_id, user_id," \
	" template_name, csr, state, verified_at, expires_at, issued_at, issued_thumbprint," \
	" last_disposition"

static const struct {
	const char	*name;
	const char	*sql;
} pg_statements[] = {
	/* The decision in one statement: inserted (verifications 1), or the
	 * same key again before issuance (verifications > 1), or no row: a
	 * replay.  A concurrent insert of the same challenge waits for the
	 * other transaction and then sees its row. */
	{ PG_ST_RECORD, "INSERT INTO crp_challenges AS c (challenge_id, pubkey_hash,"
	    " transaction_id, device_id, user_id, template_name, csr, state, verified_at,"
	    " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)"
	    " ON CONFLICT (challenge_id) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,"
	    " csr = EXCLUDED.csr, verified_at = EXCLUDED.verified_at,"
	    " template_name = EXCLUDED.template_name, verifications = c.verifications + 1"
	    " WHERE c.pubkey_hash = EXCLUDED.pubkey_hash AND c.state = 1"
	    " RETURNING c.verifications" },
	/* Only to say which replay it was (the decision is made). */
	{ PG_ST_REPLAY_REASON, "SELECT state FROM crp_challenges WHERE challenge_id = $1" },
	{ PG_ST_MARK_ISSUED, "UPDATE crp_challenges SET state = 2, issued_at = $2,"
	    " issued_thumbprint = $3 WHERE challenge_id = $1" },
	{ PG_ST_DISPOSITION, "UPDATE crp_challenges SET last_disposition = $2"
	    " WHERE challenge_id = $1" },
	{ PG_ST_LOOKUP_ID, "SELECT " PG_COLUMNS " FROM crp_challenges WHERE challenge_id = $1" },
	{ PG_ST_LOOKUP_KEY, "SELECT " PG_COLUMNS " FROM crp_challenges WHERE pubkey_hash = $1"
	    " ORDER BY state, verified_at DESC LIMIT 1" },
	{ PG_ST_LOOKUP_TXN, "SELECT " PG_COLUMNS " FROM crp_challenges WHERE transaction_id = $1"
	    " ORDER BY state, verified_at DESC LIMIT 1" },
	{ PG_ST_PURGE, "DELETE FROM crp_challenges WHERE expires_at < $1" },
};

/* One SQL text without parameters; 0, or -1 with s->error. */
static int
pg_run(struct crp_store_pg *s, const char *sql, ExecStatusType want, PGresult **out)
{
	PGresult *res = PQexec(s->conn, sql);
	char msg[PG_MESSAGE_MAX];

	if (PQresultStatus(res) == want) {
		if (out != NULL)
			*out = res;
		else
			PQclear(res);
		return 0;
	}
	pg_one_line(res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(s->conn), msg,
	    sizeof(msg));
	snprintf(s->error, sizeof(s->error), "schema: %.300s", msg);
	s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
	PQclear(res);
	return -1;
}

/* One integer from a query of one row and one column. */
static int
pg_run_int(struct crp_store_pg *s, const char *sql, long long *v)
{
	PGresult *res;

	if (pg_run(s, sql, PGRES_TUPLES_OK, &res) == -1)
		return -1;
	*v = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? atoll(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return 0;
}

/* The advisory lock of the schema, waiting (and saying so) while another
 * node holds it. */
static int
pg_schema_lock(struct crp_store_pg *s)
{
	PGresult *res;
	bool got;

	if (pg_run(s, "SELECT pg_try_advisory_xact_lock(" PG_SCHEMA_LOCK_KEY ")",
	    PGRES_TUPLES_OK, &res) == -1)
		return -1;
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return 0;
	log_info("challenge store: another node holds the schema lock (pg_advisory_xact_lock("
	    PG_SCHEMA_LOCK_KEY ")); waiting for it");
	return pg_run(s, "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK_KEY ")",
	    PGRES_TUPLES_OK, NULL);
}

/* The version the database's schema is at (0: none yet). */
static int
pg_schema_version(struct crp_store_pg *s, long long *version)
{
	long long exists;

	if (pg_run_int(s, "SELECT (to_regclass('crp_schema_version') IS NOT NULL)::int",
	    &exists) == -1)
		return -1;
	*version = 0;
	return exists ? pg_run_int(s, "SELECT coalesce(max(version), 0) FROM crp_schema_version",
	    version) : 0;
}

static int
pg_schema_apply(struct crp_store_pg *s, long long from)
{
	char sql[128];

	if (pg_run(s, "CREATE TABLE IF NOT EXISTS crp_schema_version (version integer PRIMARY KEY,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", PGRES_COMMAND_OK, NULL) == -1)
		return -1;
	for (long long v = from; v < PG_SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "INSERT INTO crp_schema_version (version) VALUES (%lld)",
		    v + 1);
		if (pg_run(s, pg_migrations[v], PGRES_COMMAND_OK, NULL) == -1 ||
		    pg_run(s, sql, PGRES_COMMAND_OK, NULL) == -1)
			return -1;
	}
	log_info("challenge store: schema brought from version %lld to %d", from,
	    PG_SCHEMA_VERSION);
	return 0;
}

/* In one transaction under the lock: read the version, refuse a newer one,
 * migrate an older one.  A schema already current needs no write (a
 * read-only database can start crpd, which then refuses until it can
 * record). */
static int
pg_schema_check(struct crp_store_pg *s)
{
	long long version;

	if (pg_schema_lock(s) == -1 || pg_schema_version(s, &version) == -1)
		return -1;
	if (version > PG_SCHEMA_VERSION) {
		snprintf(s->error, sizeof(s->error), "the database's schema is version %lld, "
		    "made by a newer ndes-crpd; this one knows version %d and does not start "
		    "(upgrade it)", version, PG_SCHEMA_VERSION);
		s->code = NDES_DIAG_CHALLENGE_STORE_SCHEMA_NEWER;
		return -1;
	}
	return version < PG_SCHEMA_VERSION ? pg_schema_apply(s, version) : 0;
}

int
pg_schema_migrate(struct crp_store_pg *s)
{
	if (pg_run(s, "BEGIN", PGRES_COMMAND_OK, NULL) == -1)
		return -1;
	if (pg_schema_check(s) == -1) {
		PQclear(PQexec(s->conn, "ROLLBACK"));
		return -1;
	}
	return pg_run(s, "COMMIT", PGRES_COMMAND_OK, NULL);
}

int
pg_prepare(struct crp_store_pg *s)
{
	char msg[PG_MESSAGE_MAX];
	PGresult *res;

	for (size_t i = 0; i < sizeof(pg_statements) / sizeof(pg_statements[0]); i++) {
		res = PQprepare(s->conn, pg_statements[i].name, pg_statements[i].sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_one_line(res != NULL ? PQresultErrorMessage(res) :
			    PQerrorMessage(s->conn), msg, sizeof(msg));
			snprintf(s->error, sizeof(s->error), "preparing %s: %.300s",
			    pg_statements[i].name, msg);
			s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}
