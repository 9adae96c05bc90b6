/* The policy module's code (linked in, not dlopen'd: tests/policy_host.c
 * does that) against the stand-in ndes-crpd tests/policy_host_peer:
 * configuration, verdicts, fail-closed errors, timeouts, reconnects. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "policy_host_util.h"
#include "policy_int.h"
#include "lib/testpki.h"

static const uint8_t csr[] = { 0x30, 0x03, 0x02, 0x01, 0x07 }; /* not parsed by the module */

static char *dir, *sock, *logfile;
static pid_t peer;
static const struct ndes_policy_v1 *api;

static void
setup(void)
{
	dir = tmpdir_make("ndes-policy");
	cr_assert_not_null(dir);
	sock = tmpdir_path(dir, "crp.sock");
	logfile = tmpdir_path(dir, "peer.log");
	api = ndes_policy_entry(NDES_POLICY_ABI_VERSION);
	cr_assert_not_null(api);
}

static void
teardown(void)
{
	ptest_peer_stop(peer, SIGKILL);
	free(sock);
	free(logfile);
	tmpdir_remove(dir);
}

TestSuite(policy, .init = setup, .fini = teardown, .timeout = 30);

static void
start_peer(void)
{
	peer = ptest_peer_start(sock, logfile);
	cr_assert_gt(peer, 0, "the stand-in ndes-crpd did not start");
}

static void
quiet(void *arg, int level, const char *msg)
{
}

/* A handle on the test's socket; its diagnostics are dropped (the tests
 * that check them set their own callback). */
static struct ndes_policy *
handle(int timeout_ms, size_t connections, const char *template_name)
{
	struct ndes_policy *pol;
	char err[256];

	cr_assert_eq(policy_new_ms(sock, timeout_ms, connections, template_name, &pol, err,
	    sizeof(err)), 0, "%s", err);
	policy_set_log(pol, quiet, NULL);
	return pol;
}

/* The stand-in ndes-crpd started, and a handle on it. */
static struct ndes_policy *
peer_and_handle(int timeout_ms, size_t connections, const char *template_name)
{
	start_peer();
	return handle(timeout_ms, connections, template_name);
}

