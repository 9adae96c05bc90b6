/* The PostgreSQL store's transaction for one batch (store_pg.h).
 *
 * The verifications of a batch are sent in libpq's pipeline mode: BEGIN,
 * each verification's statement and the COMMIT go out together and their
 * results are read at once, one round trip for the batch instead of one
 * per statement (each round trip costs both processes a wake-up).  A
 * verification's outcome is therefore known once the batch committed.  A
 * statement that must be answered at once (a notification's lookup) first
 * reads what the pipeline holds, then runs on its own.  A statement that
 * fails aborts the transaction: the whole batch is refused. */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

static int
pg_sent_add(struct crp_store_pg *s, enum pg_sent_kind kind, enum crp_store_outcome *out,
    const char *challenge_id)
{
	struct pg_sent *n;

	if (s->nsent == s->capsent) {
		size_t cap = s->capsent > 0 ? s->capsent * 2 : 64;

		if ((n = realloc(s->sent, cap * sizeof(*n))) == NULL)
			return -1;
		s->sent = n;
		s->capsent = cap;
	}
	s->sent[s->nsent++] = (struct pg_sent){ kind, out, challenge_id };
	return 0;
}

/* A refused verification whose kind of replay is asked after COMMIT. */
static int
pg_ask_add(struct crp_store_pg *s, const struct pg_sent *sent)
{
	struct pg_sent *n;

	if ((n = realloc(s->asks, (s->nasks + 1) * sizeof(*n))) == NULL)
		return -1;
	s->asks = n;
	s->asks[s->nasks++] = *sent;
	return 0;
}

/* One sent statement's result: what it means for the batch. */
static int
pg_sent_result(struct crp_store_pg *s, const struct pg_sent *sent, const PGresult *res)
{
	switch (sent->kind) {
	case PG_SENT_BEGIN:
		return PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	case PG_SENT_COMMIT:
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return -1;
		return strcmp(PQcmdStatus((PGresult *)res), "COMMIT") == 0 ? 0 : 1;
	case PG_SENT_RECORD:
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return -1;
		if (PQntuples(res) == 1) {
			*sent->out = atoi(PQgetvalue(res, 0, 0)) == 1 ? CRP_STORE_NEW :
			    CRP_STORE_SAME_KEY_RETRY;
			return 0;
		}
		*sent->out = CRP_STORE_REPLAY_OTHER_KEY;
		return pg_ask_add(s, sent);
	}
	return -1;
}

/* The results of every statement sent, in order.  *failed: the first
 * result that failed (NULL: none; the caller clears it), *rolled_back: the
 * COMMIT answered ROLLBACK.  -1 when the connection broke. */
static int
pg_read_sent(struct crp_store_pg *s, PGresult **failed, bool *rolled_back)
{
	PGresult *res;
	int rc;

	for (size_t i = 0; i < s->nsent; i++) {
		if ((res = PQgetResult(s->conn)) == NULL)
			return -1;
		rc = *failed == NULL ? pg_sent_result(s, &s->sent[i], res) : 0;
		if (rc == 1)
			*rolled_back = true;
		if (rc == -1 && *failed == NULL)
			*failed = res;
		else
			PQclear(res);
		while ((res = PQgetResult(s->conn)) != NULL)
			PQclear(res);
	}
	res = PQgetResult(s->conn);
	rc = PQresultStatus(res) == PGRES_PIPELINE_SYNC ? 0 : -1;
	PQclear(res);
	return rc == 0 && PQexitPipelineMode(s->conn) == 1 ? 0 : -1;
}

/* Sync the pipeline and read it: 0, or -1 with the transaction lost. */
static int
pg_pipeline_end(struct crp_store_pg *s)
{
	PGresult *failed = NULL;
	bool rolled_back = false;
	int rc;

	if (!s->pipelined)
		return 0;
	rc = PQpipelineSync(s->conn) == 1 ? pg_read_sent(s, &failed, &rolled_back) : -1;
	s->pipelined = false;
	s->nsent = 0;
	if (rc == 0 && failed == NULL && !rolled_back)
		return 0;
	if (rolled_back && failed == NULL) {
		snprintf(s->error, sizeof(s->error), "COMMIT: the transaction was rolled back");
		s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
		s->aborted = true;
	} else
		pg_failed_result(s, failed, failed != NULL ? "the batch" : "reading results");
	PQclear(failed);
	return -1;
}

/* The connection and the pipeline, BEGIN first in it. */
static int
pg_pipeline_start(struct crp_store_pg *s)
{
	if (s->pipelined)
		return 0;
	if (!s->begun && pg_ensure(s) == -1)
		return -1;
	if (PQenterPipelineMode(s->conn) != 1) {
		pg_failed_result(s, NULL, "pipeline");
		return -1;
	}
	s->pipelined = true;
	if (s->begun)
		return 0;
	if (PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    pg_sent_add(s, PG_SENT_BEGIN, NULL, NULL) == -1) {
		pg_failed_result(s, NULL, "BEGIN");
		return -1;
	}
	s->begun = true;
	return 0;
}

