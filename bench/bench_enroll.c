/* ndes-bench enroll (bench_enroll.h; docs/bench.md).
 *
 *   ndes-bench enroll --depot DIR --admin-port P --policy-config FILE
 *       --cloud-db FILE [--rounds R] [--enrollments N] [--workers W]
 *       [--body JSON] [--policy-exec PATH] [--pid NAME=PID]... [--profile]
 *       [--keep] [--hook-runs N [--hook PATH]]
 *
 * --hook-runs N: first, the verify hook alone (PATH, default the
 * --policy-exec) run N times one after the other on one request against
 * the running ndes-crpd (verified, then verified again for the same key):
 * wall time and CPU per run, the hook's and ndes-crpd's.  --rounds 0 with
 * it: nothing else.
 *
 * Last line, always exactly:
 *   enroll static <a>/s true <c>/s ndes <b>/s ratio <b/a>
 * (medians over the rounds; ratio: the median of the rounds' ndes/static). */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "bench_enroll.h"

#define ENROLL_MAX_ROUNDS 50
#define ENROLL_SECRET "bench-static-secret"
/* Processes measured: scepserver, its hooks, the watcher, then --pid. */
#define ENROLL_P_SERVER 0
#define ENROLL_P_HOOKS 1
#define ENROLL_P_WATCHER 2

static const char *const variant_names[ENROLL_VARIANTS] = { "static", "true", "ndes" };
static const char *const fail_names[ENROLL_FAIL_KINDS] = { "depot race (scepserver's)",
	"refused", "other" };

struct enroll_opts {
	int		 rounds, n, workers, admin_port, hook_runs;
	const char	*hook;
	bool		 profile, keep;
	const char	*depot, *policy_config, *policy_exec, *cloud_db, *body;
	struct enroll_proc extra[ENROLL_MAX_PROCS - 3];
	int		 nextra;
};

struct enroll_server {
	pid_t	 pid;
	int	 port;
	char	 url[64];
	char	 depot[4200];
	char	 log[4200];
};

struct enroll_ctx {
	struct enroll_opts	 o;
	char			 work[4096];
	json_t			*tmpl;		/* a challenge's answer: subject, SANs, usages */
	EVP_PKEY		**keys;		/* one per enrollment of a batch, new each batch */
	unsigned		 bits;
	struct enroll_server	 srv[ENROLL_VARIANTS];
	struct enroll_proc	 procs[ENROLL_MAX_PROCS];
	int			 nprocs;
	/* results */
	double			 rate[ENROLL_VARIANTS][ENROLL_MAX_ROUNDS];
	double			 client_rate[ENROLL_MAX_ROUNDS], drain[ENROLL_MAX_ROUNDS];
	double			 cpu[ENROLL_VARIANTS][ENROLL_MAX_PROCS + 1];	/* + clients */
	size_t			 ok[ENROLL_VARIANTS], failed[ENROLL_VARIANTS], lost[ENROLL_VARIANTS];
	size_t			 retries[ENROLL_VARIANTS], repairs[ENROLL_VARIANTS];
	size_t			 fails[ENROLL_VARIANTS][ENROLL_FAIL_KINDS];	/* scepserver's */
	char			 first_failure[320];
	char			 other_failure[512];	/* scepserver's, of kind OTHER */
};

static void
enroll_usage(FILE *f)
{
	fprintf(f, "usage: ndes-bench enroll --depot DIR --admin-port P --policy-config FILE\n"
	    "           --cloud-db FILE [--rounds R] [--enrollments N] [--workers W]\n"
	    "           [--body JSON] [--policy-exec PATH] [--pid NAME=PID]... [--profile]"
	    " [--keep]\n"
	    "           [--hook-runs N [--hook PATH]]\n"
	    "       (bench/enroll.sh starts the stack and runs it)\n");
}

static int
enroll_add_pid(struct enroll_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct enroll_proc *p;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(p->name) ||
	    o->nextra >= (int)(sizeof(o->extra) / sizeof(o->extra[0])) || atol(eq + 1) <= 0)
		return -1;
	p = &o->extra[o->nextra++];
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(eq - arg), arg);
	p->pid = (pid_t)atol(eq + 1);
	return 0;
}

