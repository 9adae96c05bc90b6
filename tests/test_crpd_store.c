/* The challenge store interface (crp/challenge_store.h), written against
 * the interface only and built twice: against the SQLite implementation
 * (test_crpd_store) and, with CRPD_STORE_PG, against the PostgreSQL one on
 * a real server started for each test (test_crpd_pg_store), which adds
 * what only a shared database has: two connections racing on one
 * challenge, the database deciding. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenge_store.h"
#include "crp_db.h"
#include "log.h"
#include "storage.h"
#ifdef CRPD_STORE_PG
#include "lib/pg_harness.h"
#endif

static char dir[] = "/tmp/crpd-store-XXXXXX";
static struct ndes_db *db;
static struct crp_store *store;

#ifdef CRPD_STORE_PG
static struct pg_h *pg;
static char *password_file;

static struct crp_store *
store_new(void)
{
	struct crp_store_pg_params p = { .conninfo = NULL, .password_file = password_file,
	    .sslmode = "disable", .connect_timeout = 5 };
	char conninfo[512], err[512];
	struct crp_store *s;
	uint32_t code;

	snprintf(conninfo, sizeof(conninfo), "host=%s port=5432 dbname=crpd user=crpd", pg->host);
	p.conninfo = conninfo;
	s = crp_store_pg_new(&p, err, sizeof(err), &code);
	cr_assert_not_null(s, "0x%08X %s", code, err);
	cr_assert_eq(crp_store_txn(s, CRP_STORE_BEGIN), 0);
	return s;
}

static void
backend_setup(void)
{
	pg = pg_h_start(NULL);
	pg_h_role(pg, "crpd", "store-test-password");
	password_file = pg_h_password_file(pg, "crpd.password", "store-test-password", 0600);
}

static void
backend_teardown(void)
{
	free(password_file);
	pg_h_free(pg);
}
#else
static struct crp_store *
store_new(void)
{
	char path[256], err[512];

	snprintf(path, sizeof(path), "%s/crp/state.db", dir);
	db = crp_db_open(path, err, sizeof(err));
	cr_assert_not_null(db, "%s", err);
	return crp_store_sqlite_new(db);
}

static void
backend_setup(void)
{
}

static void
backend_teardown(void)
{
}
#endif

/* What was done so far, committed (the SQLite store has nothing to do). */
static void
store_reopen(void)
{
	cr_assert_eq(crp_store_txn(store, CRP_STORE_COMMIT), 0);
	crp_store_free(store);
	ndes_db_close(db);
	db = NULL;
	store = store_new();
}

static void
setup(void)
{
	log_init("test-store", LOG_LEVEL_WARN);
	cr_assert_not_null(mkdtemp(dir));
	backend_setup();
	store = store_new();
}

