/* One-time use of challenges (DESIGN.md sections 5, 6 and 8): a narrow
 * interface with two implementations, SQLite (challenge_store_sqlite.c, in
 * crpd's state.db: the embedded default, one node) and PostgreSQL
 * (challenge_store_pg.c: one database that several NDES nodes share).
 *
 * Rules: a challenge verified for one public key may be verified again for
 * the same key (a retrying client) until a certificate is issued for it;
 * for any other key, or after issuance, it is a replay.  Records live until
 * purge_expired() removes those that expired long enough ago.  The
 * PostgreSQL store makes each decision in one statement, so that two nodes
 * racing on one challenge cannot both win.
 *
 * Threads: a store is used by one thread at a time (crpd's commit leader).
 * The SQLite implementation runs inside the caller's transaction on
 * state.db (work.h) and has no transactions of its own (txn NULL).  The
 * PostgreSQL one has its own, which the leader drives alongside state.db's
 * (crp_store_txn()).  Either way a verification is recorded when that
 * transaction has committed, and crpd answers only after that. */
#ifndef CRP_CHALLENGE_STORE_H
#define CRP_CHALLENGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crp_store_outcome {
	CRP_STORE_NEW = 0,		/* first verification: recorded */
	CRP_STORE_SAME_KEY_RETRY,	/* verified before for this key: allowed */
	CRP_STORE_REPLAY_OTHER_KEY,	/* verified before for another key: refused */
	CRP_STORE_REPLAY_ISSUED,	/* a certificate was issued already: refused */
};

enum crp_record_state {
	CRP_RECORD_VERIFIED = 1,
	CRP_RECORD_ISSUED = 2,
};

/* A verification record.  As input the strings are borrowed; from
 * lookup() they are malloc'd (crp_record_clear()). */
struct crp_record {
	char		*challenge_id;		/* claims id (UUID): the key */
	char		*pubkey_hash;		/* SHA-256 hex of the CSR's SubjectPublicKeyInfo */
	char		*transaction_id;
	char		*device_id;		/* may be NULL */
	char		*user_id;		/* may be NULL */
	char		*template_name;		/* may be NULL */
	uint8_t		*csr_der;		/* the verified request */
	size_t		 csr_len;
	int64_t		 verified_at;
	int64_t		 expires_at;		/* the challenge's exp */
	/* lookup() only: */
	enum crp_record_state state;
	int64_t		 issued_at;		/* 0 when not issued */
	char		*issued_thumbprint;	/* NULL when not issued */
	int64_t		 last_disposition;	/* last notify disposition, -1 none */
};

enum crp_lookup_by {
	CRP_LOOKUP_CHALLENGE_ID,
	CRP_LOOKUP_PUBKEY_HASH,		/* most recent not-issued record first */
	CRP_LOOKUP_TRANSACTION_ID,	/* idem */
};

struct crp_store;

/* The steps of a store's own transaction (work.c, one batch). */
enum crp_store_txn {
	CRP_STORE_BEGIN,	/* a batch starts */
	CRP_STORE_MARK,		/* a job starts: remember where */
	CRP_STORE_UNDO,		/* that job failed: undo what it did since its mark */
	CRP_STORE_COMMIT,
	CRP_STORE_ROLLBACK,
};

struct crp_store_ops {
	int	(*record_verification)(struct crp_store *s, const struct crp_record *rec,
		    enum crp_store_outcome *out);
	int	(*mark_issued)(struct crp_store *s, const char *challenge_id, int64_t issued_at,
		    const char *thumbprint);
	int	(*set_disposition)(struct crp_store *s, const char *challenge_id,
		    int64_t disposition);
	int	(*lookup)(struct crp_store *s, enum crp_lookup_by by, const char *value,
		    struct crp_record *out);
	int	(*purge_expired)(struct crp_store *s, int64_t expired_before, int64_t *purged);
	/* NULL for a store that works inside the caller's transaction. */
	int	(*txn)(struct crp_store *s, enum crp_store_txn step);
	/* Why the last call failed, and its diagnostic code. */
	const char *(*error)(struct crp_store *s, uint32_t *code);
	void	(*free)(struct crp_store *s);
};

