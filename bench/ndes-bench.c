/* ndes-bench: how fast ndes-crpd verifies challenges, against how fast the
 * same crypto runs in process (docs/crpd.md, "Benchmark").
 *
 *   ndes-bench verify --alg ec-p256|rsa-2048 [--seconds S] [--clients C]
 *       [--crpd PATH] [--state-dir DIR] [--socket PATH] [--no-half]
 *       [--latencies FILE] [--reference]
 *       [--store sqlite|postgresql [--conninfo STR [--password-file F]
 *        [--sslmode M]] [--nodes N]]
 *   ndes-bench mint --admin-port P [--body JSON] [--alg A] [--seconds S]
 *       [--clients C] [--emulator-pid PID]
 *   ndes-bench enroll ... (bench_enroll.c; bench/enroll.sh runs it)
 *
 * The line before the last:
 *   bound <alg> <bound>/s limit <limit>/s ratio <limit/bound>
 * Last line of the output, always exactly:
 *   verify <alg> <achieved>/s limit <limit>/s ratio <achieved/limit> */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* Requests sent to a server before it is timed. */
#define BENCH_WARM_ITEMS 256

struct opts {
	const char	*alg;
	double		 seconds;
	int		 clients;
	const char	*crpd;
	const char	*state_dir;
	const char	*socket;
	const char	*latencies;
	int		 admin_port;	/* mint */
	pid_t		 emulator_pid;	/* mint: its CPU per mint */
	const char	*body;
	bool		 half;
	bool		 reference;	/* also the server with no hand-offs */
	bool		 postgresql;	/* --store postgresql */
	const char	*conninfo, *password_file, *sslmode;	/* NULL: our own server */
	int		 nodes;		/* crpd processes on one store */
	int		 argc;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: ndes-bench verify --alg ec-p256|rsa-2048 [--seconds S] "
	    "[--clients C]\n"
	    "           [--crpd PATH] [--state-dir DIR] [--socket PATH] [--no-half]\n"
	    "           [--latencies FILE] [--reference]\n"
	    "           [--store sqlite|postgresql [--conninfo STR [--password-file FILE]\n"
	    "            [--sslmode MODE]] [--nodes 1..%d]]\n"
	    "       ndes-bench mint --admin-port P [--body JSON] [--alg A] [--seconds S] "
	    "[--clients C]\n"
	    "           [--emulator-pid PID]\n"
	    "       ndes-bench enroll --help\n", BENCH_MAX_NODES);
}

/* ../crp/ndes-crpd next to this program's folder, or $NDES_CRPD. */
static char *
default_crpd(void)
{
	char self[4096], *dir, *out;
	ssize_t n;

	if (getenv("NDES_CRPD") != NULL)
		return strdup(getenv("NDES_CRPD"));
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return strdup("ndes-crpd");
	self[n] = '\0';
	dir = dirname(self);
	if (asprintf(&out, "%s/../crp/ndes-crpd", dir) == -1)
		return NULL;
	return out;
}

/* Several nodes share a PostgreSQL store and are driven at their peak
 * only (the half-rate runs drive one socket). */