static char *
write_config(const char *text)
{
	char *path = tmpdir_path(dir, "policy.yaml");
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int
verify(struct ndes_policy *pol, const char *tmpl, const char *txn, struct ndes_policy_verdict *v)
{
	return api->verify_request(pol, csr, sizeof(csr), NULL, 0, tmpl, txn, v);
}

/* ---- The ABI table ------------------------------------------------------ */

Test(policy, entry_answers_version_1_only)
{
	cr_assert_eq(api->abi_version, 1);
	cr_assert_eq(api->size, sizeof(struct ndes_policy_v1));
	cr_assert_str_eq(api->version, PACKAGE_VERSION);
	cr_assert_null(ndes_policy_entry(0));
	cr_assert_null(ndes_policy_entry(2));
	cr_assert_eq(ndes_policy_entry(1), api);
}

Test(policy, generate_challenge_is_not_supported)
{
	char buf[8] = "junk";

	cr_assert_eq(api->generate_challenge(NULL, "tmpl", NULL, buf, sizeof(buf)),
	    NDES_POLICY_E_NOT_SUPPORTED);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(api->generate_challenge(NULL, NULL, NULL, NULL, 0),
	    NDES_POLICY_E_NOT_SUPPORTED);
	cr_assert_str_eq(api->strerror(NDES_POLICY_E_NOT_SUPPORTED), "not supported");
}

Test(policy, strerror_names_every_result)
{
	cr_assert_str_eq(api->strerror(0), "ok");
	cr_assert_str_eq(api->strerror(-1), "invalid argument");
	cr_assert_str_eq(api->strerror(-2), "configuration refused");
	cr_assert_str_eq(api->strerror(-4), "ndes-crpd unavailable");
	cr_assert_str_eq(api->strerror(-5), "timed out");
	cr_assert_str_eq(api->strerror(-6), "protocol error");
	cr_assert_str_eq(api->strerror(-7), "rejected by ndes-crpd");
	cr_assert_str_eq(api->strerror(-8), "out of memory");
	cr_assert_str_eq(api->strerror(42), "unknown result");
}

/* ---- Configuration ------------------------------------------------------ */

Test(policy, initialize_reads_the_file)
{
	char *path = write_config("crp_socket: /tmp/x/crp.sock\ntimeout: 2s\nconnections: 3\n"
	    "template_name: Intune\nexec: {state_dir: /tmp/st, max_request: 4KiB}\n");
	struct ndes_policy *pol;
	char err[256] = "";

	cr_assert_eq(api->initialize(path, &pol, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pol->socket_path, "/tmp/x/crp.sock");
	cr_assert_eq(pol->timeout_ms, 2000);
	cr_assert_str_eq(pol->template_name, "Intune");
	api->uninitialize(pol);
	free(path);
}

Test(policy, config_defaults)
{
	struct policy_cfg cfg;
	char *path = write_config("# nothing\n");

	cr_assert_eq(policy_config_load(path, &cfg, NULL, 0), 0);
	cr_assert_str_eq(cfg.crp_socket, "/run/ndes/crp.sock");
	cr_assert_eq(cfg.timeout, 5);
	cr_assert_eq(cfg.connections, 4);
	cr_assert_str_eq(cfg.template_name, "");
	cr_assert_eq(cfg.exec.max_request, 128 * 1024);
	cr_assert_str_eq(cfg.exec.state_dir, "/var/lib/ndes/policy-exec");
	cr_assert(cfg.exec.log_journal);
	policy_config_free(&cfg);
	free(path);
}

Test(policy, initialize_without_a_file_uses_defaults)
{
	struct ndes_policy *pol;

	if (access(policy_config_default_path(), F_OK) == 0)
		cr_skip_test("%s exists on this machine", policy_config_default_path());
	cr_assert_eq(api->initialize(NULL, &pol, NULL, 0), 0);
	cr_assert_str_eq(pol->socket_path, "/run/ndes/crp.sock");
	cr_assert_eq(pol->timeout_ms, 5000);
	api->uninitialize(pol);
}

static void
assert_config_refused(const char *yaml, const char *want)
{
	char *path = write_config(yaml), *full;
	struct ndes_policy *pol = (struct ndes_policy *)1;
	char err[512] = "";

	cr_assert_eq(api->initialize(path, &pol, err, sizeof(err)), NDES_POLICY_E_CONFIG);
	cr_assert_null(pol);
	cr_assert_neq(asprintf(&full, "%s:%s", path, want), -1);
	cr_assert_str_eq(err, full);
	free(full);
	free(path);
}

Test(policy, initialize_refuses_bad_configs)
{
	assert_config_refused("bogus: 1\n", "1:1: unknown key \"bogus\" (expected one of: "
	    "crp_socket, timeout, connections, template_name, exec)");
	assert_config_refused("timeout: 0\n", "1:10: timeout: expected a duration between 1s "
	    "and 5m, got \"0\"");
	assert_config_refused("connections: 65\n", "1:14: connections: expected an integer "
	    "between 1 and 64, got \"65\"");
	assert_config_refused("crp_socket: /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	    "1:13: crp_socket: socket path longer than 107 bytes");
	assert_config_refused("exec: {max_request: 1MiB}\n", "1:21: exec.max_request: expected "
	    "a size between 1KiB and 256KiB, got \"1MiB\"");
}

Test(policy, initialize_refuses_a_missing_file_and_null_out)
{
	char err[256];

	cr_assert_eq(api->initialize("/nonexistent/policy.yaml", (struct ndes_policy **)&err,
	    err, sizeof(err)), NDES_POLICY_E_CONFIG);
	cr_assert_str_eq(err, "/nonexistent/policy.yaml: cannot open: No such file or directory");
	cr_assert_eq(api->initialize(NULL, NULL, err, sizeof(err)), NDES_POLICY_E_INVALID);
	cr_assert_str_eq(err, "initialize: no place for the handle");
	api->uninitialize(NULL);
}

/* ---- Verdicts ----------------------------------------------------------- */

Test(policy, verified_request_forwards_every_field)
{
	struct ndes_policy *pol = peer_and_handle(2000, 2, "fallback");
	struct ndes_policy_verdict v;
	static const uint8_t signer[] = { 1, 2, 3 };

	cr_assert_eq(api->verify_request(pol, csr, sizeof(csr), signer, sizeof(signer), "ok",
	    "txn-1", &v), 0);
	cr_assert(v.verified);
	cr_assert_eq(v.event_id, 20500);
	cr_assert_eq(v.reason_code, 0);
	cr_assert_str_eq(v.reason, "verified txn=txn-1 csr=5 signer=3 template=ok");
	cr_assert_str_eq(v.challenge_id, "ch-txn-1");
	cr_assert_str_eq(v.device_id, "dev-1");
	cr_assert_str_eq(v.user_id, "user@contoso.example");
	cr_assert_eq(ptest_log_count(logfile, "VERIFY template=ok txn=txn-1 csr=5 signer=3"), 1);
	policy_free(pol);
}

Test(policy, template_falls_back_to_the_configured_one)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, "ok");
	struct ndes_policy_verdict v;

	cr_assert_eq(verify(pol, NULL, NULL, &v), 0);
	cr_assert(v.verified);
	cr_assert_str_eq(v.reason, "verified txn= csr=5 signer=0 template=ok");
	cr_assert_eq(verify(pol, "", "t2", &v), 0);
	cr_assert_str_eq(v.reason, "verified txn=t2 csr=5 signer=0 template=ok");
	policy_free(pol);
}

Test(policy, refusals_carry_the_diagnostic_code)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct ndes_policy_verdict v;

	cr_assert_eq(verify(pol, "subject", "t", &v), 0);
	cr_assert_not(v.verified);
	cr_assert_eq(v.reason_code, 0x00001003);
	cr_assert_eq(v.event_id, 20502);
	cr_assert_str_eq(v.reason, "subject mismatch");
	cr_assert_str_eq(v.challenge_id, "");
	cr_assert_eq(verify(pol, "expired", "t", &v), 0);
	cr_assert_not(v.verified);
	cr_assert_eq(v.reason_code, 0x00000411);
	cr_assert_eq(v.event_id, 20501);
	cr_assert_str_eq(v.reason, "challenge expired");
	policy_free(pol);
}

