/* A test host that loads ndes_policy.so exactly as a C SCEP server would:
 * dlopen, dlsym(NDES_POLICY_ENTRY_SYMBOL), only <ndes/policy.h> included.
 * It calls every function of the table, from several threads at once,
 * against the stand-in ndes-crpd (policy_host_peer), across a restart of
 * that peer, and loads and unloads the module several times.
 *
 *   policy_host [MODULE]   (default $top_builddir/policy/.libs/ndes_policy.so;
 *                          options such as the harness's --tap=- are ignored)
 *
 * A plain TAP program, not Criterion: it exits normally so LeakSanitizer
 * (--enable-sanitizers) and valgrind (tests/policy-valgrind.sh) see any
 * leak.  Everything the module might print to stdout is caught: TAP goes
 * to a copy of the original stdout, fd 1 points at a file that must stay
 * empty. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ndes/policy.h>

#include "policy_host_util.h"

#define THREADS 8
#define ROUNDS 25

static FILE *tap;
static int ntest, nfail;
static char *dir, *sock, *logfile, *config;
static const struct ndes_policy_v1 *api;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_lines;

static void __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	nfail += !cond;
	fprintf(tap, "%s %d - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vfprintf(tap, fmt, ap);
	va_end(ap);
	fputc('\n', tap);
	fflush(tap);
}

static void
host_log(void *arg, int level, const char *msg)
{
	pthread_mutex_lock(&log_lock);
	log_lines++;
	pthread_mutex_unlock(&log_lock);
}

static void *
load(const char *path, void **so)
{
	ndes_policy_entry_fn entry;

	if ((*so = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(tap, "# dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	entry = (ndes_policy_entry_fn)(uintptr_t)dlsym(*so, NDES_POLICY_ENTRY_SYMBOL);
	return entry != NULL ? (void *)entry(NDES_POLICY_ABI_VERSION) : NULL;
}

/* ---- One worker thread: every kind of call, ROUNDS times ---------------- */

struct worker {
	struct ndes_policy *pol;
	int id;
	bool peer_up;		/* what every answer should look like */
	int bad;		/* calls whose answer was wrong */
	char first_bad[300];
};

static void
worker_fail(struct worker *w, const char *what, int rc)
{
	if (w->bad++ == 0)
		snprintf(w->first_bad, sizeof(w->first_bad), "thread %d: %s: rc %d", w->id, what,
		    rc);
}

static void
worker_verify(struct worker *w, const char *how, int round)
{
	struct ndes_policy_verdict v;
	char txn[64], cid[80];
	static const uint8_t csr[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	int rc;

	snprintf(txn, sizeof(txn), "t%d-%d-%s", w->id, round, how);
	snprintf(cid, sizeof(cid), "ch-%s", txn);
	rc = api->verify_request(w->pol, csr, sizeof(csr), NULL, 0, how, txn, &v);
	if (!w->peer_up) {
		if (rc != NDES_POLICY_E_UNAVAILABLE || v.verified || v.reason_code != 0x0FFFFFFF)
			worker_fail(w, "verify with the peer down", rc);
	} else if (strcmp(how, "ok") == 0) {
		if (rc != 0 || !v.verified || strcmp(v.challenge_id, cid) != 0)
			worker_fail(w, "verify ok", rc);
	} else if (strcmp(how, "subject") == 0) {
		if (rc != 0 || v.verified || v.reason_code != 0x1003 || v.event_id != 20502)
			worker_fail(w, "verify subject", rc);
	} else if (rc != 0 || v.verified || v.reason_code != 0x411 || v.event_id != 20501)
		worker_fail(w, "verify expired", rc);
}

static void
worker_notify(struct worker *w, int disposition, int round)
{
	char txn[64];
	static const uint8_t cert[] = { 0x30, 0x00 };
	int rc;

	snprintf(txn, sizeof(txn), "n%d-%d", w->id, round);
	rc = api->notify(w->pol, "challenge", txn, disposition, disposition == 0 ? 0 : 0x80004005,
	    disposition == 0 ? cert : NULL, disposition == 0 ? sizeof(cert) : 0);
	if (rc != (w->peer_up ? NDES_POLICY_OK : NDES_POLICY_E_UNAVAILABLE))
		worker_fail(w, "notify", rc);
}

static void *
worker_run(void *arg)
{
	static const int disp[] = { -1, 0, 2, 3, 11 };
	struct worker *w = arg;
	int round;
	size_t i;

	for (round = 0; round < ROUNDS; round++) {
		worker_verify(w, "ok", round);
		worker_verify(w, "subject", round);
		worker_verify(w, "expired", round);
		for (i = 0; i < sizeof(disp) / sizeof(disp[0]); i++)
			worker_notify(w, disp[i], round);
	}
	return NULL;
}

static void
run_workers(struct ndes_policy *pol, bool peer_up, const char *label)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];
	int i, bad = 0;
	const char *first = "";

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .pol = pol, .id = i, .peer_up = peer_up };
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].bad > 0 && bad == 0)
			first = w[i].first_bad;
		bad += w[i].bad;
	}
	ok(bad == 0, "%s: %d threads x %d rounds of verify and notify%s%s", label, THREADS,
	    ROUNDS, bad ? ": " : "", bad ? first : "");
}

/* ---- The checks --------------------------------------------------------- */