static int
parse_check(struct opts *o)
{
	if (optind != o->argc || o->alg == NULL || (strcmp(o->alg, "ec-p256") != 0 &&
	    strcmp(o->alg, "rsa-2048") != 0) || o->seconds <= 0 || o->clients < 1 ||
	    o->clients > 1024 || (o->socket != NULL && o->state_dir == NULL))
		return -1;
	if ((!o->postgresql && (o->conninfo != NULL || o->nodes != 1)) ||
	    (o->conninfo == NULL && (o->password_file != NULL || o->sslmode != NULL)) ||
	    o->nodes < 1 || o->nodes > BENCH_MAX_NODES ||
	    (o->socket != NULL && (o->postgresql || o->nodes != 1)))
		return -1;
	if (o->nodes > 1)
		o->half = o->reference = false;
	return 0;
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "seconds", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "crpd", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'S' },
		{ "no-half", no_argument, NULL, 'n' },
		{ "latencies", required_argument, NULL, 'l' },
		{ "reference", no_argument, NULL, 'r' },
		{ "admin-port", required_argument, NULL, 'A' },
		{ "body", required_argument, NULL, 'b' },
		{ "emulator-pid", required_argument, NULL, 'E' },
		{ "store", required_argument, NULL, 'T' },
		{ "conninfo", required_argument, NULL, 'C' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "sslmode", required_argument, NULL, 'M' },
		{ "nodes", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*o = (struct opts){ .seconds = 5, .clients = 32, .half = true, .nodes = 1, .argc = argc,
	    .body = "{\"device\":\"dev-ios-1\",\"profile\":\"wifi-user\",\"user\":\"alice@contoso.com\"}" };
	if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "mint") != 0))
		return -1;
	if (strcmp(argv[1], "mint") == 0)
		o->alg = "rsa-2048";
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o->alg = optarg; break;
		case 's': o->seconds = atof(optarg); break;
		case 'c': o->clients = atoi(optarg); break;
		case 'p': o->crpd = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 'S': o->socket = optarg; break;
		case 'n': o->half = false; break;
		case 'l': o->latencies = optarg; break;
		case 'r': o->reference = true; break;
		case 'A': o->admin_port = atoi(optarg); break;
		case 'b': o->body = optarg; break;
		case 'E': o->emulator_pid = (pid_t)atol(optarg); break;
		case 'T': o->postgresql = strcmp(optarg, "postgresql") == 0;
			if (!o->postgresql && strcmp(optarg, "sqlite") != 0)
				return -1;
			break;
		case 'C': o->conninfo = optarg; break;
		case 'P': o->password_file = optarg; break;
		case 'M': o->sslmode = optarg; break;
		case 'N': o->nodes = atoi(optarg); break;
		default: return -1;
		}
	}
	return parse_check(o);
}

static double
bench_rate(size_t ops, double seconds)
{
	return seconds > 0 ? (double)ops / seconds : 0;
}

static void
print_run(const char *what, const struct bench_stats *s)
{
	printf("%s: %zu verified in %.2f s = %.0f/s, p50 %.2f ms, p99 %.2f ms, %zu failed\n",
	    what, s->done, s->seconds, s->seconds > 0 ? (double)s->done / s->seconds : 0,
	    s->p50_ms, s->p99_ms, s->failed);
	if (s->failed > 0)
		printf("  first failure: %s\n", s->first_failure);
}

struct bench {
	struct opts		 o;
	struct bench_pki	 pki;
	struct bench_item	*items;
	size_t			 n_items, used;
	int			 cpus;
	struct bench_crpd	 crpd[BENCH_MAX_NODES];	/* o.nodes of them */
	const char		*socks[BENCH_MAX_NODES];
	struct bench_pg		 pg;
	size_t			 limit_ops;	/* summed over the slices */
	double			 limit_s;
	struct bench_bound	*bound;
	size_t			 bound_ops;	/* summed over the slices */
	double			 bound_s, bound_cpu;
	double			 limit_cpu, crpd_cpu, client_cpu, pg_cpu;	/* seconds */
	struct bench_stats	 peak, half, floor, ref;
	struct bench_reference	 reference;
};

/* Mint up to total items (keeping the ones there). */
static int
bench_grow(struct bench *b, size_t total)
{
	struct bench_item *items;

	if (total <= b->n_items)
		return 0;
	if ((items = realloc(b->items, total * sizeof(*items))) == NULL)
		return -1;
	memset(items + b->n_items, 0, (total - b->n_items) * sizeof(*items));
	b->items = items;
	if (bench_mint(&b->pki, BENCH_TENANT, b->items, b->n_items, total - b->n_items,
	    b->cpus) == -1)
		return -1;
	b->n_items = total;
	return 0;
}

/* The next n unused items (minted now, outside the timed parts). */
static struct bench_item *
bench_take(struct bench *b, size_t n)
{
	struct bench_item *it;

	if (bench_grow(b, b->used + n) == -1)
		return NULL;
	it = b->items + b->used;
	b->used += n;
	return it;
}

/* With --store postgresql: our own server, or the one --conninfo names. */
static int
bench_start_store(struct bench *b)
{
	if (!b->o.postgresql)
		return 0;
	if (bench_pg_start(&b->pg, b->o.conninfo, b->o.password_file, b->o.sslmode) == -1) {
		fprintf(stderr, "ndes-bench: the PostgreSQL store could not be set up\n");
		return -1;
	}
	printf("challenge store: PostgreSQL, %s; %d crpd node%s\n", b->pg.where, b->o.nodes,
	    b->o.nodes == 1 ? "" : "s");
	return 0;
}