Test(policy, long_reason_is_cut_at_a_character_boundary)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct ndes_policy_verdict v;

	cr_assert_eq(verify(pol, "long", "t", &v), 0);
	/* "x" + 84 three-byte characters fit in 255 bytes; the 85th would not. */
	cr_assert_eq(strlen(v.reason), 1 + 84 * 3);
	cr_assert_eq(memcmp(v.reason + strlen(v.reason) - 3, "\xe6\xa4\x9c", 3), 0);
	policy_free(pol);
}

/* ---- Failing closed ----------------------------------------------------- */

/* Refused by the module itself (no verdict of crpd's); what names the case. */
static void
assert_refused_as(const struct ndes_policy_verdict *v, const char *what)
{
	cr_assert_not(v->verified, "%s", what);
	cr_assert_eq(v->reason_code, 0x0FFFFFFF, "%s: 0x%08X", what, v->reason_code);
	cr_assert_eq(v->event_id, 0, "%s: %u", what, v->event_id);
}

static void
assert_refused(const struct ndes_policy_verdict *v)
{
	assert_refused_as(v, "");
}

Test(policy, no_crpd_fails_closed_at_once)
{
	struct ndes_policy *pol = handle(3000, 1, NULL);
	struct ndes_policy_verdict v;
	char want[512];
	int64_t t0 = ptest_now_ms();

	cr_assert_eq(verify(pol, "ok", "t", &v), NDES_POLICY_E_UNAVAILABLE);
	cr_assert_lt(ptest_now_ms() - t0, 500);
	assert_refused(&v);
	snprintf(want, sizeof(want), "ndes-crpd unavailable: connect %s: No such file or "
	    "directory", sock);
	cr_assert_str_eq(v.reason, want);
	policy_free(pol);
}

Test(policy, crpd_killed_leaves_a_socket_that_refuses)
{
	struct ndes_policy *pol;
	struct ndes_policy_verdict v;
	char want[512];

	start_peer();
	ptest_peer_stop(peer, SIGKILL);
	peer = 0;
	cr_assert_eq(access(sock, F_OK), 0, "the killed peer should leave its socket");
	pol = handle(3000, 1, NULL);
	cr_assert_eq(verify(pol, "ok", "t", &v), NDES_POLICY_E_UNAVAILABLE);
	assert_refused(&v);
	snprintf(want, sizeof(want), "ndes-crpd unavailable: connect %s: Connection refused",
	    sock);
	cr_assert_str_eq(v.reason, want);
	policy_free(pol);
}

