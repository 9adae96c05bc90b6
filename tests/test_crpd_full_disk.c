/* ndes-crpd with its state database on a small file system (a tmpfs
 * mounted for the test: root only).
 *   - Full: every verification and notification is refused with 20502 /
 *     20602 and 0x00001020, none is answered as verified or accepted; once
 *     space is back it verifies again, and what it then answered is on
 *     disk (after kill -9 another key is a replay).  Meanwhile crpd's STATUS
 *     says its `store` error (crp_errors.h), cleared by that verification.
 *   - The WAL stays within its limit (CRP_DB_WAL_MAX_BYTES, 4 MiB) over 1000
 *     verifications and is emptied once crpd is idle. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crp_db.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static char *store_dir;		/* <dir>/crp, the tmpfs */
static pid_t filler;

/* crpd with <dir>/crp (its state.db) on a tmpfs of size bytes. */
static void
launch_on_tmpfs(const char *size)
{
	char opts[64];

	if (geteuid() != 0)
		cr_skip_test("mounting a small tmpfs for crpd's state needs root");
	h = crpd_h_new(NULL);
	store_dir = crpd_h_path(h, "crp");
	cr_assert_eq(mkdir(store_dir, 0700), 0);
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	cr_assert_eq(mount("tmpfs", store_dir, "tmpfs", 0, opts), 0, "mount: %s",
	    strerror(errno));
	crpd_h_start(h);
}

static void
fill_stop(void)
{
	char *path;

	if (filler > 0) {
		kill(filler, SIGKILL);
		waitpid(filler, NULL, 0);
		filler = 0;
	}
	if (store_dir != NULL && asprintf(&path, "%s/filler", store_dir) != -1) {
		unlink(path);
		free(path);
	}
}

static void
teardown(void)
{
	fill_stop();
	if (h != NULL)
		crpd_h_stop(h);
	if (store_dir != NULL)
		umount2(store_dir, MNT_DETACH);
	free(store_dir);
	store_dir = NULL;
	crpd_h_free(h);
	h = NULL;
}

TestSuite(crpd_full_disk, .fini = teardown, .timeout = 90);

static long long
wal_size(void)
{
	struct stat sb;
	char *path;
	long long n;

	cr_assert_neq(asprintf(&path, "%s/state.db-wal", store_dir), -1);
	n = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
	free(path);
	return n;
}

/* Until crpd's idle maintenance emptied the WAL (at most 4 s): the next
 * commit must then grow it. */
static long long
wal_wait_empty(void)
{
	long long n = 0;

	for (int i = 0; i < 40 && (n = wal_size()) != 0; i++)
		usleep(100000);
	return n;
}

/* A child that keeps the file system full: whatever SQLite frees (a WAL
 * truncated) is taken again within 20 ms. */
static void
fill_start(void)
{
	static const char zero[4096];
	char *path;
	int fd;

	cr_assert_neq(asprintf(&path, "%s/filler", store_dir), -1);
	if ((filler = fork()) == 0) {
		for (;;) {
			if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600)) != -1) {
				while (write(fd, zero, sizeof(zero)) == (ssize_t)sizeof(zero))
					;
				close(fd);
			}
			usleep(20000);
		}
	}
	cr_assert_gt(filler, 0);
	free(path);
	usleep(200000);
}

static void
expect_refused(const char *id, EVP_PKEY *key, const char *txn)
{
	struct crpd_h_reply r;
	json_t *arr, *e;

	crpd_h_verify_default(h, id, key, txn, &r);
	cr_assert_not(r.verified, "%s verified on a full disk", txn);
	cr_assert_eq(r.event_id, 20502, "%s: %u 0x%08X %s", txn, r.event_id, r.code, r.reason);
	cr_assert_eq(r.code, 0x1020, "%s: 0x%08X %s", txn, r.code, r.reason);
	cr_assert(strstr(r.reason, "could not be recorded (database or disk is full)"), "%s",
	    r.reason);
	e = crpd_h_expect_event(h, txn, 20502, 0x1020, &arr);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_NAME")),
	    "NDES_ChallengeStore_Unavailable");
	json_decref(arr);
}