static int
enroll_parse(int argc, char **argv, struct enroll_opts *o)
{
	static const struct option lo[] = {
		{ "depot", required_argument, NULL, 'd' },
		{ "admin-port", required_argument, NULL, 'A' },
		{ "policy-config", required_argument, NULL, 'c' },
		{ "policy-exec", required_argument, NULL, 'e' },
		{ "cloud-db", required_argument, NULL, 'D' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "enrollments", required_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "body", required_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "profile", no_argument, NULL, 'P' },
		{ "keep", no_argument, NULL, 'k' },
		{ "hook-runs", required_argument, NULL, 'H' },
		{ "hook", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc = 0;

	*o = (struct enroll_opts){ .rounds = 7, .n = 100, .workers = 4, .body =
	    "{\"device\":\"0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30\",\"profile\":"
	    "\"Contoso Wi-Fi User (iOS)\",\"user\":\"alice@contoso.com\"}" };
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1 && rc == 0) {
		switch (ch) {
		case 'd': o->depot = optarg; break;
		case 'A': o->admin_port = atoi(optarg); break;
		case 'c': o->policy_config = optarg; break;
		case 'e': o->policy_exec = optarg; break;
		case 'D': o->cloud_db = optarg; break;
		case 'r': o->rounds = atoi(optarg); break;
		case 'n': o->n = atoi(optarg); break;
		case 'w': o->workers = atoi(optarg); break;
		case 'b': o->body = optarg; break;
		case 'p': rc = enroll_add_pid(o, optarg); break;
		case 'P': o->profile = true; break;
		case 'k': o->keep = true; break;
		case 'H': o->hook_runs = atoi(optarg); break;
		case 'x': o->hook = optarg; break;
		default: rc = -1;
		}
	}
	if (rc == -1 || optind != argc || o->depot == NULL || o->admin_port <= 0 ||
	    o->policy_config == NULL || o->cloud_db == NULL || o->hook_runs < 0 ||
	    o->rounds < (o->hook_runs > 0 ? 0 : 1) ||
	    o->rounds > ENROLL_MAX_ROUNDS || o->n < 1 || o->n > 100000 || o->workers < 1 ||
	    o->workers > 64)
		return -1;
	return 0;
}

/* ../policy/ndes-policy-exec beside this program's folder. */
static char *
enroll_default_exec(void)
{
	char self[4096], *out = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return strdup("ndes-policy-exec");
	self[n] = '\0';
	if (asprintf(&out, "%s/../policy/ndes-policy-exec", dirname(self)) == -1)
		return NULL;
	return out;
}

static int
enroll_copy(const char *from_dir, const char *to_dir, const char *name)
{
	char from[4200], to[4200], buf[65536];
	FILE *in, *out;
	size_t n;
	int rc = 0;

	snprintf(from, sizeof(from), "%s/%s", from_dir, name);
	snprintf(to, sizeof(to), "%s/%s", to_dir, name);
	if ((in = fopen(from, "r")) == NULL)
		return -1;
	if ((out = fopen(to, "w")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	chmod(to, 0600);
	return rc;
}

/* The depot's serial file, there before the first issuance: scepserver
 * 2.1.0 creates it at the first one, and concurrent first issuances then
 * race on it ("open depot/serial: file exists" after the certificate was
 * written, the serial set back to 02, every later issuance refused with
 * "file exists"). */
static int
enroll_seed_serial(const char *depot)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/serial", depot);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs("02\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* One scepserver on a depot of its own holding the given CA. */
static int
enroll_start_server(struct enroll_ctx *c, enum enroll_variant v)
{
	struct enroll_server *s = &c->srv[v];
	char port[16], env[4200];
	char *log = s->log;
	char *argv[12] = { (char *)"scepserver", (char *)"-depot", s->depot, (char *)"-port", port,
	    (char *)"-allowrenew", (char *)"0" };

	snprintf(s->depot, sizeof(s->depot), "%s/depot-%s", c->work, variant_names[v]);
	if (mkdir(s->depot, 0700) == -1 || enroll_copy(c->o.depot, s->depot, "ca.pem") == -1 ||
	    enroll_copy(c->o.depot, s->depot, "ca.key") == -1 || enroll_seed_serial(s->depot) == -1 ||
	    (s->port = enroll_free_port()) < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/scep", s->port);
	snprintf(s->log, sizeof(s->log), "%s/scepserver-%s.log", c->work, variant_names[v]);
	snprintf(env, sizeof(env), "NDES_POLICY_CONFIG=%s", c->o.policy_config);
	argv[7] = v == ENROLL_STATIC ? (char *)"-challenge" : (char *)"-csrverifierexec";
	argv[8] = v == ENROLL_STATIC ? (char *)ENROLL_SECRET : v == ENROLL_TRUE ?
	    (char *)"/bin/true" : (char *)c->o.policy_exec;
	s->pid = enroll_spawn(argv, NULL, log, v == ENROLL_NDES ? env : NULL, NULL);
	if (s->pid == -1 || enroll_wait_port(s->port, 20) == -1) {
		fprintf(stderr, "ndes-bench: scepserver (%s) did not start: see %s\n",
		    variant_names[v], log);
		return -1;
	}
	return 0;
}

/* The depot watcher on the ndes variant's depot. */
static int
enroll_start_watcher(struct enroll_ctx *c)
{
	char log[4200];
	char *argv[] = { (char *)c->o.policy_exec, (char *)"-c", (char *)c->o.policy_config,
	    (char *)"watch-depot", (char *)"--retry", (char *)"1", c->srv[ENROLL_NDES].depot, NULL };
	struct enroll_proc *w = &c->procs[ENROLL_P_WATCHER];

	snprintf(log, sizeof(log), "%s/watcher.log", c->work);
	snprintf(w->name, sizeof(w->name), "ndes-policy-watch");
	if ((w->pid = enroll_spawn(argv, NULL, log, NULL, NULL)) == -1 ||
	    enroll_wait_text(log, "watching", 20) == -1) {
		fprintf(stderr, "ndes-bench: the depot watcher did not start: see %s\n", log);
		return -1;
	}
	return 0;
}

static int
enroll_start(struct enroll_ctx *c)
{
	for (int v = 0; v < ENROLL_VARIANTS; v++)
		if (enroll_start_server(c, (enum enroll_variant)v) == -1)
			return -1;
	snprintf(c->procs[ENROLL_P_SERVER].name, sizeof(c->procs[0].name), "scepserver");
	snprintf(c->procs[ENROLL_P_HOOKS].name, sizeof(c->procs[0].name), "its hooks (exec)");
	c->procs[ENROLL_P_HOOKS].children = true;
	if (enroll_start_watcher(c) == -1)
		return -1;
	c->nprocs = 3;
	for (int i = 0; i < c->o.nextra; i++)
		c->procs[c->nprocs++] = c->o.extra[i];
	return 0;
}

static void
enroll_stop_all(struct enroll_ctx *c)
{
	enroll_stop(c->procs[ENROLL_P_WATCHER].pid);
	for (int v = 0; v < ENROLL_VARIANTS; v++)
		enroll_stop(c->srv[v].pid);
}

/* The template: a challenge's answer, for the subject, SANs, usages and
 * key size of every request. */
static int
enroll_template(struct enroll_ctx *c)
{
	char err[512];

	if ((c->tmpl = enroll_mint(c->o.admin_port, c->o.body, err, sizeof(err))) == NULL) {
		fprintf(stderr, "ndes-bench: %s\n", err);
		return -1;
	}
	c->bits = (unsigned)json_integer_value(json_object_get(c->tmpl, "keySize"));
	if (c->bits < 2048)
		c->bits = 2048;
	c->keys = calloc((size_t)c->o.n, sizeof(*c->keys));
	return c->keys != NULL ? 0 : -1;
}

/* The batch's folders: key.pem and csr.pem each, new keys (the cloud
 * takes a notification for a transaction, the key's SHA-256, once), a
 * fresh challenge each for ndes, the static secret otherwise. */
static int
enroll_prepare(struct enroll_ctx *c, enum enroll_variant v, const char *dir)
{
	char sub[4300], err[512];
	json_t *mint = NULL;
	const char *challenge = ENROLL_SECRET;
	int rc = mkdir(dir, 0700);

	if (rc == 0 && enroll_keygen(c->keys, c->o.n, c->bits,
	    (int)sysconf(_SC_NPROCESSORS_ONLN)) == -1)
		rc = -1;

	for (int i = 0; i < c->o.n && rc == 0; i++) {
		snprintf(sub, sizeof(sub), "%s/%d", dir, i);
		if (v == ENROLL_NDES) {
			if ((mint = enroll_mint(c->o.admin_port, c->o.body, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "ndes-bench: %s\n", err);
				return -1;
			}
			challenge = json_string_value(json_object_get(mint, "challenge"));
		}
		rc = mkdir(sub, 0700) == 0 ? enroll_write_request(sub, c->keys[i], c->tmpl,
		    challenge) : -1;
		json_decref(mint);
		mint = NULL;
	}
	return rc;
}

/* Notifications the cloud emulator has received (read-only, its WAL lets
 * it write meanwhile); -1 when it cannot be read. */
static long
enroll_notifications(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 2000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM notifications", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Until the cloud has `want` notifications, at most 60 s: 0 or -1. */
static int
enroll_drain(const char *db_path, long want)
{
	double until = bench_now() + 60;

	while (enroll_notifications(db_path) < want) {
		if (bench_now() > until)
			return -1;
		bench_sleep_until(bench_now() + 0.01);
	}
	return 0;
}

static void
enroll_cpu_all(struct enroll_ctx *c, double *out)
{
	for (int i = 0; i < c->nprocs; i++)
		out[i] = enroll_cpu(&c->procs[i]);
	out[c->nprocs] = enroll_children_cpu();
}

/* A timed batch of variant v in round r. */
static int
enroll_batch(struct enroll_ctx *c, enum enroll_variant v, int r)
{
	struct enroll_batch b = { .url = c->srv[v].url, .n = (size_t)c->o.n,
	    .workers = c->o.workers };
	double cpu0[ENROLL_MAX_PROCS + 1], cpu1[ENROLL_MAX_PROCS + 1], t0, t1, t2;
	char dir[4200];
	long before = enroll_notifications(c->o.cloud_db), logged = enroll_file_size(c->srv[v].log);

	snprintf(dir, sizeof(dir), "%s/round%d-%s", c->work, r + 1, variant_names[v]);
	if (enroll_prepare(c, v, dir) == -1)
		return -1;
	b.dir = dir;
	b.depot = c->srv[v].depot;
	c->procs[ENROLL_P_SERVER].pid = c->procs[ENROLL_P_HOOKS].pid = c->srv[v].pid;
	enroll_cpu_all(c, cpu0);
	t0 = bench_now();
	enroll_run(&b);
	t1 = t2 = bench_now();
	if (v == ENROLL_NDES) {
		if (enroll_drain(c->o.cloud_db, before + (long)b.ok) == -1)
			fprintf(stderr, "ndes-bench: round %d: notifications not drained in 60 s\n",
			    r + 1);
		t2 = bench_now();
		c->client_rate[r] = (double)b.ok / (t1 - t0);
		c->drain[r] = t2 - t1;
	}
	enroll_cpu_all(c, cpu1);
	for (int i = 0; i <= c->nprocs; i++)
		c->cpu[v][i] += cpu1[i] - cpu0[i];
	c->rate[v][r] = (double)b.ok / (t2 - t0);
	c->ok[v] += b.ok;
	c->failed[v] += b.failed;
	c->lost[v] += b.lost;
	c->retries[v] += b.retries;
	c->repairs[v] += b.repairs;
	enroll_scan_log(c->srv[v].log, logged, c->fails[v], c->other_failure,
	    sizeof(c->other_failure));
	if (b.first_failure[0] != '\0' && c->first_failure[0] == '\0')
		snprintf(c->first_failure, sizeof(c->first_failure), "%s: %s", variant_names[v],
		    b.first_failure);
	if (!c->o.keep)
		enroll_remove(dir);
	return 0;
}

/* --hook-runs: the hook alone, one run after the other. */
static int
enroll_hook_cost(struct enroll_ctx *c)
{
	const char *hook = c->o.hook != NULL ? c->o.hook : c->o.policy_exec;
	char dir[4200], in[4300], env[4200];
	char *argv[] = { (char *)hook, NULL };
	struct enroll_proc *crpd = NULL;
	double t0, wall, cpu0, crpd0 = 0;
	int bad = 0;

	for (int i = 0; i < c->nprocs; i++)
		if (strcmp(c->procs[i].name, "ndes-crpd") == 0)
			crpd = &c->procs[i];
	snprintf(dir, sizeof(dir), "%s/hook", c->work);
	snprintf(in, sizeof(in), "%s/0/csr.der", dir);
	snprintf(env, sizeof(env), "NDES_POLICY_CONFIG=%s", c->o.policy_config);
	if (enroll_prepare(c, ENROLL_NDES, dir) == -1)
		return -1;
	cpu0 = enroll_children_cpu();
	crpd0 = crpd != NULL ? enroll_cpu(crpd) : 0;
	t0 = bench_now();
	for (int i = 0; i < c->o.hook_runs; i++)
		if (enroll_wait(enroll_spawn(argv, NULL, "/dev/null", env, in)) != 0)
			bad++;
	wall = bench_now() - t0;
	printf("hook %s: %d runs, %d refused, %.3f ms wall per run, CPU per run: the hook "
	    "%.3f ms, ndes-crpd %.3f ms\n", hook, c->o.hook_runs, bad,
	    wall * 1000 / c->o.hook_runs, (enroll_children_cpu() - cpu0) * 1000 / c->o.hook_runs,
	    crpd != NULL ? (enroll_cpu(crpd) - crpd0) * 1000 / c->o.hook_runs : 0);
	fflush(stdout);
	return bad == 0 ? 0 : -1;
}

static int
enroll_rounds(struct enroll_ctx *c)
{
	enum enroll_variant v;

	for (int r = 0; r < c->o.rounds; r++) {
		for (int k = 0; k < ENROLL_VARIANTS; k++) {
			v = (enum enroll_variant)((k + r) % ENROLL_VARIANTS);
			if (enroll_batch(c, v, r) == -1)
				return -1;
		}
		printf("round %d: static %.1f/s true %.1f/s ndes %.1f/s (%.1f/s at the clients, "
		    "notifications in %.2f s more) ratio %.2f\n", r + 1, c->rate[ENROLL_STATIC][r],
		    c->rate[ENROLL_TRUE][r], c->rate[ENROLL_NDES][r], c->client_rate[r], c->drain[r],
		    c->rate[ENROLL_STATIC][r] > 0 ?
		    c->rate[ENROLL_NDES][r] / c->rate[ENROLL_STATIC][r] : 0);
		fflush(stdout);
	}
	return 0;
}

static int
enroll_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v in place; the median. */
static double
enroll_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), enroll_cmp);
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
enroll_profile(struct enroll_ctx *c)
{
	double total[ENROLL_VARIANTS] = { 0 };

	printf("CPU per enrollment (ms)     static     true     ndes\n");
	for (int i = 0; i <= c->nprocs; i++) {
		printf("  %-24s", i == c->nprocs ? "scepclient" : c->procs[i].name);
		for (int v = 0; v < ENROLL_VARIANTS; v++) {
			double ms = c->ok[v] > 0 ? c->cpu[v][i] * 1000 / (double)c->ok[v] : 0;

			total[v] += ms;
			printf(" %8.2f", ms);
		}
		printf("\n");
	}
	printf("  %-24s %8.2f %8.2f %8.2f\n", "all", total[0], total[1], total[2]);
}

/* The summary; 0 when nothing failed but scepserver's depot race. */
static int
enroll_report(struct enroll_ctx *c)
{
	double med[ENROLL_VARIANTS], ratio[ENROLL_MAX_ROUNDS];
	int n = c->o.rounds, bad = 0;

	for (int r = 0; r < n; r++)
		ratio[r] = c->rate[ENROLL_STATIC][r] > 0 ?
		    c->rate[ENROLL_NDES][r] / c->rate[ENROLL_STATIC][r] : 0;
	for (int v = 0; v < ENROLL_VARIANTS; v++) {
		med[v] = enroll_median(c->rate[v], n);
		printf("%-6s %.1f / %.1f / %.1f enrollments/s (min / median / max), %zu enrolled, "
		    "%zu without a certificate, %zu issued but told failed, %zu tries again, "
		    "serial repaired %zu times; scepserver refused:", variant_names[v],
		    c->rate[v][0], med[v], c->rate[v][n - 1], c->ok[v], c->failed[v], c->lost[v],
		    c->retries[v], c->repairs[v]);
		for (int k = 0; k < ENROLL_FAIL_KINDS; k++)
			printf(" %s %zu%s", fail_names[k], c->fails[v][k],
			    k + 1 < ENROLL_FAIL_KINDS ? "," : "\n");
		bad += (int)(c->failed[v] + c->fails[v][ENROLL_FAIL_OTHER]);
	}
	if (c->first_failure[0] != '\0')
		printf("first failure: %s\n", c->first_failure);
	if (c->other_failure[0] != '\0')
		printf("scepserver's first refusal of kind other: %s\n", c->other_failure);
	if (c->o.profile)
		enroll_profile(c);
	printf("failures of ours: %d\n", bad);
	printf("enroll static %.1f/s true %.1f/s ndes %.1f/s ratio %.2f\n", med[ENROLL_STATIC],
	    med[ENROLL_TRUE], med[ENROLL_NDES], enroll_median(ratio, n));
	return bad == 0 ? 0 : -1;
}

static void
enroll_free(struct enroll_ctx *c)
{
	enroll_stop_all(c);
	for (int i = 0; c->keys != NULL && i < c->o.n; i++)
		EVP_PKEY_free(c->keys[i]);
	free(c->keys);
	json_decref(c->tmpl);
	if (!c->o.keep && c->work[0] != '\0')
		enroll_remove(c->work);
	else if (c->work[0] != '\0')
		fprintf(stderr, "ndes-bench: kept %s\n", c->work);
}

int
bench_enroll_main(int argc, char **argv)
{
	static struct enroll_ctx c;
	char *exec = NULL;
	int rc = -1;

	if (enroll_parse(argc, argv, &c.o) == -1) {
		enroll_usage(stderr);
		return 2;
	}
	if (c.o.policy_exec == NULL)
		c.o.policy_exec = exec = enroll_default_exec();
	snprintf(c.work, sizeof(c.work), "/tmp/ndes-bench-enroll.XXXXXX");
	printf("ndes-bench %s: enroll, %ld CPUs, %d rounds of %d enrollments per variant, "
	    "%d workers\n", PACKAGE_VERSION, sysconf(_SC_NPROCESSORS_ONLN), c.o.rounds, c.o.n,
	    c.o.workers);
	fflush(stdout);
	if (mkdtemp(c.work) == NULL)
		c.work[0] = '\0';
	else if (enroll_template(&c) == 0 && enroll_start(&c) == 0 &&
	    (c.o.hook_runs == 0 || enroll_hook_cost(&c) == 0))
		rc = c.o.rounds == 0 ? 0 : enroll_rounds(&c) == 0 ? enroll_report(&c) : -1;
	if (rc == -1 && c.ok[0] + c.ok[1] + c.ok[2] == 0)
		fprintf(stderr, "ndes-bench: enroll failed\n");
	enroll_free(&c);
	free(exec);
	return rc == 0 ? 0 : 1;
}
