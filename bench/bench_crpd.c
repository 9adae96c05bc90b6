/* ndes-bench: the crpd under test. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc_client.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_cpu_self(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime from a stat file of /proc (fields 14 and 15). */
static double
bench_cpu_stat(const char *path)
{
	char buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	    &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double
bench_cpu_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	return pid > 0 ? bench_cpu_stat(path) : 0;
}

double
bench_cpu_of_main_thread(pid_t pid)
{
	char path[80];

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", (long)pid, (long)pid);
	return pid > 0 ? bench_cpu_stat(path) : 0;
}

/* One request/reply of type `type` without fields; 0 when answered with want. */
static int
bench_call(const char *sock, uint16_t type, uint16_t want)
{
	struct ndes_ipc_client *c = ndes_ipc_client_connect(sock, 500, NULL, 0);
	struct ndes_ipc_msg *m;
	struct ndes_ipc_frame *reply = NULL;
	int rc;

	if (c == NULL)
		return -1;
	m = ndes_ipc_msg_new(type, ndes_ipc_client_next_id(c));
	rc = ndes_ipc_client_call(c, m, &reply, 10000, NULL, 0) == 0 &&
	    ndes_ipc_frame_type(reply) == want ? 0 : -1;
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	ndes_ipc_client_free(c);
	return rc;
}

static int
bench_write_config(const struct bench_crpd *c, const char *store_yaml, char *path, size_t len)
{
	const char *extra = getenv("NDES_BENCH_CRPD_YAML");
	FILE *f;

	snprintf(path, len, "%s/crpd.yaml", c->dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	/* room for --clients 1024 from the one uid, whatever the caps' defaults */
	fprintf(f, "tenant_id: \"%s\"\nstate_dir: %s\nipc:\n  socket: %s\n"
	    "  max_connections: 2048\n  max_connections_per_uid: 2048\n"
	    "connector:\n  socket: %s/connector.sock\n"
	    "events:\n  sink: file\n  path: %s/events.jsonl\nlog_level: info\n",
	    BENCH_TENANT, c->dir, c->sock, c->dir, c->dir);
	if (store_yaml != NULL)
		fprintf(f, "%s", store_yaml);
	if (extra != NULL)
		fprintf(f, "%s\n", extra);
	return fclose(f);
}

static int
bench_wait_ready(struct bench_crpd *c)
{
	int status;

	for (int i = 0; i < 200; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			fprintf(stderr, "ndes-bench: ndes-crpd exited (see %s/crpd.log)\n", c->dir);
			return -1;
		}
		if (bench_call(c->sock, NDES_IPC_MSG_PING, NDES_IPC_MSG_PONG) == 0)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "ndes-bench: ndes-crpd did not answer on %s\n", c->sock);
	return -1;
}

static void
bench_exec(const char *crpd_path, const char *config, const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd != -1) {
		dup2(fd, 2);
		close(fd);
	}
	unsetenv("NDES_EVENTS_SINK");
	execl(crpd_path, "ndes-crpd", "--config", config, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", crpd_path, strerror(errno));
	_exit(127);
}

int
bench_crpd_start(struct bench_crpd *c, const struct bench_pki *p, const char *crpd_path,
    const char *state_dir, const char *store_yaml)
{
	char tmpl[4096], config[4200], log[4200];
	const char *tmp = getenv("TMPDIR");

	memset(c, 0, sizeof(c[0]));
	if (state_dir == NULL) {
		snprintf(tmpl, sizeof(tmpl), "%s/ndes-bench-XXXXXX", tmp != NULL ? tmp : "/tmp");
		if (mkdtemp(tmpl) == NULL)
			return -1;
		c->own_dir = true;
		state_dir = tmpl;
	}
	c->dir = strdup(state_dir);
	if (asprintf(&c->sock, "%s/crp.sock", c->dir) == -1 || bench_pki_install(p, c->dir) ||
	    bench_write_config(c, store_yaml, config, sizeof(config)))
		return -1;
	snprintf(log, sizeof(log), "%s/crpd.log", c->dir);
	if ((c->pid = fork()) == -1)
		return -1;
	if (c->pid == 0)
		bench_exec(crpd_path, config, log);
	return bench_wait_ready(c);
}

int
bench_crpd_use(struct bench_crpd *c, const struct bench_pki *p, const char *socket,
    const char *state_dir)
{
	memset(c, 0, sizeof(c[0]));
	c->dir = strdup(state_dir);
	c->sock = strdup(socket);
	if (bench_pki_install(p, c->dir) == -1)
		return -1;
	if (bench_call(c->sock, NDES_IPC_MSG_RELOAD, NDES_IPC_MSG_RELOAD_REPLY) == -1) {
		fprintf(stderr, "ndes-bench: RELOAD on %s failed\n", socket);
		return -1;
	}
	return 0;
}

/* crpd's own account of its group commits, from its log. */
static void
bench_crpd_commits(const struct bench_crpd *c)
{
	char path[4200], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/crpd.log", c->dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "ndes-crpd: db: ", 15) == 0)
			printf("group commit: %s", line + 15);
	fclose(f);
}

void
bench_crpd_stop(struct bench_crpd *c)
{
	char cmd[4200];
	int status;

	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, &status, 0);
		bench_crpd_commits(c);
	}
	if (c->own_dir && getenv("NDES_BENCH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "ndes-bench: cannot remove %s\n", c->dir);
	}
	free(c->dir);
	free(c->sock);
	memset(c, 0, sizeof(c[0]));
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_fsync_latency(const char *dir, double *p50, double *p99)
{
	char path[4200], block[4096];
	double lat[100];
	int fd;

	*p50 = *p99 = 0;
	snprintf(path, sizeof(path), "%s/fsync-probe", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return;
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 100; i++) {
		double t = bench_now();

		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fsync(fd) == -1)
			break;
		lat[i] = (bench_now() - t) * 1000;
	}
	close(fd);
	unlink(path);
	qsort(lat, 100, sizeof(lat[0]), cmp_double);
	*p50 = lat[49];
	*p99 = lat[98];
}