Test(policy, silent_crpd_times_out_within_the_timeout)
{
	struct ndes_policy *pol = peer_and_handle(1000, 1, NULL);
	struct ndes_policy_verdict v;
	int64_t t0, took;

	t0 = ptest_now_ms();
	cr_assert_eq(verify(pol, "slow", "t", &v), NDES_POLICY_E_TIMEOUT);
	took = ptest_now_ms() - t0;
	cr_assert(took >= 950 && took < 1500, "took %lld ms", (long long)took);
	assert_refused(&v);
	cr_assert_str_eq(v.reason, "ndes-crpd did not answer within 1000 ms");
	/* The spent connection is replaced: the next call works. */
	cr_assert_eq(verify(pol, "ok", "t", &v), 0);
	cr_assert(v.verified);
	policy_free(pol);
}

Test(policy, error_and_malformed_replies_fail_closed)
{
	struct ndes_policy *pol;
	struct ndes_policy_verdict v;

	/* what the stand-in answers (its template), the result, the reason */
	static const struct {
		const char *answer;
		int result;
		const char *reason;
	} cases[] = {
		{ "busy", NDES_POLICY_E_UNAVAILABLE,
		    "ndes-crpd could not take the request: busy (IPC error 4)" },
		{ "unsupported", NDES_POLICY_E_REJECTED,
		    "ndes-crpd refused the request: unsupported message type (IPC error 1)" },
		{ "garbage", NDES_POLICY_E_PROTOCOL, "malformed reply from ndes-crpd" },
		{ "wrong-type", NDES_POLICY_E_PROTOCOL, NULL },
	};

	pol = peer_and_handle(2000, 1, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(verify(pol, cases[i].answer, "t", &v), cases[i].result, "%s",
		    cases[i].answer);
		assert_refused_as(&v, cases[i].answer);
		if (cases[i].reason != NULL)
			cr_assert_str_eq(v.reason, cases[i].reason, "%s", cases[i].answer);
	}
	policy_free(pol);
}

Test(policy, connection_closed_by_crpd_is_retried_once_when_reused)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct ndes_policy_verdict v;

	/* A fresh connection closed by the server: no retry. */
	cr_assert_eq(verify(pol, "close", "t1", &v), NDES_POLICY_E_UNAVAILABLE);
	assert_refused(&v);
	cr_assert_str_eq(v.reason, "ndes-crpd: reading reply: connection closed by the server");
	cr_assert_eq(ptest_log_count(logfile, "txn=t1 "), 1);
	/* A pooled one might be stale (crpd restarted): one more try. */
	cr_assert_eq(verify(pol, "ok", "t2", &v), 0);
	cr_assert_eq(verify(pol, "close", "t3", &v), NDES_POLICY_E_UNAVAILABLE);
	cr_assert_eq(ptest_log_count(logfile, "txn=t3 "), 2);
	policy_free(pol);
}

Test(policy, reconnects_after_crpd_restarts)
{
	struct ndes_policy *pol = peer_and_handle(2000, 2, NULL);
	struct ndes_policy_verdict v;

	cr_assert_eq(verify(pol, "ok", "before", &v), 0);
	cr_assert_eq(policy_pool_idle(pol->pool), 1);
	ptest_peer_stop(peer, SIGTERM);
	peer = 0;
	cr_assert_eq(verify(pol, "ok", "down", &v), NDES_POLICY_E_UNAVAILABLE);
	assert_refused(&v);
	start_peer();
	cr_assert_eq(verify(pol, "ok", "after", &v), 0);
	cr_assert(v.verified);
	cr_assert_str_eq(v.challenge_id, "ch-after");
	policy_free(pol);
}

Test(policy, reconnects_after_restart_without_a_failed_call)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct ndes_policy_verdict v;

	cr_assert_eq(verify(pol, "ok", "before", &v), 0);
	ptest_peer_stop(peer, SIGTERM);
	start_peer();
	/* The pooled connection is dead; the call is retried on a new one. */
	cr_assert_eq(verify(pol, "ok", "after", &v), 0);
	cr_assert(v.verified);
	cr_assert_eq(ptest_log_count(logfile, "txn=after "), 1);
	policy_free(pol);
}

Test(policy, bad_arguments)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct ndes_policy_verdict v;

	cr_assert_eq(api->verify_request(pol, NULL, 0, NULL, 0, "ok", "t", &v),
	    NDES_POLICY_E_INVALID);
	assert_refused(&v);
	cr_assert_str_eq(v.reason, "no handle or no request");
	cr_assert_eq(api->verify_request(NULL, csr, sizeof(csr), NULL, 0, "ok", "t", &v),
	    NDES_POLICY_E_INVALID);
	cr_assert_eq(api->verify_request(pol, csr, sizeof(csr), NULL, 0, "ok", "t", NULL),
	    NDES_POLICY_E_INVALID);
	cr_assert_eq(verify(pol, "ok", "bad\xc3\x28", &v), NDES_POLICY_E_INVALID);
	cr_assert_str_eq(v.reason, "template name or transaction ID is not valid UTF-8");
	cr_assert_eq(ptest_log_count(logfile, "VERIFY"), 0, "nothing may be sent");
	policy_free(pol);
}

