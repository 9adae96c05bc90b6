/* The PostgreSQL challenge store, inside (docs/crpd.md, "The PostgreSQL
 * store").  Three files share this state:
 *
 *   challenge_store_pg.c  the store's operations (challenge_store.h), each
 *                         decision one statement
 *   store_pg_txn.c        the batch's transaction: BEGIN with the first
 *                         statement, the verifications pipelined with the
 *                         COMMIT (one round trip per batch)
 *   store_pg_conn.c       the connection: parameters, password file, the
 *                         connect with its timeout, what a failure means
 *                         (code, whether to reconnect), the retries with
 *                         backoff and the events 20702 / 20700
 *   store_pg_schema.c     the schema, versioned and migrated under an
 *                         advisory lock, the prepared statements, and a
 *                         server's message on one line (the files above
 *                         call into this one, never the other way)
 *
 * Threads: one thread at a time (crpd's commit leader); no locks. */
#ifndef CRP_STORE_PG_H
#define CRP_STORE_PG_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "challenge_store.h"

#define PG_MESSAGE_MAX 384

/* A statement sent in the batch's pipeline, read at its sync. */
enum pg_sent_kind {
	PG_SENT_BEGIN,
	PG_SENT_RECORD,		/* a verification */
	PG_SENT_COMMIT,
};

struct pg_sent {
	enum pg_sent_kind	 kind;
	enum crp_store_outcome	*out;		/* RECORD: where its outcome goes */
	const char		*challenge_id;	/* RECORD: the caller's, until COMMIT */
};

struct crp_store_pg {
	struct crp_store	 base;
	/* what to connect with (copies) */
	char			*conninfo, *password_file, *sslmode, *sslrootcert;
	int64_t			 connect_timeout;	/* seconds */
	PGconn			*conn;		/* NULL: to be (re)connected */
	/* the batch's transaction */
	bool			 begun;		/* BEGIN went out */
	bool			 aborted;	/* the batch's transaction is lost: it
						 * cannot commit, nothing can be undone */
	bool			 pipelined;	/* in pipeline mode, sent[] unread */
	struct pg_sent		*sent;
	size_t			 nsent, capsent;
	struct pg_sent		*asks;		/* refused: which replay, after COMMIT */
	size_t			 nasks;
	uint64_t		 writes;	/* statements that wrote, this batch */
	uint64_t		 mark;		/* writes at the job's MARK */
	/* the failure since the last BEGIN or MARK ("" none), its code */
	char			 error[PG_MESSAGE_MAX];
	uint32_t		 code;
	/* health */
	char			 reason[PG_MESSAGE_MAX];	/* the last failure's */
	bool			 down;		/* cannot record (20702 sent) */
	int64_t			 down_since_ns;	/* CLOCK_MONOTONIC */
	int64_t			 retry_at_ns;	/* no new attempt before */
	unsigned		 failures;	/* in a row */
	bool			 starting;	/* crp_store_pg_new(): no events */
};

/* store_pg_conn.c */
/* Copy the parameters; 0, or -1 with the reason (code CONFIG) in s->error. */
int	pg_params_set(struct crp_store_pg *s, const struct crp_store_pg_params *p);
/* Connect, check the server and prepare the statements: 0, or -1 with the
 * reason and code in s->error / s->code (the connection closed). */
int	pg_connect(struct crp_store_pg *s, bool migrate);
/* A usable connection for the next statement, reconnecting when it is
 * time to try again (backoff); -1 at once before that (s->error says
 * why). */
int	pg_ensure(struct crp_store_pg *s);
/* A failed result (or NULL: the connection's message): s->error, the
 * code; a conflict with another transaction (deadlock, serialization)
 * leaves the connection and the health alone, anything else closes the
 * connection and counts as the store not recording. */
void	pg_failed_result(struct crp_store_pg *s, const PGresult *res, const char *what);
/* The store could not record (code, printf-style reason): s->error, the
 * log, 20702 on the first failure of an outage, the next attempt's time. */
void	pg_unavailable(struct crp_store_pg *s, uint32_t code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A transaction that wrote committed: 20700 when it was down. */
void	pg_recorded(struct crp_store_pg *s);
void	pg_close(struct crp_store_pg *s);
/* msg as one line without libpq's "LOCATION: ..." part, into buf. */
void	pg_one_line(const char *msg, char *buf, size_t len);

/* store_pg_txn.c */
/* A statement answered at once, in the batch's transaction (begun first
 * when needed, the pipeline read first): its result with the status
 * wanted, else NULL (s->error says why). */
PGresult *pg_exec(struct crp_store_pg *s, const char *name, int n, const char *const *values,
	    const int *lengths, const int *formats, ExecStatusType want);
/* A verification's statement (PG_ST_RECORD, 9 parameters) into the
 * pipeline; *out is set when the batch commits.  0, or -1 (s->error). */
int	pg_send_record(struct crp_store_pg *s, const char *const *v, const int *len,
	    const int *fmt, enum crp_store_outcome *out, const char *challenge_id);
/* The store's txn operation (challenge_store.h). */
int	pg_txn_step(struct crp_store_pg *s, enum crp_store_txn step);

/* store_pg_schema.c */
/* Bring the schema up to date under the advisory lock: 0, or -1 with the
 * reason in s->error (code 0x00001022 for a schema of a newer version). */
int	pg_schema_migrate(struct crp_store_pg *s);
/* Prepare every statement on the new connection: 0 or -1. */
int	pg_prepare(struct crp_store_pg *s);

/* The prepared statements' names (store_pg_schema.c has their SQL). */
#define PG_ST_RECORD		"crp_record"
#define PG_ST_REPLAY_REASON	"crp_replay_reason"
#define PG_ST_MARK_ISSUED	"crp_mark_issued"
#define PG_ST_DISPOSITION	"crp_disposition"
#define PG_ST_LOOKUP_ID		"crp_lookup_id"
#define PG_ST_LOOKUP_KEY	"crp_lookup_key"
#define PG_ST_LOOKUP_TXN	"crp_lookup_txn"
#define PG_ST_PURGE		"crp_purge"

/* The schema version this crpd writes (store_pg_schema.c's migrations). */
#define PG_SCHEMA_VERSION 1
/* pg_advisory_xact_lock's key while the schema is checked and migrated:
 * the bytes "NDESCRP" and 0x01 read as a bigint (docs/crpd.md). */
#define PG_SCHEMA_LOCK_KEY "5639708857288773633"

#endif
