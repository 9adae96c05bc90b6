/* The challenge store in PostgreSQL (challenge_store.h, store_pg.h,
 * docs/crpd.md "The PostgreSQL store"): one database shared by every node.
 * Each decision is one statement, made by the database; the commit leader
 * (work.c) runs a batch's statements in one transaction (store_pg_txn.c). */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"

static struct crp_store_pg *
store_pg(struct crp_store *s)
{
	return (struct crp_store_pg *)s;
}

/* The decision's statement goes into the batch's pipeline; the outcome
 * is known once the batch committed (work.c reads it in after_db). */
static int
pg_record_verification(struct crp_store *st, const struct crp_record *r,
    enum crp_store_outcome *out)
{
	struct crp_store_pg *s = store_pg(st);
	char verified[24], expires[24];
	const char *v[9] = { r->challenge_id, r->pubkey_hash, r->transaction_id, r->device_id,
	    r->user_id, r->template_name, (const char *)r->csr_der, verified, expires };
	int len[9] = { 0, 0, 0, 0, 0, 0, (int)r->csr_len, 0, 0 };
	int fmt[9] = { 0, 0, 0, 0, 0, 0, 1, 0, 0 };

	snprintf(verified, sizeof(verified), "%lld", (long long)r->verified_at);
	snprintf(expires, sizeof(expires), "%lld", (long long)r->expires_at);
	return pg_send_record(s, v, len, fmt, out, r->challenge_id);
}

/* An UPDATE by challenge ID: 1 a row changed, 0 none, -1. */
static int
pg_update(struct crp_store_pg *s, const char *name, int n, const char *const *v)
{
	PGresult *res = pg_exec(s, name, n, v, NULL, NULL, PGRES_COMMAND_OK);
	int rc;

	if (res == NULL)
		return -1;
	s->writes++;
	rc = atoll(PQcmdTuples(res)) > 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

static int
pg_mark_issued(struct crp_store *st, const char *challenge_id, int64_t issued_at,
    const char *thumbprint)
{
	char at[24];
	const char *v[3] = { challenge_id, at, thumbprint };

	snprintf(at, sizeof(at), "%lld", (long long)issued_at);
	return pg_update(store_pg(st), PG_ST_MARK_ISSUED, 3, v);
}

static int
pg_set_disposition(struct crp_store *st, const char *challenge_id, int64_t disposition)
{
	char d[24];
	const char *v[2] = { challenge_id, d };

	snprintf(d, sizeof(d), "%lld", (long long)disposition);
	return pg_update(store_pg(st), PG_ST_DISPOSITION, 2, v);
}

static char *
pg_dup(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

static int
pg_read_row(const PGresult *res, struct crp_record *r)
{
	size_t len = 0;
	unsigned char *csr = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 6), &len);

	memset(r, 0, sizeof(*r));
	r->challenge_id = pg_dup(res, 0);
	r->pubkey_hash = pg_dup(res, 1);
	r->transaction_id = pg_dup(res, 2);
	r->device_id = pg_dup(res, 3);
	r->user_id = pg_dup(res, 4);
	r->template_name = pg_dup(res, 5);
	if (csr != NULL && (r->csr_der = malloc(len + 1)) != NULL) {
		memcpy(r->csr_der, csr, len);
		r->csr_len = len;
	}
	PQfreemem(csr);
	r->state = (enum crp_record_state)atoi(PQgetvalue(res, 0, 7));
	r->verified_at = atoll(PQgetvalue(res, 0, 8));
	r->expires_at = atoll(PQgetvalue(res, 0, 9));
	r->issued_at = atoll(PQgetvalue(res, 0, 10));
	r->issued_thumbprint = pg_dup(res, 11);
	r->last_disposition = atoll(PQgetvalue(res, 0, 12));
	if (r->challenge_id == NULL || r->transaction_id == NULL || r->csr_der == NULL) {
		crp_record_clear(r);
		return -1;
	}
	return 0;
}

static int
pg_lookup(struct crp_store *st, enum crp_lookup_by by, const char *value,
    struct crp_record *out)
{
	struct crp_store_pg *s = store_pg(st);
	const char *name = by == CRP_LOOKUP_CHALLENGE_ID ? PG_ST_LOOKUP_ID :
	    by == CRP_LOOKUP_PUBKEY_HASH ? PG_ST_LOOKUP_KEY : PG_ST_LOOKUP_TXN;
	const char *v[1] = { value };
	PGresult *res = pg_exec(s, name, 1, v, NULL, NULL, PGRES_TUPLES_OK);
	int rc;

	if (res == NULL)
		return -1;
	rc = PQntuples(res) == 0 ? 0 : pg_read_row(res, out) == 0 ? 1 : -1;
	PQclear(res);
	return rc;
}

static int
pg_purge_expired(struct crp_store *st, int64_t before, int64_t *purged)
{
	struct crp_store_pg *s = store_pg(st);
	char b[24];
	const char *v[1] = { b };
	PGresult *res;

	*purged = 0;
	snprintf(b, sizeof(b), "%lld", (long long)before);
	if ((res = pg_exec(s, PG_ST_PURGE, 1, v, NULL, NULL, PGRES_COMMAND_OK)) == NULL)
		return -1;
	s->writes++;
	*purged = atoll(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

static int
pg_txn(struct crp_store *st, enum crp_store_txn step)
{
	return pg_txn_step(store_pg(st), step);
}

static const char *
pg_error(struct crp_store *st, uint32_t *code)
{
	struct crp_store_pg *s = store_pg(st);

	*code = s->code == CRP_STORE_CODE_CONFIG ? NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE : s->code;
	return s->error;
}

static void
pg_free(struct crp_store *st)
{
	struct crp_store_pg *s = store_pg(st);

	pg_close(s);
	free(s->sent);
	free(s->asks);
	free(s->conninfo);
	free(s->password_file);
	free(s->sslmode);
	free(s->sslrootcert);
	free(s);
}

static const struct crp_store_ops pg_ops = {
	.record_verification = pg_record_verification,
	.mark_issued = pg_mark_issued,
	.set_disposition = pg_set_disposition,
	.lookup = pg_lookup,
	.purge_expired = pg_purge_expired,
	.txn = pg_txn,
	.error = pg_error,
	.free = pg_free,
};

struct crp_store *
crp_store_pg_new(const struct crp_store_pg_params *p, char *err, size_t errlen, uint32_t *code)
{
	struct crp_store_pg *s = calloc(1, sizeof(*s));

	*code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->starting = true;
	if (pg_params_set(s, p) == -1 || pg_connect(s, true) == -1) {
		snprintf(err, errlen, "%s", s->error);
		*code = s->code;
		pg_free(&s->base);
		return NULL;
	}
	log_info("challenge store: PostgreSQL %s, schema version %d",
	    PQparameterStatus(s->conn, "server_version"), PG_SCHEMA_VERSION);
	s->starting = false;
	s->failures = 0;
	s->retry_at_ns = 0;
	s->error[0] = '\0';
	return &s->base;
}
