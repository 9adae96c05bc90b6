/* ndes-crpd one-time use: a challenge may be verified again for the same
 * key until it is issued, never for another key, never after issuance;
 * across kill -9 and restarts; expired records are purged. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static EVP_PKEY *key_a, *key_b;

static void
start_with(const struct crpd_h_opts *o)
{
	key_a = testpki_key("ec-p256");
	key_b = testpki_key("ec-p256");
	h = crpd_h_launch(o);
}

static void
setup(void)
{
	start_with(NULL);
}

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
}

TestSuite(crpd_replay, .init = setup, .fini = teardown, .timeout = 60);

#define ID "12345678-aaaa-4c55-9a7e-1b2c3d4e5f60"

static void
verify_ok(EVP_PKEY *key, const char *txn)
{
	struct crpd_h_reply r;

	crpd_h_verify_default(h, ID, key, txn, &r);
	cr_assert(r.verified, "%s refused: %u 0x%08X %s", txn, r.event_id, r.code, r.reason);
}

static void
verify_replay(EVP_PKEY *key, const char *txn, const char *why)
{
	struct crpd_h_reply r;
	json_t *arr, *e;

	crpd_h_verify_default(h, ID, key, txn, &r);
	cr_assert_not(r.verified, "%s verified", txn);
	cr_assert_eq(r.event_id, 20501);
	cr_assert_eq(r.code, 0x100A, "0x%08X %s", r.code, r.reason);
	cr_assert(strstr(r.reason, why), "%s", r.reason);
	e = crpd_h_expect_event(h, txn, 20501, 0x100A, &arr);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_NAME")),
	    "NDES_Challenge_Replayed");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_CHALLENGE_ID")), ID);
	json_decref(arr);
}

static void
issue(EVP_PKEY *key, const char *txn)
{
	struct crpd_h_notify_reply nr;
	uint8_t *cert;
	size_t len;

	cert = crpd_h_issue(key, "alice", &len);
	crpd_h_notify(h, NULL, txn, 0, 0, cert, len, "", &nr);
	cr_assert(nr.accepted, "notify refused: 0x%08X %s", nr.code, nr.message);
	OPENSSL_free(cert);
}

Test(crpd_replay, same_key_may_retry)
{
	json_t *arr;

	verify_ok(key_a, "txn-first");
	verify_ok(key_a, "txn-retry");
	verify_ok(key_a, "txn-retry-2");
	crpd_h_expect_event(h, "txn-retry", 20500, 0, &arr);
	json_decref(arr);
	cr_assert_eq(crpd_h_sql_count(h, "SELECT count(*) FROM challenges"), 1);
}

Test(crpd_replay, another_key_is_a_replay)
{
	verify_ok(key_a, "txn-a");
	verify_replay(key_b, "txn-b", "replay with another key");
	/* the first key may still retry */
	verify_ok(key_a, "txn-a-again");
}

Test(crpd_replay, after_issuance_even_the_same_key_is_a_replay)
{
	verify_ok(key_a, "txn-issue");
	issue(key_a, "txn-issue");
	verify_replay(key_a, "txn-after-issue", "replay after issuance");
	verify_replay(key_b, "txn-after-issue-b", "replay after issuance");
}

Test(crpd_replay, survives_kill_9)
{
	verify_ok(key_a, "txn-before-kill");
	crpd_h_kill9(h);
	crpd_h_start(h);
	verify_replay(key_b, "txn-after-kill", "replay with another key");
	verify_ok(key_a, "txn-after-kill-same-key");
}

/* A notification joins the verifications' group commit and is answered
 * once the sync thread synced it: the issuance it recorded survives kill -9
 * right after the answer. */
Test(crpd_replay, issued_state_survives_kill_9_after_the_answer)
{
	verify_ok(key_a, "txn-k1");
	issue(key_a, "txn-k1");
	crpd_h_kill9(h);
	crpd_h_start(h);
	verify_replay(key_a, "txn-k2", "replay after issuance");
}

Test(crpd_replay, issued_state_survives_restart)
{
	verify_ok(key_a, "txn-r1");
	issue(key_a, "txn-r1");
	crpd_h_stop(h);
	crpd_h_start(h);
	verify_replay(key_a, "txn-r2", "replay after issuance");
}

