/* ndes-bench enroll: the processes it starts (scepserver, the depot
 * watcher, scepclient), how long they take and the CPU they use. */
#include "bench_enroll.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

int
enroll_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd != -1)
		close(fd);
	return port;
}

/* environ plus one entry (NULL: environ itself); free the array only. */
static char **
enroll_env(const char *extra)
{
	size_t n = 0;
	char **env;

	if (extra == NULL)
		return environ;
	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof(*env));
	env[n] = (char *)extra;
	return env;
}

pid_t
enroll_spawn(char *const argv[], const char *dir, const char *log, const char *extra_env,
    const char *in)
{
	posix_spawn_file_actions_t fa;
	char **env = enroll_env(extra_env);
	pid_t pid = -1;
	int rc;

	if (env == NULL)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in != NULL ? in : "/dev/null", O_RDONLY, 0);
	if (dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (env != environ)
		free(env);
	return rc == 0 ? pid : -1;
}

int
enroll_wait_port(int port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double until = bench_now() + seconds;
	int fd, rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	do {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rc = fd != -1 ? connect(fd, (struct sockaddr *)&sa, sizeof(sa)) : -1;
		if (fd != -1)
			close(fd);
		if (rc == 0)
			return 0;
		bench_sleep_until(bench_now() + 0.05);
	} while (bench_now() < until);
	return -1;
}