static void
expect_verified(const char *id, EVP_PKEY *key, const char *txn)
{
	struct crpd_h_reply r;

	crpd_h_verify_default(h, id, key, txn, &r);
	cr_assert(r.verified, "%s refused: %u 0x%08X %s", txn, r.event_id, r.code, r.reason);
}

static void
notify_issued(EVP_PKEY *key, const char *txn, struct crpd_h_notify_reply *nr)
{
	uint8_t *cert;
	size_t len;

	cert = crpd_h_issue(key, "alice", &len);
	crpd_h_notify(h, NULL, txn, 0, 0, cert, len, "", nr);
	OPENSSL_free(cert);
}

/* crpd's current `store` error: none, or one whose message has want. */
static void
expect_store_error(const char *want)
{
	char *msg = crpd_h_current_error(h, "store");

	if (want == NULL)
		cr_assert_null(msg, "a store error is current: %s", msg);
	else
		cr_assert(msg != NULL && strstr(msg, want) != NULL, "store error: %s",
		    msg != NULL ? msg : "none");
	free(msg);
}

#define ID_N "0000f011-0000-4000-8000-000000000001"
#define ID_V "0000f011-0000-4000-8000-000000000002"

Test(crpd_full_disk, refuses_what_it_cannot_record_and_recovers_by_itself)
{
	EVP_PKEY *a = testpki_key("ec-p256"), *b = testpki_key("ec-p256");
	struct crpd_h_notify_reply nr;
	struct crpd_h_reply r;
	json_t *arr;

	launch_on_tmpfs("1m");
	expect_verified(ID_N, a, "fd-n");
	expect_store_error(NULL);
	cr_assert_eq(wal_wait_empty(), 0, "the WAL was not emptied once idle");
	fill_start();
	expect_refused(ID_V, a, "fd-v1");
	expect_refused(ID_V, b, "fd-v2");
	notify_issued(a, "fd-notify1", &nr);
	cr_assert_not(nr.accepted, "a notification accepted on a full disk");
	cr_assert_eq(nr.code, 0x1020, "0x%08X %s", nr.code, nr.message);
	crpd_h_expect_event(h, "fd-notify1", 20602, 0x1020, &arr);
	json_decref(arr);
	expect_store_error("full");

	fill_stop();
	expect_verified(ID_V, b, "fd-v3");
	expect_store_error(NULL);
	notify_issued(a, "fd-notify2", &nr);
	cr_assert(nr.accepted, "notify refused after space returned: 0x%08X %s", nr.code,
	    nr.message);
	/* what was answered after the recovery is on disk */
	crpd_h_kill9(h);
	crpd_h_start(h);
	crpd_h_verify_default(h, ID_V, a, "fd-v4", &r);
	cr_assert(!r.verified && r.event_id == 20501 && r.code == 0x100A,
	    "another key after kill -9: %u 0x%08X %s", r.event_id, r.code, r.reason);
	crpd_h_verify_default(h, ID_N, a, "fd-n2", &r);
	cr_assert(!r.verified && r.code == 0x100A, "issued before kill -9: %u 0x%08X %s",
	    r.event_id, r.code, r.reason);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

Test(crpd_full_disk, wal_is_bounded_and_emptied_once_idle)
{
	char id[64], txn[32];
	long long largest = 0, n;
	EVP_PKEY *key;

	launch_on_tmpfs("16m");
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "0000f011-0000-4000-8000-%012d", 1000 + i);
		snprintf(txn, sizeof(txn), "wal-%d", i);
		key = testpki_key("ec-p256");
		expect_verified(id, key, txn);
		EVP_PKEY_free(key);
		if ((n = wal_size()) > largest)
			largest = n;
	}
	cr_log_info("crpd's WAL over 1000 verifications: at most %lld bytes", largest);
	cr_assert_leq(largest, CRP_DB_WAL_MAX_BYTES + 65536, "the WAL reached %lld bytes", largest);
	n = wal_wait_empty();
	cr_assert_eq(n, 0, "the WAL still holds %lld bytes 4 s after the last write", n);
}