int
pg_send_record(struct crp_store_pg *s, const char *const *v, const int *len, const int *fmt,
    enum crp_store_outcome *out, const char *challenge_id)
{
	if (s->aborted) {
		snprintf(s->error, sizeof(s->error), "the batch's transaction is lost (%.300s)",
		    s->reason);
		s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
		return -1;
	}
	if (pg_pipeline_start(s) == -1)
		return -1;
	if (PQsendQueryPrepared(s->conn, PG_ST_RECORD, 9, v, len, fmt, 0) != 1 ||
	    pg_sent_add(s, PG_SENT_RECORD, out, challenge_id) == -1) {
		pg_failed_result(s, NULL, PG_ST_RECORD);
		return -1;
	}
	s->writes++;
	return 0;
}

static int
pg_begin(struct crp_store_pg *s)
{
	PGresult *res;

	if (pg_ensure(s) == -1)
		return -1;
	res = PQexec(s->conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_failed_result(s, res, "BEGIN");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	s->begun = true;
	return 0;
}

PGresult *
pg_exec(struct crp_store_pg *s, const char *name, int n, const char *const *values,
    const int *lengths, const int *formats, ExecStatusType want)
{
	PGresult *res;

	if (s->aborted) {
		snprintf(s->error, sizeof(s->error), "the batch's transaction is lost (%.300s)",
		    s->reason);
		s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
		return NULL;
	}
	if (pg_pipeline_end(s) == -1 || (!s->begun && pg_begin(s) == -1))
		return NULL;
	res = PQexecPrepared(s->conn, name, n, values, lengths, formats, 0);
	if (PQresultStatus(res) == want)
		return res;
	pg_failed_result(s, res, name);
	PQclear(res);
	return NULL;
}

/* After COMMIT: which replay each refused verification was.  The refusal
 * was decided by its statement; this only names it. */
static void
pg_ask_why(struct crp_store_pg *s)
{
	PGresult *res;

	for (size_t i = 0; i < s->nasks && s->conn != NULL; i++) {
		const char *v[1] = { s->asks[i].challenge_id };

		res = PQexecPrepared(s->conn, PG_ST_REPLAY_REASON, 1, v, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		    atoi(PQgetvalue(res, 0, 0)) == CRP_RECORD_ISSUED)
			*s->asks[i].out = CRP_STORE_REPLAY_ISSUED;
		PQclear(res);
	}
	s->nasks = 0;
}

static int
pg_commit(struct crp_store_pg *s)
{
	PGresult *res;
	bool ok;

	if (s->aborted)
		return -1;
	if (s->pipelined) {
		if (PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
		    pg_sent_add(s, PG_SENT_COMMIT, NULL, NULL) == -1) {
			pg_failed_result(s, NULL, "COMMIT");
			return -1;
		}
		ok = pg_pipeline_end(s) == 0;
	} else if (s->begun) {
		res = PQexec(s->conn, "COMMIT");
		ok = PQresultStatus(res) == PGRES_COMMAND_OK &&
		    strcmp(PQcmdStatus(res), "COMMIT") == 0;
		if (!ok)
			pg_failed_result(s, res, "COMMIT");
		PQclear(res);
	} else
		return 0;
	s->begun = false;
	if (!ok)
		return -1;
	pg_ask_why(s);
	if (s->writes > 0)
		pg_recorded(s);
	return 0;
}

static void
pg_rollback(struct crp_store_pg *s)
{
	PGresult *res;

	if (s->pipelined)
		pg_close(s);	/* after a failure only: the server drops the transaction */
	if (s->begun && s->conn != NULL) {
		res = PQexec(s->conn, "ROLLBACK");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			pg_close(s);
		PQclear(res);
	}
	s->begun = false;
	s->aborted = false;
	s->nsent = s->nasks = 0;
}

int
pg_txn_step(struct crp_store_pg *s, enum crp_store_txn step)
{
	switch (step) {
	case CRP_STORE_BEGIN:
		pg_rollback(s);
		s->writes = s->mark = 0;
		s->error[0] = '\0';
		return 0;
	case CRP_STORE_MARK:
		s->mark = s->writes;
		s->error[0] = '\0';
		return 0;
	case CRP_STORE_UNDO:
		if (!s->aborted && s->writes == s->mark)
			return 0;
		if (s->error[0] == '\0')
			snprintf(s->error, sizeof(s->error), "a job failed after it wrote to the "
			    "challenge store");
		return -1;
	case CRP_STORE_COMMIT:
		return pg_commit(s);
	case CRP_STORE_ROLLBACK:
		pg_rollback(s);
		return 0;
	}
	return -1;
}