int
enroll_wait_text(const char *file, const char *text, double seconds)
{
	double until = bench_now() + seconds;
	char buf[8192];
	size_t n;
	FILE *f;

	do {
		if ((f = fopen(file, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			if (strstr(buf, text) != NULL)
				return 0;
		}
		bench_sleep_until(bench_now() + 0.05);
	} while (bench_now() < until);
	return -1;
}

void
enroll_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

double
enroll_cpu(const struct enroll_proc *p)
{
	char path[64], buf[2048], *s;
	unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)p->pid);
	if (p->pid <= 0 || (f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((s = strrchr(buf, ')')) == NULL || sscanf(s + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut, &st, &cut,
	    &cst) != 4)
		return 0;
	return (double)(p->children ? cut + cst : ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double
enroll_children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- The clients ----------------------------------------------------- */

struct enroll_pool {
	struct enroll_batch	*b;
	atomic_size_t		 next;
	pthread_mutex_t		 lock;
};

/* The end of scepclient's log in dir, for the report. */
static void
enroll_client_log(const char *dir, char *line, size_t linelen)
{
	char path[4200], buf[16384], *last;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/scepclient.log", dir);
	buf[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	last = strrchr(buf, '\n');
	snprintf(line, linelen, "%.60s: %.180s", dir, last != NULL ? last + 1 : buf);
}

int
enroll_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* scepclient in dir: 0 when it got its certificate. */
static int
enroll_one(const char *url, const char *dir)
{
	char *argv[] = { (char *)"scepclient", (char *)"-server-url", (char *)url,
	    (char *)"-private-key", (char *)"key.pem", NULL };
	char log[4200], cert[4200];
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/scepclient.log", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	if ((pid = enroll_spawn(argv, dir, log, NULL, NULL)) == -1)
		return -1;
	status = enroll_wait(pid);
	return status == 0 && access(cert, F_OK) == 0 ? 0 : -1;
}

/* One enrollment, tried again with the same key and request when it got
 * no certificate, unless scepserver issued it all the same (a retry is
 * then refused: one-time use ends at issuance). */
static void
enroll_item(struct enroll_pool *pool, size_t i)
{
	struct enroll_batch *b = pool->b;
	char dir[4096], line[256];
	int attempt = 0, rc;
	bool lost = false;

	snprintf(dir, sizeof(dir), "%s/%zu", b->dir, i);
	while ((rc = enroll_one(b->url, dir)) == -1 && attempt++ < ENROLL_RETRIES &&
	    !(lost = enroll_issued(b->depot, dir))) {
		pthread_mutex_lock(&pool->lock);
		b->retries++;
		if (enroll_repair_serial(b->depot) == 1)
			b->repairs++;
		pthread_mutex_unlock(&pool->lock);
		bench_sleep_until(bench_now() + 0.005 + 0.02 * ((double)(i * 7919 % 101) / 100.0 +
		    attempt) / (attempt + 1));
	}
	if (rc == -1)
		enroll_client_log(dir, line, sizeof(line));
	pthread_mutex_lock(&pool->lock);
	if (rc == 0)
		b->ok++;
	else if (lost)
		b->lost++;
	else if (b->failed++ == 0)
		snprintf(b->first_failure, sizeof(b->first_failure), "%s", line);
	pthread_mutex_unlock(&pool->lock);
}

static void *
enroll_worker(void *arg)
{
	struct enroll_pool *pool = arg;
	size_t i;

	while ((i = atomic_fetch_add(&pool->next, 1)) < pool->b->n)
		enroll_item(pool, i);
	return NULL;
}

void
enroll_run(struct enroll_batch *b)
{
	struct enroll_pool pool = { .b = b };
	pthread_t tid[64];
	int w = b->workers > 64 ? 64 : b->workers;

	pthread_mutex_init(&pool.lock, NULL);
	for (int t = 0; t < w; t++)
		pthread_create(&tid[t], NULL, enroll_worker, &pool);
	for (int t = 0; t < w; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&pool.lock);
}

/* The highest serial among the depot's "<name>.<decimal serial>.pem". */
static unsigned long long
enroll_max_issued(const char *depot)
{
	unsigned long long max = 0, v;
	struct dirent *e;
	DIR *d = opendir(depot);
	char *end, *dot;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if ((end = strrchr(e->d_name, '.')) == NULL || strcmp(end, ".pem") != 0)
			continue;
		*end = '\0';
		if ((dot = strrchr(e->d_name, '.')) != NULL && dot[1] != '\0' &&
		    (v = strtoull(dot + 1, &end, 10)) > max && *end == '\0')
			max = v;
	}
	if (d != NULL)
		closedir(d);
	return max;
}

int
enroll_repair_serial(const char *depot)
{
	char path[4300], tmp[4400];
	unsigned long long serial = 0, max = enroll_max_issued(depot);
	FILE *f;

	snprintf(path, sizeof(path), "%s/serial", depot);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%llx", &serial) != 1)
			serial = 0;
		fclose(f);
	}
	if (max == 0 || serial > max)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/.serial.bench", depot);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%02llx\n", max + 1);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		return -1;
	return 1;
}

long
enroll_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static enum enroll_fail
enroll_fail_kind(const char *line)
{
	/* scepserver's writers of depot/serial race each other: one finds the
	 * file created ("file exists") or not yet there ("serial: no such file
	 * or directory", seen in the static variant, where nothing of ours
	 * runs) */
	if (strstr(line, "file exists") != NULL || strstr(line, "to serial number") != NULL ||
	    strstr(line, "/serial: no such file or directory") != NULL)
		return ENROLL_FAIL_DEPOT_RACE;
	if (strstr(line, "CSR verify failed") != NULL || strstr(line, "challenge") != NULL)
		return ENROLL_FAIL_REFUSED;
	return ENROLL_FAIL_OTHER;
}

void
enroll_scan_log(const char *log, long offset, size_t counts[ENROLL_FAIL_KINDS], char *other,
    size_t otherlen)
{
	char line[8192];
	FILE *f = fopen(log, "r");
	enum enroll_fail kind;

	if (f == NULL)
		return;
	if (fseek(f, offset, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strstr(line, "failed to sign CSR") == NULL)
				continue;
			counts[kind = enroll_fail_kind(line)]++;
			if (kind == ENROLL_FAIL_OTHER && other[0] == '\0')
				snprintf(other, otherlen, "%.*s", (int)strcspn(line, "\n"), line);
		}
	fclose(f);
}

static int
enroll_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void
enroll_remove(const char *dir)
{
	nftw(dir, enroll_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