static int
bench_start_crpd(struct bench *b)
{
	char *crpd;
	double p50, p99;
	int rc = 0;

	if (b->o.socket != NULL) {
		b->socks[0] = b->o.socket;
		return bench_crpd_use(&b->crpd[0], &b->pki, b->o.socket, b->o.state_dir);
	}
	if (bench_start_store(b) == -1)
		return -1;
	crpd = b->o.crpd != NULL ? strdup(b->o.crpd) : default_crpd();
	for (int i = 0; i < b->o.nodes && rc == 0; i++) {
		rc = bench_crpd_start(&b->crpd[i], &b->pki, crpd, i == 0 ? b->o.state_dir : NULL,
		    b->pg.yaml);
		b->socks[i] = b->crpd[i].sock;
	}
	free(crpd);
	if (rc == 0) {
		bench_fsync_latency(b->crpd[0].dir, &p50, &p99);
		printf("ndes-crpd state in %s (fsync there: p50 %.2f ms, p99 %.2f ms)\n",
		    b->crpd[0].dir, p50, p99);
	}
	return rc;
}

/* CPU seconds used so far by the crpd nodes. */
static double
bench_cpu_crpd(const struct bench *b)
{
	double cpu = 0;

	for (int i = 0; i < b->o.nodes; i++)
		cpu += bench_cpu_of(b->crpd[i].pid);
	return cpu;
}

/* Slices of the same length alternate between the primitive bound, the
 * in-process limit and crpd, so that load from elsewhere on the machine
 * weighs on all alike. */
static int
bench_peak(struct bench *b)
{
	int rounds = b->o.seconds < 1 ? 1 : (int)(b->o.seconds + 0.5);
	double slice = b->o.seconds / rounds, el, est;
	struct bench_item *it;
	size_t n, before;
	double cpu;

	for (int r = 0; r < rounds; r++) {
		cpu = bench_cpu_self();
		b->limit_ops += bench_limit(&b->pki, b->items, 512, b->cpus, slice, true, &el);
		b->limit_cpu += bench_cpu_self() - cpu;
		b->limit_s += el;
		cpu = bench_cpu_self();
		b->bound_ops += bench_bound_run(b->bound, b->cpus, slice, &el);
		b->bound_cpu += bench_cpu_self() - cpu;
		b->bound_s += el;
		est = (double)b->limit_ops / b->limit_s;
		n = (size_t)(est * slice * 2.5) + 512;
		before = b->peak.nlat;
		if ((it = bench_take(b, n)) == NULL)
			return -1;
		cpu = bench_cpu_self();
		b->crpd_cpu -= bench_cpu_crpd(b);
		b->pg_cpu -= bench_pg_cpu(&b->pg);
		if (bench_drive_nodes(b->socks, b->o.nodes, it, n, b->o.clients, slice, 0,
		    &b->peak) == -1)
			return -1;
		b->crpd_cpu += bench_cpu_crpd(b);
		b->pg_cpu += bench_pg_cpu(&b->pg);
		b->client_cpu += bench_cpu_self() - cpu;
		if (b->peak.nlat - before >= n)
			printf("warning: ran out of pre-minted challenges\n");
	}
	bench_stats_finish(&b->peak);
	return 0;
}

/* CPU time per operation: independent of what else runs on the machine. */
static void
bench_print_cpu(const struct bench *b)
{
	double n = (double)b->peak.done;

	if (n == 0 || b->limit_ops == 0 || b->crpd[0].pid <= 0)
		return;
	if (b->pg.dir != NULL)
		printf("cpu per verification: crpd %.0f us + postgres %.0f us + clients %.0f us, "
		    "limit %.0f us (cpu ratio %.2f)\n", b->crpd_cpu / n * 1e6, b->pg_cpu / n * 1e6,
		    b->client_cpu / n * 1e6, b->limit_cpu / (double)b->limit_ops * 1e6,
		    (b->limit_cpu / (double)b->limit_ops) /
		    ((b->crpd_cpu + b->pg_cpu + b->client_cpu) / n));
	else
		printf("cpu per verification: crpd %.0f us + clients %.0f us, limit %.0f us "
		    "(cpu ratio %.2f)\n", b->crpd_cpu / n * 1e6, b->client_cpu / n * 1e6,
		    b->limit_cpu / (double)b->limit_ops * 1e6,
		    (b->limit_cpu / (double)b->limit_ops) / ((b->crpd_cpu + b->client_cpu) / n));
	if (b->bound_ops > 0)
		printf("cpu per verification: primitive bound %.0f us, limit %.0f us "
		    "(cpu ratio %.2f)\n", b->bound_cpu / (double)b->bound_ops * 1e6,
		    b->limit_cpu / (double)b->limit_ops * 1e6,
		    (b->bound_cpu / (double)b->bound_ops) / (b->limit_cpu / (double)b->limit_ops));
}

