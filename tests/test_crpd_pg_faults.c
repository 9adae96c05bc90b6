/* ndes-crpd's PostgreSQL challenge store failing under load (a real server
 * started by the test):
 *   - kill -9 of a node during a verification storm: every challenge a
 *     client was told is verified is remembered (a replay with another key
 *     is refused on the other node): 0 lost;
 *   - the database stopped (pg_ctl stop -m fast) and started again during a
 *     storm: nothing is answered verified while it is down, every answer
 *     then is 20502 + 0x00001020; crpd recovers by itself (20702, then
 *     20700) and nothing acknowledged is lost;
 *   - a read-only database (a superuser sets default_transaction_read_only)
 *     refuses verifications and notifications with 0x00001020, and crpd
 *     records again once it is writable. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/pg_harness.h"
#include "lib/testpki.h"

enum { CLIENTS = 4, PER_CLIENT = 120, ITEMS = CLIENTS * PER_CLIENT };

struct item {
	char		 id[64];
	EVP_PKEY	*key;
	uint8_t		*csr;
	size_t		 csr_len;
	bool		 acked;		/* a client was told "verified" */
};

static struct pg_h *pg;
static struct crpd_h *a, *b;
static struct item items[ITEMS];
static char *yaml;

static struct crpd_h *
node(void)
{
	return crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = yaml });
}

static void
setup(void)
{
	pg = pg_h_start(NULL);
	yaml = pg_h_crpd_store(pg, "faults-test-password", "faults-test-password", 0600);
	a = node();
	crpd_h_start(a);
}

static void
teardown(void)
{
	crpd_h_free(a);
	crpd_h_free(b);
	for (int i = 0; i < ITEMS; i++) {
		EVP_PKEY_free(items[i].key);
		OPENSSL_free(items[i].csr);
	}
	free(yaml);
	pg_h_free(pg);
}

TestSuite(crpd_pg_faults, .init = setup, .fini = teardown, .timeout = 60);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
mint(int n)
{
	struct ndes_challenge_claims c;

	for (int i = 0; i < n; i++) {
		snprintf(items[i].id, sizeof(items[i].id), "0000fa17-0000-4000-8000-%012d", i);
		crpd_h_claims(&c, items[i].id);
		items[i].key = testpki_key("ec-p256");
		items[i].csr = crpd_h_csr_for(a, &c, items[i].key, &items[i].csr_len);
	}
}

/* One client of the storm: its items one after another on sock, pausing
 * pause_us between requests, until until_s.  A challenge refused with
 * 0x00001020 is tried again (as a device would); a request without an
 * answer (the node died) ends the client.  One line per answer on fd:
 * "item verified event code time". */
static void
client_main(const char *sock, int first, int n, int pause_us, double until_s, int fd)
{
	struct crpd_h_reply rep;
	char line[160], txn[64];
	int i = first, len;

	while (i < first + n && now_s() < until_s) {
		snprintf(txn, sizeof(txn), "storm-%d", i);
		if (crpd_h_try_verify(sock, items[i].csr, items[i].csr_len, txn, &rep) == -1)
			break;		/* the node is gone */
		len = snprintf(line, sizeof(line), "%d %d %u %u %.6f\n", i, rep.verified ? 1 : 0,
		    rep.event_id, rep.code, now_s());
		if (write(fd, line, (size_t)len) != len)
			_exit(4);
		if (rep.verified || rep.code != 0x1020)
			i++;
		usleep((useconds_t)pause_us);
	}
	_exit(0);
}

struct storm {
	pid_t	 pids[CLIENTS];
	int	 fd;
};

static void
storm_start(struct storm *s, const char *sock, int pause_us, double seconds)
{
	double until = now_s() + seconds;
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	for (int c = 0; c < CLIENTS; c++) {
		cr_assert_neq((s->pids[c] = fork()), -1);
		if (s->pids[c] == 0) {
			close(fds[0]);
			client_main(sock, c * PER_CLIENT, PER_CLIENT, pause_us, until, fds[1]);
		}
	}
	close(fds[1]);
	s->fd = fds[0];
}

/* Every answer, through cb, once the clients are done. */
static void
storm_end(struct storm *s, void (*cb)(int item, bool verified, unsigned ev, unsigned code,
    double t))
{
	FILE *f = fdopen(s->fd, "r");
	unsigned ev, code;
	int i, v, status;
	double t;

	cr_assert_not_null(f);
	while (fscanf(f, "%d %d %u %u %lf", &i, &v, &ev, &code, &t) == 5) {
		cr_assert(i >= 0 && i < ITEMS);
		if (v == 1)
			items[i].acked = true;
		cb(i, v == 1, ev, code, t);
	}
	fclose(f);
	for (int c = 0; c < CLIENTS; c++) {
		cr_assert_eq(waitpid(s->pids[c], &status, 0), s->pids[c]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client %d: 0x%x", c,
		    status);
	}
}

/* Every acknowledged challenge, tried with another key on h: refused as a
 * replay, and remembered in the database.  The number acknowledged. */