static void
check_table(void *so)
{
	ndes_policy_entry_fn entry;
	char buf[16] = "junk";

	entry = (ndes_policy_entry_fn)(uintptr_t)dlsym(so, NDES_POLICY_ENTRY_SYMBOL);
	ok(api != NULL && api->abi_version == NDES_POLICY_ABI_VERSION &&
	    api->size == sizeof(struct ndes_policy_v1), "entry(1) gives the v1 table");
	ok(entry(0) == NULL && entry(2) == NULL, "entry refuses other ABI versions");
	ok(dlsym(so, "policy_verify") == NULL && dlsym(so, "ndes_ipc_client_connect") == NULL &&
	    dlsym(so, "ndes_config_load") == NULL, "internal symbols are not exported");
	ok(api->generate_challenge(NULL, "t", NULL, buf, sizeof(buf)) ==
	    NDES_POLICY_E_NOT_SUPPORTED && buf[0] == '\0', "generate_challenge: not supported");
	ok(strcmp(api->strerror(NDES_POLICY_E_TIMEOUT), "timed out") == 0, "strerror");
}

static void
check_counts(void)
{
	char want[64];
	int n = THREADS * ROUNDS;

	ok(ptest_log_count(logfile, "VERIFY template=ok ") == 2 * n &&
	    ptest_log_count(logfile, "VERIFY template=subject ") == 2 * n &&
	    ptest_log_count(logfile, "VERIFY template=expired ") == 2 * n,
	    "the peers saw every verify (%d of each kind)", 2 * n);
	snprintf(want, sizeof(want), "disposition=11 hresult=0x80004005 cert=0");
	ok(ptest_log_count(logfile, "disposition=-1 ") == 2 * n &&
	    ptest_log_count(logfile, "disposition=0 hresult=0x00000000 cert=2 ") == 2 * n &&
	    ptest_log_count(logfile, "disposition=2 ") == 2 * n &&
	    ptest_log_count(logfile, "disposition=3 ") == 2 * n &&
	    ptest_log_count(logfile, want) == 2 * n,
	    "the peers saw every disposition (%d of each)", 2 * n);
}

static void
check_timeout(void)
{
	struct ndes_policy *pol;
	struct ndes_policy_verdict v;
	char *slow_cfg = tmpdir_path(dir, "slow.yaml");
	FILE *f = fopen(slow_cfg, "w");
	int64_t t0;
	int rc;

	fprintf(f, "crp_socket: %s\ntimeout: 1s\nconnections: 1\n", sock);
	fclose(f);
	rc = api->initialize(slow_cfg, &pol, NULL, 0);
	api->set_log(pol, host_log, NULL);
	t0 = ptest_now_ms();
	rc = rc != 0 ? rc : api->verify_request(pol, (const uint8_t *)"x", 1, NULL, 0, "slow",
	    "slow", &v);
	ok(rc == NDES_POLICY_E_TIMEOUT && !v.verified && ptest_now_ms() - t0 < 3000,
	    "a silent ndes-crpd: refused after the 1 s timeout (%lld ms)",
	    (long long)(ptest_now_ms() - t0));
	api->uninitialize(pol);
	free(slow_cfg);
}

static void
check_module(const char *module)
{
	struct ndes_policy *pol = NULL;
	char err[256] = "";
	void *so;
	pid_t peer;

	api = load(module, &so);
	ok(api != NULL, "dlopen %s and find %s", module, NDES_POLICY_ENTRY_SYMBOL);
	if (api == NULL)
		return;
	check_table(so);
	ok(api->initialize(config, &pol, err, sizeof(err)) == 0, "initialize %s", err);
	api->set_log(pol, host_log, NULL);
	peer = ptest_peer_start(sock, logfile);
	run_workers(pol, true, "peer up");
	ptest_peer_stop(peer, SIGTERM);
	run_workers(pol, false, "peer stopped: every call fails closed");
	peer = ptest_peer_start(sock, logfile);
	run_workers(pol, true, "peer restarted: the module reconnects");
	check_counts();
	check_timeout();
	ptest_peer_stop(peer, SIGKILL);
	ok(log_lines > 0, "diagnostics went to the host's log callback (%d lines)", log_lines);
	api->uninitialize(pol);
	api->uninitialize(NULL);
	ok(dlclose(so) == 0, "dlclose");
}

static void
check_reload(const char *module)
{
	struct ndes_policy *pol;
	int i, good = 0;
	void *so;

	for (i = 0; i < 3; i++) {
		api = load(module, &so);
		if (api != NULL && api->initialize(config, &pol, NULL, 0) == 0) {
			api->uninitialize(pol);
			good++;
		}
		if (so != NULL)
			dlclose(so);
	}
	ok(good == 3, "load, initialize, uninitialize, unload three times");
}

static int
setup(void)
{
	FILE *f;

	if ((dir = tmpdir_make("ndes-policy")) == NULL)
		return -1;
	sock = tmpdir_path(dir, "crp.sock");
	logfile = tmpdir_path(dir, "peer.log");
	config = tmpdir_path(dir, "policy.yaml");
	if ((f = fopen(config, "w")) == NULL)
		return -1;
	fprintf(f, "crp_socket: %s\ntimeout: 5s\nconnections: 4\n", sock);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	char *module = argc > 1 && argv[1][0] != '-' ? strdup(argv[1]) :
	    ptest_build_path("policy/.libs/ndes_policy.so");
	char *out;
	struct stat st;
	int fd;

	tap = fdopen(dup(1), "w");
	if (tap == NULL || setup() == -1)
		return 99;
	out = tmpdir_path(dir, "stdout");
	fflush(stdout);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	fprintf(tap, "1..17\n");
	check_module(module);
	check_reload(module);
	fflush(stdout);
	ok(stat(out, &st) == 0 && st.st_size == 0, "nothing was written to stdout");
	free(out);
	free(module);
	free(sock);
	free(logfile);
	free(config);
	tmpdir_remove(dir);
	fclose(tap);
	return nfail > 0;
}