static void
teardown(void)
{
	char cmd[300];

	if (store != NULL)
		crp_store_txn(store, CRP_STORE_ROLLBACK);
	crp_store_free(store);
	ndes_db_close(db);
	backend_teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(crpd_store, .init = setup, .fini = teardown, .timeout = 60);

#define KEY_A "AAAA000000000000000000000000000000000000000000000000000000000001"
#define KEY_B "BBBB000000000000000000000000000000000000000000000000000000000002"

static struct crp_record
rec(const char *id, const char *key, const char *txn, int64_t exp)
{
	static uint8_t csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	return (struct crp_record){ .challenge_id = (char *)id, .pubkey_hash = (char *)key,
	    .transaction_id = (char *)txn, .device_id = "dev", .user_id = "user@x",
	    .template_name = "T", .csr_der = csr, .csr_len = sizeof(csr), .verified_at = 100,
	    .expires_at = exp };
}

/* What was done so far committed, a new transaction begun (a store with
 * transactions of its own gives a verification's outcome at COMMIT). */
static void
settle(void)
{
	cr_assert_eq(crp_store_txn(store, CRP_STORE_COMMIT), 0, "%s",
	    crp_store_error(store, &(uint32_t){ 0 }));
	cr_assert_eq(crp_store_txn(store, CRP_STORE_BEGIN), 0);
}

static enum crp_store_outcome
record(const char *id, const char *key, const char *txn)
{
	struct crp_record r = rec(id, key, txn, 1000);
	enum crp_store_outcome o = 99;

	cr_assert_eq(crp_store_record_verification(store, &r, &o), 0);
	settle();
	return o;
}

Test(crpd_store, one_time_use)
{
	cr_assert_eq(record("c1", KEY_A, "t1"), CRP_STORE_NEW);
	cr_assert_eq(record("c1", KEY_A, "t2"), CRP_STORE_SAME_KEY_RETRY);
	cr_assert_eq(record("c1", KEY_B, "t3"), CRP_STORE_REPLAY_OTHER_KEY);
	cr_assert_eq(crp_store_mark_issued(store, "c1", 200, "THUMB"), 1);
	cr_assert_eq(record("c1", KEY_A, "t4"), CRP_STORE_REPLAY_ISSUED);
	cr_assert_eq(record("c1", KEY_B, "t5"), CRP_STORE_REPLAY_ISSUED);
	cr_assert_eq(record("c2", KEY_B, "t6"), CRP_STORE_NEW);
	cr_assert_eq(crp_store_mark_issued(store, "nope", 200, "THUMB"), 0);
}

Test(crpd_store, lookups)
{
	struct crp_record out;

	record("c1", KEY_A, "t1");
	record("c1", KEY_A, "t1-retry");	/* a retry takes the new transaction ID */
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_CHALLENGE_ID, "c1", &out), 1);
	cr_assert_str_eq(out.transaction_id, "t1-retry");
	cr_assert_str_eq(out.pubkey_hash, KEY_A);
	cr_assert_str_eq(out.device_id, "dev");
	cr_assert_eq(out.csr_len, 5);
	cr_assert_eq(out.state, CRP_RECORD_VERIFIED);
	cr_assert_eq(out.last_disposition, -1);
	crp_record_clear(&out);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_PUBKEY_HASH, KEY_A, &out), 1);
	cr_assert_str_eq(out.challenge_id, "c1");
	crp_record_clear(&out);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_TRANSACTION_ID, "t1-retry", &out), 1);
	cr_assert_str_eq(out.challenge_id, "c1");
	crp_record_clear(&out);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_TRANSACTION_ID, "t1", &out), 0);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_PUBKEY_HASH, KEY_B, &out), 0);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_CHALLENGE_ID, "c9", &out), 0);
}

Test(crpd_store, pubkey_lookup_prefers_the_record_not_issued_yet)
{
	struct crp_record out;

	record("old", KEY_A, "t1");
	cr_assert_eq(crp_store_mark_issued(store, "old", 200, "T1"), 1);
	record("new", KEY_A, "t2");	/* the same device key, a new challenge */
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_PUBKEY_HASH, KEY_A, &out), 1);
	cr_assert_str_eq(out.challenge_id, "new");
	crp_record_clear(&out);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_CHALLENGE_ID, "old", &out), 1);
	cr_assert_eq(out.state, CRP_RECORD_ISSUED);
	cr_assert_eq(out.issued_at, 200);
	cr_assert_str_eq(out.issued_thumbprint, "T1");
	crp_record_clear(&out);
}

Test(crpd_store, disposition)
{
	struct crp_record out;

	record("c1", KEY_A, "t1");
	cr_assert_eq(crp_store_set_disposition(store, "c1", 3), 1);
	cr_assert_eq(crp_store_set_disposition(store, "c9", 3), 0);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_CHALLENGE_ID, "c1", &out), 1);
	cr_assert_eq(out.last_disposition, 3);
	crp_record_clear(&out);
}