static int
expect_none_lost(struct crpd_h *h)
{
	EVP_PKEY *other = testpki_key("ec-p256");
	struct crpd_h_reply rep;
	int acked = 0, lost = 0;
	long remembered;
	char txn[64];

	for (int i = 0; i < ITEMS; i++) {
		if (!items[i].acked)
			continue;
		acked++;
		snprintf(txn, sizeof(txn), "replay-%d", i);
		crpd_h_verify_default(h, items[i].id, other, txn, &rep);
		if (rep.verified || rep.code != 0x100A) {
			lost++;
			cr_log_error("%s: acknowledged, then %u 0x%08X %s", items[i].id, rep.event_id,
			    rep.code, rep.reason);
		}
	}
	remembered = pg_h_sql_long(pg, "crpd", "SELECT count(*) FROM crp_challenges");
	cr_log_info("%d acknowledged, %ld remembered, %d lost", acked, remembered, lost);
	cr_assert_eq(lost, 0, "%d of %d acknowledged verifications lost", lost, acked);
	cr_assert_geq(remembered, acked);
	EVP_PKEY_free(other);
	return acked;
}

static void
ignore_answer(int item, bool verified, unsigned ev, unsigned code, double t)
{
}

Test(crpd_pg_faults, kill_9_of_a_node_during_a_storm_loses_nothing)
{
	struct storm s;

	b = node();
	crpd_h_share_pki(b, a);
	crpd_h_start(b);
	mint(ITEMS);
	storm_start(&s, a->sock, 10000, 4);
	usleep(700000);
	crpd_h_kill9(a);
	storm_end(&s, ignore_answer);
	cr_assert_geq(expect_none_lost(b), 20, "too few verifications before the kill");
}

/* The database's down time, and what was answered in it. */
static double down_from, down_to;
static int answered_down, verified_down, other_down, verified_after;

static void
check_answer(int item, bool verified, unsigned ev, unsigned code, double t)
{
	if (t > down_from && t < down_to) {
		answered_down++;
		verified_down += verified;
		other_down += !verified && (ev != 20502 || code != 0x1020);
	} else if (t >= down_to && verified)
		verified_after++;
}

static void
expect_event(struct crpd_h *h, const char *id, const char *code)
{
	json_t *arr = crpd_h_events_where(h, "NDES_EVENT_ID", id, 1);

	cr_assert_geq(json_array_size(arr), 1, "no event %s", id);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0),
	    "NDES_DIAG_CODE")), code);
	json_decref(arr);
}

Test(crpd_pg_faults, database_stopped_and_started_during_a_storm)
{
	struct storm s;

	mint(ITEMS);
	storm_start(&s, a->sock, 30000, 8);
	usleep(1500000);
	pg_h_stop(pg, "fast");
	down_from = now_s();
	usleep(2000000);
	down_to = now_s();
	pg_h_restart(pg);
	storm_end(&s, check_answer);
	cr_log_info("while the database was down: %d answers, %d verified; %d verified after",
	    answered_down, verified_down, verified_after);
	cr_assert_geq(answered_down, 10, "the storm did not reach crpd while the database was down");
	cr_assert_eq(verified_down, 0, "%d verified while the database was down", verified_down);
	cr_assert_eq(other_down, 0, "%d answers other than 20502 + 0x1020 while it was down",
	    other_down);
	cr_assert_gt(verified_after, 0, "crpd did not recover once the database was back");
	expect_event(a, "20702", "0x00001020");
	expect_event(a, "20700", "0x00000000");
	expect_none_lost(a);
}

static void
set_read_only(const char *on_off)
{
	free(pg_h_sql(pg, "postgres", "ALTER SYSTEM SET default_transaction_read_only = %s",
	    on_off));
	free(pg_h_sql(pg, "postgres", "SELECT pg_reload_conf()"));
	usleep(500000);
}

Test(crpd_pg_faults, read_only_database_refuses_then_recovers)
{
	EVP_PKEY *key = testpki_key("ec-p256"), *other = testpki_key("ec-p256");
	struct crpd_h_notify_reply nr;
	struct crpd_h_reply r;
	uint8_t *cert;
	size_t len;
	json_t *arr;
	int tries = 0;

	crpd_h_verify_default(a, "0000fa17-0000-4000-8000-00000000ff01", key, "ro-before", &r);
	cr_assert(r.verified, "%u 0x%08X %s", r.event_id, r.code, r.reason);
	set_read_only("on");
	crpd_h_verify_default(a, "0000fa17-0000-4000-8000-00000000ff02", key, "ro-1", &r);
	cr_assert(!r.verified && r.event_id == 20502 && r.code == 0x1020 &&
	    strstr(r.reason, "read-only transaction") != NULL, "%u 0x%08X %s", r.event_id, r.code,
	    r.reason);
	crpd_h_expect_event(a, "ro-1", 20502, 0x1020, &arr);
	json_decref(arr);
	expect_event(a, "20702", "0x00001020");
	cert = crpd_h_issue(key, "alice", &len);
	crpd_h_notify(a, NULL, "ro-before", 0, 0, cert, len, "", &nr);
	cr_assert(!nr.accepted && nr.code == 0x1020, "notify: 0x%08X %s", nr.code, nr.message);
	set_read_only("off");
	do {
		usleep(200000);
		crpd_h_verify_default(a, "0000fa17-0000-4000-8000-00000000ff02", key, "ro-2", &r);
	} while (!r.verified && ++tries < 25);
	cr_assert(r.verified, "still refused once writable: %u 0x%08X %s", r.event_id, r.code,
	    r.reason);
	expect_event(a, "20700", "0x00000000");
	crpd_h_verify_default(a, "0000fa17-0000-4000-8000-00000000ff02", other, "ro-3", &r);
	cr_assert(!r.verified && r.code == 0x100A, "%u 0x%08X %s", r.event_id, r.code, r.reason);
	crpd_h_notify(a, NULL, "ro-before", 0, 0, cert, len, "", &nr);
	cr_assert(nr.accepted, "notify once writable: 0x%08X %s", nr.code, nr.message);
	OPENSSL_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}