/* ---- Concurrency -------------------------------------------------------- */

struct call {
	struct ndes_policy *pol;
	const char *how;
	int rc;
	bool verified;
	int64_t took;
};

static void *
call_thread(void *arg)
{
	struct call *c = arg;
	struct ndes_policy_verdict v;
	int64_t t0 = ptest_now_ms();

	c->rc = verify(c->pol, c->how, "par", &v);
	c->verified = v.verified;
	c->took = ptest_now_ms() - t0;
	return NULL;
}

static int64_t
run_parallel(struct call *calls, int n)
{
	pthread_t th[16];
	int64_t t0 = ptest_now_ms();
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, call_thread, &calls[i]);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return ptest_now_ms() - t0;
}

Test(policy, pool_runs_calls_in_parallel)
{
	struct call calls[8];
	struct ndes_policy *pol = peer_and_handle(5000, 4, NULL);
	int64_t took;
	int i;

	for (i = 0; i < 8; i++)
		calls[i] = (struct call){ .pol = pol, .how = "delay:300" };
	took = run_parallel(calls, 8);
	for (i = 0; i < 8; i++) {
		cr_assert_eq(calls[i].rc, 0);
		cr_assert(calls[i].verified);
	}
	/* Four connections: two rounds of 300 ms, not eight. */
	cr_assert(took >= 590 && took < 1500, "took %lld ms", (long long)took);
	cr_assert_eq(policy_pool_idle(pol->pool), 4);
	policy_free(pol);
}

Test(policy, waiting_for_a_connection_counts_against_the_timeout)
{
	struct call calls[3];
	struct ndes_policy *pol = peer_and_handle(1000, 1, NULL);
	int i, ok = 0, timeouts = 0;

	for (i = 0; i < 3; i++)
		calls[i] = (struct call){ .pol = pol, .how = "delay:600" };
	run_parallel(calls, 3);
	for (i = 0; i < 3; i++) {
		ok += calls[i].rc == 0 && calls[i].verified;
		timeouts += calls[i].rc == NDES_POLICY_E_TIMEOUT && !calls[i].verified;
		cr_assert_lt(calls[i].took, 1300, "call %d took %lld ms", i,
		    (long long)calls[i].took);
	}
	cr_assert_eq(ok, 1);
	cr_assert_eq(timeouts, 2);
	policy_free(pol);
}

/* ---- Notify ------------------------------------------------------------- */

struct logged {
	int n;
	int level;
	char last[512];
};

static void
log_cb(void *arg, int level, const char *msg)
{
	struct logged *l = arg;

	l->n++;
	l->level = level;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

Test(policy, notify_sends_every_disposition)
{
	static const int disp[] = { -1, 0, 2, 3, 11 };
	struct ndes_policy *pol = peer_and_handle(2000, 2, NULL);
	static const uint8_t cert[] = { 0x30, 0x00 };
	size_t i;


	for (i = 0; i < sizeof(disp) / sizeof(disp[0]); i++) {
		cr_assert_eq(api->notify(pol, "c1", "t1", disp[i], 0x80070005,
		    disp[i] == 0 ? cert : NULL, disp[i] == 0 ? sizeof(cert) : 0), 0);
		cr_assert_eq(ptest_log_count(logfile, "NOTIFY "), (int)i + 1);
	}
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY challenge=c1 txn=t1 disposition=11 "
	    "hresult=0x80070005 cert=0 pubkey=- desc="), 1);
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY challenge=c1 txn=t1 disposition=-1 "), 1);
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY challenge=c1 txn=t1 disposition=0 "
	    "hresult=0x80070005 cert=2 "), 1);
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY challenge=c1 txn=t1 disposition=2 "), 1);
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY challenge=c1 txn=t1 disposition=3 "), 1);
	policy_free(pol);
}