Test(crpd_store, purge_expired)
{
	struct crp_record r1 = rec("c1", KEY_A, "t1", 1000), r2 = rec("c2", KEY_B, "t2", 2000);
	enum crp_store_outcome o;
	int64_t n = -1;

	cr_assert_eq(crp_store_record_verification(store, &r1, &o), 0);
	cr_assert_eq(crp_store_record_verification(store, &r2, &o), 0);
	cr_assert_eq(crp_store_purge_expired(store, 1000, &n), 0);
	cr_assert_eq(n, 0);	/* expired *before* 1000 only */
	cr_assert_eq(crp_store_purge_expired(store, 1500, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(record("c2", KEY_A, "t3"), CRP_STORE_REPLAY_OTHER_KEY);
	cr_assert_eq(record("c1", KEY_B, "t4"), CRP_STORE_NEW);
}

Test(crpd_store, records_survive_reopening)
{
	record("c1", KEY_A, "t1");
	store_reopen();
	cr_assert_eq(record("c1", KEY_B, "t2"), CRP_STORE_REPLAY_OTHER_KEY);
}

#ifdef CRPD_STORE_PG
/* Another node's connection, deciding on a challenge in a thread. */
struct racer {
	struct crp_store	*store;
	struct crp_record	 rec;
	enum crp_store_outcome	 outcome;
	int			 rc;
	bool			 done;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;

	r->rc = crp_store_record_verification(r->store, &r->rec, &r->outcome);
	if (r->rc == 0)
		r->rc = crp_store_txn(r->store, CRP_STORE_COMMIT);
	__atomic_store_n(&r->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
mark_issued(const char *id)
{
	cr_assert_eq(crp_store_mark_issued(store, id, 200, "THUMB"), 1);
}

/* This node records id for KEY_A (then `between`) and keeps its
 * transaction open; another node records id for key meanwhile.  The other
 * must wait for this transaction to end and decide from what it left:
 * the database decides, in one statement, never both nodes. */
static enum crp_store_outcome
race(const char *id, const char *key, bool commit, void (*between)(const char *))
{
	struct racer r = { .store = store_new(), .rec = rec(id, key, "t-other", 1000),
	    .outcome = 99, .rc = -2 };
	struct crp_record mine = rec(id, KEY_A, "t-this", 1000), seen;
	enum crp_store_outcome o = 99;
	pthread_t t;

	/* recorded in an open transaction (the lookup sends what waits) */
	cr_assert_eq(crp_store_record_verification(store, &mine, &o), 0);
	cr_assert_eq(crp_store_lookup(store, CRP_LOOKUP_CHALLENGE_ID, id, &seen), 1);
	crp_record_clear(&seen);
	cr_assert_eq(o, CRP_STORE_NEW);
	if (between != NULL)
		between(id);
	cr_assert_eq(pthread_create(&t, NULL, racer_main, &r), 0);
	usleep(300000);
	cr_assert_not(__atomic_load_n(&r.done, __ATOMIC_SEQ_CST),
	    "%s: the other node decided before this one's transaction ended", id);
	cr_assert_eq(crp_store_txn(store, commit ? CRP_STORE_COMMIT : CRP_STORE_ROLLBACK), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(r.rc, 0, "%s: the other node failed: %s", id,
	    crp_store_error(r.store, &(uint32_t){ 0 }));
	crp_store_free(r.store);
	cr_assert_eq(crp_store_txn(store, CRP_STORE_BEGIN), 0);
	return r.outcome;
}

Test(crpd_store, two_nodes_racing_on_one_challenge_the_database_decides)
{
	cr_assert_eq(race("r1", KEY_B, true, NULL), CRP_STORE_REPLAY_OTHER_KEY);
	cr_assert_eq(race("r2", KEY_A, true, NULL), CRP_STORE_SAME_KEY_RETRY);
	cr_assert_eq(race("r3", KEY_B, false, NULL), CRP_STORE_NEW);
	cr_assert_eq(race("r4", KEY_A, true, mark_issued), CRP_STORE_REPLAY_ISSUED);
}
#endif