/* With --reference: the items of every slice minted first (the reference
 * server is a fork, it sees only those), then the server started and
 * warmed up as crpd was (its first requests fault in the fork's pages). */
static int
bench_half_reference(struct bench *b, size_t per_slice, int rounds)
{
	struct bench_stats warm = { 0 };
	struct bench_item *it;
	int rc;

	if (!b->o.reference)
		return 0;
	if (bench_grow(b, b->used + BENCH_WARM_ITEMS + 2 * (size_t)rounds * per_slice) == -1 ||
	    bench_reference_start(&b->reference, &b->pki, b->items, b->n_items, b->cpus,
	    b->crpd[0].dir) == -1 || (it = bench_take(b, BENCH_WARM_ITEMS)) == NULL)
		return -1;
	rc = bench_drive(b->reference.sock, it, BENCH_WARM_ITEMS, b->o.clients, 60, 0, &warm);
	bench_stats_free(&warm);
	return rc;
}

static void
bench_half_print(const struct bench *b, double rate)
{
	printf("half the peak rate (%.0f/s paced): p50 %.2f ms, p99 %.2f ms, %zu failed\n",
	    rate, b->half.p50_ms, b->half.p99_ms, b->half.failed);
	if (b->o.reference)
		printf("half the peak rate to the reference server (no hand-offs, crypto only, "
		    "%d threads): p50 %.2f ms, p99 %.2f ms, %zu failed\n", b->cpus,
		    b->ref.p50_ms, b->ref.p99_ms, b->ref.failed);
	printf("half the peak rate in process (crypto only, %d threads): p50 %.2f ms, "
	    "p99 %.2f ms\n", b->cpus, b->floor.p50_ms, b->floor.p99_ms);
}

/* One slice of each half-rate run: crpd, the reference server, the floor. */
static int
bench_half_slice(struct bench *b, double rate, double slice, size_t n)
{
	struct bench_item *it;

	if ((it = bench_take(b, n)) == NULL || bench_drive_clients(b->crpd[0].sock, it, n,
	    b->o.clients, slice, rate, &b->half) == -1)
		return -1;
	if (b->o.reference && ((it = bench_take(b, n)) == NULL ||
	    bench_drive_clients(b->reference.sock, it, n, b->o.clients, slice, rate,
	    &b->ref) == -1))
		return -1;
	return bench_limit_paced(&b->pki, b->items, 512, b->cpus, slice, rate, &b->floor);
}

/* Half the peak rate, paced, alternating with the same crypto in process at
 * that rate (what the machine itself allows, the floor to read crpd's
 * latency against) and, with --reference, with the reference server, in
 * slices of about a second, as bench_peak() does, so that all see the same
 * minutes of this machine.  One thread per client (bench_drive_clients()),
 * as the policy module's callers are. */
static int
bench_half(struct bench *b, double rate)
{
	int rounds = b->o.seconds < 1 ? 1 : (int)(b->o.seconds + 0.5);
	double slice = b->o.seconds / rounds;
	size_t n = (size_t)(rate * slice * 1.1) + 64;
	int rc = 0;

	if (bench_half_reference(b, n, rounds) == -1)
		return -1;
	for (int r = 0; r < rounds && rc == 0; r++)
		rc = bench_half_slice(b, rate, slice, n);
	bench_reference_stop(&b->reference);
	if (rc == -1)
		return -1;
	bench_stats_finish(&b->half);
	bench_stats_finish(&b->ref);
	bench_stats_finish(&b->floor);
	bench_half_print(b, rate);
	return 0;
}

