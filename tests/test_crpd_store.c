/* The challenge store interface (crp/challenge_store.h), run against the
 * SQLite implementation.  Written against the interface only, so that
 * another implementation (Redis) can be checked with the same tests by
 * changing store_new(). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenge_store.h"
#include "crp_db.h"
#include "log.h"
#include "storage.h"

static char dir[] = "/tmp/crpd-store-XXXXXX";
static struct ndes_db *db;
static struct crp_store *store;

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
setup(void)
{
	log_init("test-store", LOG_LEVEL_WARN);
	cr_assert_not_null(mkdtemp(dir));
	store = store_new();
}

static void
teardown(void)
{
	char cmd[300];

	crp_store_free(store);
	ndes_db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(crpd_store, .init = setup, .fini = teardown);

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

static enum crp_store_outcome
record(const char *id, const char *key, const char *txn)
{
	struct crp_record r = rec(id, key, txn, 1000);
	enum crp_store_outcome o = 99;

	cr_assert_eq(crp_store_record_verification(store, &r, &o), 0);
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
	crp_store_free(store);
	ndes_db_close(db);
	store = store_new();
	cr_assert_eq(record("c1", KEY_B, "t2"), CRP_STORE_REPLAY_OTHER_KEY);
}