struct crp_store {
	const struct crp_store_ops *ops;
};

/* Record a successful verification (all checks passed) and say whether it
 * may be answered as verified: NEW and SAME_KEY_RETRY may; a retry updates
 * the record's transaction id, request and time.  0 or -1 (store error).
 * A store with transactions of its own may set *out only when its
 * transaction commits (PostgreSQL sends a batch's verifications at once):
 * *out must stay valid until then, and is read after COMMIT. */
static inline int
crp_store_record_verification(struct crp_store *s, const struct crp_record *rec,
    enum crp_store_outcome *out)
{
	return s->ops->record_verification(s, rec, out);
}
/* Mark issued (replays are refused from then on): 1 done, 0 no such record, -1. */
static inline int
crp_store_mark_issued(struct crp_store *s, const char *challenge_id, int64_t issued_at,
    const char *thumbprint)
{
	return s->ops->mark_issued(s, challenge_id, issued_at, thumbprint);
}
/* Remember the last notify disposition: 1, 0 no such record, -1. */
static inline int
crp_store_set_disposition(struct crp_store *s, const char *challenge_id, int64_t disposition)
{
	return s->ops->set_disposition(s, challenge_id, disposition);
}
/* 1 found (out filled, crp_record_clear() it), 0 not found, -1 error. */
static inline int
crp_store_lookup(struct crp_store *s, enum crp_lookup_by by, const char *value,
    struct crp_record *out)
{
	return s->ops->lookup(s, by, value, out);
}
/* Delete records whose challenge expired before the given time. */
static inline int
crp_store_purge_expired(struct crp_store *s, int64_t expired_before, int64_t *purged)
{
	return s->ops->purge_expired(s, expired_before, purged);
}
/* A step of the store's own transaction; 0 for a store without any.  -1
 * on failure (crp_store_error() says why).  UNDO fails when the job's
 * changes cannot be undone alone: the caller must then roll the whole
 * batch back.  After a failed statement nothing but ROLLBACK succeeds. */
static inline int
crp_store_txn(struct crp_store *s, enum crp_store_txn step)
{
	return s->ops->txn != NULL ? s->ops->txn(s, step) : 0;
}
/* Whether the store has transactions of its own (it is not in state.db). */
static inline bool
crp_store_has_txn(const struct crp_store *s)
{
	return s != NULL && s->ops->txn != NULL;
}
/* The message of the last failure and its code: 0x00001020
 * (NDES_ChallengeStore_Unavailable) or 0x00001021 (login refused).  A store
 * with transactions of its own says "" when nothing failed since the last
 * BEGIN or MARK; the SQLite store gives state.db's last message. */
static inline const char *
crp_store_error(struct crp_store *s, uint32_t *code)
{
	return s->ops->error(s, code);
}
static inline void
crp_store_free(struct crp_store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

void	crp_record_clear(struct crp_record *rec);
const char *crp_store_outcome_name(enum crp_store_outcome o);

/* The SQLite implementation over crpd's state database (crp_db.h). */
struct ndes_db;
struct crp_store *crp_store_sqlite_new(struct ndes_db *db);

/* The PostgreSQL implementation (docs/crpd.md, "The PostgreSQL store"). */
struct crp_store_pg_params {
	const char	*conninfo;		/* libpq's, without password and TLS keys */
	const char	*password_file;		/* NULL: none (libpq's defaults) */
	const char	*sslmode;		/* "verify-full", "require", "disable" */
	const char	*sslrootcert;		/* NULL: libpq's default */
	int64_t		 connect_timeout;	/* seconds */
};

/* Codes of a store that could not be opened, besides 0x00001020..22. */
#define CRP_STORE_CODE_CONFIG 0		/* its configuration is refused */

/* Connect, check the database, bring its schema up to date under an
 * advisory lock (several nodes may start at once) and prepare the
 * statements.  NULL with the reason in err and in *code 0x00001020 (cannot
 * be reached, or cannot record), 0x00001021 (login refused), 0x00001022
 * (schema of a newer version) or CRP_STORE_CODE_CONFIG. */
struct crp_store *crp_store_pg_new(const struct crp_store_pg_params *p, char *err,
	    size_t errlen, uint32_t *code);

#endif