Test(crpd_replay, concurrent_verifications_of_one_challenge_admit_one_key)
{
	enum { N = 8 };
	EVP_PKEY *keys[N];
	pid_t pids[N];
	int verified = 0, status;

	for (int i = 0; i < N; i++)
		keys[i] = testpki_key("ec-p256");
	for (int i = 0; i < N; i++) {
		if ((pids[i] = fork()) == 0) {
			struct crpd_h_reply r;
			char txn[32];

			snprintf(txn, sizeof(txn), "txn-race-%d", i);
			crpd_h_verify_default(h, ID, keys[i], txn, &r);
			_exit(r.verified ? 0 : r.code == 0x100A ? 1 : 2);
		}
	}
	for (int i = 0; i < N; i++) {
		waitpid(pids[i], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "child %d: 0x%x", i,
		    status);
		verified += WEXITSTATUS(status) == 0;
	}
	cr_assert_eq(verified, 1, "%d keys verified one challenge", verified);
	for (int i = 0; i < N; i++)
		EVP_PKEY_free(keys[i]);
}

Test(crpd_replay, expired_records_are_purged)
{
	struct ndes_challenge_claims c;
	struct crpd_h_reply r;
	long n = -1;

	teardown();
	start_with(&(struct crpd_h_opts){ .extra_yaml = "purge_after: 0s\npurge_interval: 1s" });
	crpd_h_claims(&c, ID);
	c.expires_at = (int64_t)time(NULL) + 2;
	crpd_h_verify_claims(h, &c, key_a, "txn-purge", &r);
	cr_assert(r.verified, "%s", r.reason);
	cr_assert_eq(crpd_h_sql_count(h, "SELECT count(*) FROM challenges"), 1);
	for (int i = 0; i < 100 && n != 0; i++) {
		usleep(100000);
		n = crpd_h_sql_count(h, "SELECT count(*) FROM challenges");
	}
	cr_assert_eq(n, 0, "the expired record was not purged");
}

/* Challenge records in the main database file alone (its WAL left out):
 * what is on disk once the sync thread has checkpointed.  0 while even the
 * table is only in the WAL, -1 when the copy could not be read. */
static long
count_in_main_file(void)
{
	char *cmd;
	FILE *p;
	long n = -1;

	cr_assert_neq(asprintf(&cmd, "cd '%s' && cp crp/state.db main-only.db && "
	    "t=$(sqlite3 main-only.db \"SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'challenges'\") && if [ \"$t\" = 1 ]; then "
	    "sqlite3 main-only.db 'SELECT count(*) FROM challenges'; else echo \"$t\"; fi; "
	    "rm -f main-only.db", h->dir), -1);
	cr_assert_not_null((p = popen(cmd, "r")));
	/* A copy taken while a checkpoint writes the file can be torn: -1,
	 * and the callers that poll ask again. */
	if (fscanf(p, "%ld", &n) != 1)
		n = -1;
	pclose(p);
	free(cmd);
	return n;
}

Test(crpd_replay, state_sync_interval_puts_the_record_on_disk_within_the_interval)
{
	long n = 0;

	teardown();
	start_with(&(struct crpd_h_opts){ .extra_yaml = "state_sync: {interval_ms: 20}" });
	verify_ok(key_a, "txn-synced");
	for (int i = 0; i < 50 && n != 1; i++) {
		usleep(20000);
		n = count_in_main_file();
	}
	cr_assert_eq(n, 1, "the record is not in the database file after 1 s");
}

Test(crpd_replay, answered_before_the_sync_and_still_survives_kill_9)
{
	teardown();
	start_with(&(struct crpd_h_opts){ .extra_yaml = "state_sync: {interval_ms: 10000}" });
	verify_ok(key_a, "txn-unsynced");
	usleep(200000);
	/* not checkpointed yet: only the WAL has it ... */
	cr_assert_eq(count_in_main_file(), 0);
	crpd_h_kill9(h);
	/* ... and the WAL is enough after a crash of crpd */
	crpd_h_start(h);
	verify_replay(key_b, "txn-unsynced-b", "replay with another key");
	verify_ok(key_a, "txn-unsynced-again");
}

Test(crpd_replay, state_sync_commit_survives_kill_9)
{
	teardown();
	start_with(&(struct crpd_h_opts){ .extra_yaml = "state_sync: {mode: commit}" });
	verify_ok(key_a, "txn-commit");
	crpd_h_kill9(h);
	crpd_h_start(h);
	verify_replay(key_b, "txn-commit-b", "replay with another key");
}