static int
bench_run(struct bench *b)
{
	struct bench_stats warm = { 0 };
	struct bench_item *it;
	size_t ops;
	double rate, el;
	int rc;

	if (bench_grow(b, 512) == -1 || (b->bound = bench_bound_new(&b->pki)) == NULL)
		return -1;
	ops = bench_limit(&b->pki, b->items, 512, b->cpus, 1, false, &el);
	b->used = 512;
	if (bench_start_crpd(b) == -1 || (it = bench_take(b, BENCH_WARM_ITEMS)) == NULL ||
	    bench_drive_nodes(b->socks, b->o.nodes, it, BENCH_WARM_ITEMS, b->o.clients, 60, 0,
	    &warm) == -1)
		return -1;
	bench_stats_free(&warm);
	if (bench_peak(b) == -1)
		return -1;
	printf("limit (in process, %d threads): challenge decrypt + challenge signature + "
	    "request parse and signature: %.0f/s (challenge alone: %.0f/s)\n", b->cpus,
	    (double)b->limit_ops / b->limit_s, (double)ops / el);
	printf("primitive bound (in process, %d threads): %s + challenge signature check + "
	    "request signature check: %.0f/s\n", b->cpus, strcmp(b->o.alg, "rsa-2048") == 0 ?
	    "RSA-OAEP decryption" : "ECDH", bench_rate(b->bound_ops, b->bound_s));
	print_run("peak", &b->peak);
	bench_print_cpu(b);
	if (!b->o.half || b->peak.done == 0)
		return 0;
	rate = (double)b->peak.done / b->peak.seconds / 2;
	if (b->o.latencies != NULL && (b->half.trace = fopen(b->o.latencies, "w")) == NULL) {
		fprintf(stderr, "ndes-bench: %s: %s\n", b->o.latencies, strerror(errno));
		return -1;
	}
	rc = bench_half(b, rate);
	if (b->half.trace != NULL && fclose(b->half.trace) != 0 && rc == 0) {
		fprintf(stderr, "ndes-bench: %s: %s\n", b->o.latencies, strerror(errno));
		rc = -1;
	}
	b->half.trace = NULL;
	return rc;
}

/* ndes-bench mint (bench_mint.c). */
static int
bench_mint_cmd(struct bench *b)
{
	int rc;

	if (b->o.admin_port <= 0) {
		usage(stderr);
		return 2;
	}
	printf("ndes-bench %s: mint on 127.0.0.1:%d, %d CPUs, %d clients, %.1f s\n",
	    PACKAGE_VERSION, b->o.admin_port, b->cpus, b->o.clients, b->o.seconds);
	fflush(stdout);
	rc = bench_pki_new(&b->pki, b->o.alg) == -1 ? -1 : bench_mint_main(b->o.admin_port,
	    b->o.body, b->o.clients, b->o.seconds, b->cpus, &b->pki, b->o.emulator_pid);
	bench_pki_free(&b->pki);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct bench b;
	double achieved, limit, bound;
	int rc;

	memset(&b, 0, sizeof(b));
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return bench_enroll_main(argc, argv);
	if (parse(argc, argv, &b.o) == -1) {
		usage(stderr);
		return 2;
	}
	b.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (b.cpus < 1)
		b.cpus = 1;
	if (strcmp(argv[1], "mint") == 0)
		return bench_mint_cmd(&b);
	printf("ndes-bench %s: verify %s, %d CPUs, %d clients, %.1f s per run\n",
	    PACKAGE_VERSION, b.o.alg, b.cpus, b.o.clients, b.o.seconds);
	fflush(stdout);
	rc = bench_pki_new(&b.pki, b.o.alg) == -1 ? -1 : bench_run(&b);
	if (rc == -1)
		fprintf(stderr, "ndes-bench: setup failed\n");
	for (int i = 0; i < BENCH_MAX_NODES; i++)
		bench_crpd_stop(&b.crpd[i]);
	bench_pg_stop(&b.pg);
	achieved = bench_rate(b.peak.done, b.peak.seconds);
	limit = bench_rate(b.limit_ops, b.limit_s);
	bound = bench_rate(b.bound_ops, b.bound_s);
	printf("bound %s %.0f/s limit %.0f/s ratio %.2f\n", b.o.alg, bound, limit,
	    bound > 0 ? limit / bound : 0);
	printf("verify %s %.0f/s limit %.0f/s ratio %.2f\n", b.o.alg, achieved, limit,
	    limit > 0 ? achieved / limit : 0);
	if (b.peak.failed > 0 || b.half.failed > 0 || b.ref.failed > 0)
		rc = -1;
	bench_stats_free(&b.peak);
	bench_stats_free(&b.half);
	bench_stats_free(&b.floor);
	bench_stats_free(&b.ref);
	bench_items_free(b.items, b.n_items);
	bench_bound_free(b.bound);
	bench_pki_free(&b.pki);
	return rc == 0 ? 0 : 1;
}