Test(policy, notify_carries_the_certificate)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = testpki_cert(key, "dev1", NULL, NULL, 0, 30);
	uint8_t *der;
	size_t len;
	char hex[NDES_CRYPTO_HEX_MAX], want[256];
	struct ndes_policy *pol;

	start_peer();
	cr_assert_eq(ndes_crypto_cert_to_der(cert, &der, &len), 0);
	cr_assert_eq(ndes_crypto_pubkey_sha256(key, hex, sizeof(hex)), 0);
	pol = handle(2000, 1, NULL);
	cr_assert_eq(api->notify(pol, NULL, NULL, NDES_POLICY_DISPOSITION_SUCCESS, 0, der, len),
	    0);
	snprintf(want, sizeof(want), "NOTIFY challenge= txn= disposition=0 hresult=0x00000000 "
	    "cert=%zu pubkey=%s desc=", len, hex);
	cr_assert_eq(ptest_log_count(logfile, want), 1);
	policy_free(pol);
	free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
}

Test(policy, notify_refusals)
{
	struct ndes_policy *pol = peer_and_handle(2000, 1, NULL);
	struct logged l = { 0 };
	char err[256];

	api->set_log(pol, log_cb, &l);
	cr_assert_eq(api->notify(pol, "c", "t", 1, 0, NULL, 0), NDES_POLICY_E_INVALID);
	cr_assert_str_eq(l.last, "notify (disposition 1): unknown disposition 1 (expected -1, "
	    "0, 2, 3 or 11)");
	cr_assert_eq(api->notify(pol, "c\xff", "t", 0, 0, NULL, 0), NDES_POLICY_E_INVALID);
	cr_assert_eq(ptest_log_count(logfile, "NOTIFY"), 0, "nothing may be sent");
	cr_assert_eq(api->notify(pol, "reject", "t", 2, 0, NULL, 0), NDES_POLICY_E_REJECTED);
	cr_assert_eq(l.level, NDES_POLICY_LOG_WARNING);
	cr_assert_str_eq(l.last, "notify (disposition 2): ndes-crpd did not accept the "
	    "notification: 0x0FFFFFFF no verification record");
	cr_assert_eq(l.n, 3);
	cr_assert_eq(api->notify(pol, "c", "t", 0, 0, NULL, 0), NDES_POLICY_E_REJECTED);
	cr_assert_str_eq(l.last, "notify (disposition 0): ndes-crpd refused the request: a Success "
	    "notification needs the issued certificate (IPC error 2)");
	cr_assert_eq(policy_notify(pol, "c", "t", 2, 5, NULL, 0, "depot: x.pem", err,
	    sizeof(err)), 0);
	cr_assert_eq(ptest_log_count(logfile, "disposition=2 hresult=0x00000005 cert=0 "
	    "pubkey=- desc=depot: x.pem"), 1);
	cr_assert_eq(api->notify(NULL, "c", "t", 0, 0, NULL, 0), NDES_POLICY_E_INVALID);
	policy_free(pol);
}

Test(policy, notify_without_crpd)
{
	struct ndes_policy *pol = handle(1000, 1, NULL);
	struct logged l = { 0 };
	char want[512];

	api->set_log(pol, log_cb, &l);
	cr_assert_eq(api->notify(pol, "c", "t", 0, 0, NULL, 0), NDES_POLICY_E_UNAVAILABLE);
	snprintf(want, sizeof(want), "notify (disposition 0): ndes-crpd unavailable: connect "
	    "%s: No such file or directory", sock);
	cr_assert_str_eq(l.last, want);
	policy_free(pol);
}

/* Without a log callback diagnostics go to stderr, never to stdout. */
Test(policy, diagnostics_go_to_stderr_not_stdout)
{
	struct ndes_policy *pol = handle(1000, 1, NULL);
	struct ndes_policy_verdict v;
	char *out = tmpdir_path(dir, "out"), *errp = tmpdir_path(dir, "err"), *text, want[512];
	int o = dup(1), e = dup(2);
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	policy_set_log(pol, NULL, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(fo, 1);
	dup2(fe, 2);
	verify(pol, "ok", "t", &v);
	api->notify(pol, "c", "t", 0, 0, NULL, 0);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(fo);
	close(fe);
	text = ptest_read_file(out);
	cr_assert_str_eq(text, "");
	free(text);
	text = ptest_read_file(errp);
	snprintf(want, sizeof(want), "ndes_policy: verify_request: ndes-crpd unavailable: "
	    "connect %s: No such file or directory\nndes_policy: notify (disposition 0): "
	    "ndes-crpd unavailable: connect %s: No such file or directory\n", sock, sock);
	cr_assert_str_eq(text, want);
	free(text);
	free(out);
	free(errp);
	policy_free(pol);
}
