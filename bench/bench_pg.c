/* ndes-bench: the PostgreSQL challenge store of the crpd nodes under test
 * (--store postgresql): a server of the benchmark's own, started as the
 * tests start theirs (tests/lib/pg-cluster.sh: initdb and pg_ctl as an
 * unprivileged user, a Unix socket in a temporary folder, the Debian
 * defaults: fsync and synchronous_commit on), or the database --conninfo
 * names. */
#include "bench.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NDES_PG_CLUSTER_SH
#define NDES_PG_CLUSTER_SH "tests/lib/pg-cluster.sh"
#endif
#define BENCH_PG_PASSWORD_LEN 24

static const char *
pg_script(void)
{
	const char *s = getenv("NDES_PG_CLUSTER");

	return s != NULL ? s : NDES_PG_CLUSTER_SH;
}

/* sh pg-cluster.sh what dir [arg]: 0, or -1 said on stderr. */
static int
pg_run(const char *what, const char *dir, const char *arg)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s' %s >/dev/null", pg_script(), what, dir,
	    arg != NULL ? arg : "");
	if (system(cmd) == 0)
		return 0;
	fprintf(stderr, "ndes-bench: failed: %s\n", cmd);
	return -1;
}

/* A random password for the role, in dir/crpd.password (0600). */
static int
pg_password(const char *dir, char *pw, size_t len, char *path, size_t pathlen)
{
	static const char set[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char rnd[BENCH_PG_PASSWORD_LEN];
	FILE *f;
	int fd;

	if (len <= BENCH_PG_PASSWORD_LEN || (fd = open("/dev/urandom", O_RDONLY)) == -1)
		return -1;
	if (read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(rnd); i++)
		pw[i] = set[rnd[i] % (sizeof(set) - 1)];
	pw[BENCH_PG_PASSWORD_LEN] = '\0';
	snprintf(path, pathlen, "%s/crpd.password", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", pw);
	return fclose(f) == 0 ? 0 : -1;
}

/* The server of our own: started, with the role and database crpd. */
static int
pg_own(struct bench_pg *pg)
{
	char tmpl[4096], pw[64], role[80], pwfile[4200], store[8192];
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpl, sizeof(tmpl), "%s/ndes-bench-pg-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0711) == -1)
		return -1;
	pg->dir = strdup(tmpl);
	if (pg->dir == NULL || pg_run("start", pg->dir, NULL) == -1 ||
	    pg_password(pg->dir, pw, sizeof(pw), pwfile, sizeof(pwfile)) == -1)
		return -1;
	snprintf(role, sizeof(role), "crpd %s", pw);
	memset(pw, 0, sizeof(pw));
	if (pg_run("role", pg->dir, role) == -1)
		return -1;
	memset(role, 0, sizeof(role));
	snprintf(store, sizeof(store), "store:\n  backend: postgresql\n"
	    "  conninfo: \"host=%s/pg port=5432 dbname=crpd user=crpd\"\n"
	    "  password_file: %s\n", pg->dir, pwfile);
	pg->yaml = strdup(store);
	snprintf(pg->where, sizeof(pg->where), "a server of its own in %s/pg", pg->dir);
	return pg->yaml != NULL ? 0 : -1;
}

int
bench_pg_start(struct bench_pg *pg, const char *conninfo, const char *password_file,
    const char *sslmode)
{
	char store[8192];

	memset(pg, 0, sizeof(*pg));
	if (conninfo == NULL)
		return pg_own(pg);
	snprintf(store, sizeof(store), "store:\n  backend: postgresql\n  conninfo: \"%s\"\n"
	    "  sslmode: %s\n%s%s%s", conninfo, sslmode != NULL ? sslmode : "verify-full",
	    password_file != NULL ? "  password_file: " : "",
	    password_file != NULL ? password_file : "", password_file != NULL ? "\n" : "");
	snprintf(pg->where, sizeof(pg->where), "%s", conninfo);
	return (pg->yaml = strdup(store)) != NULL ? 0 : -1;
}

void
bench_pg_stop(struct bench_pg *pg)
{
	char cmd[4200];

	if (pg->dir != NULL) {
		pg_run("stop", pg->dir, "fast");
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg->dir);
		if (getenv("NDES_BENCH_KEEP") == NULL && system(cmd) != 0)
			fprintf(stderr, "ndes-bench: cannot remove %s\n", pg->dir);
	}
	free(pg->dir);
	free(pg->yaml);
	memset(pg, 0, sizeof(*pg));
}

/* The postmaster of our own server (its postmaster.pid's first line). */
static pid_t
pg_postmaster(const struct bench_pg *pg)
{
	char path[4200];
	long pid = 0;
	FILE *f;

	if (pg->dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/pg/data/postmaster.pid", pg->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* The parent of process pid (/proc/pid/stat, field 4), or 0. */
static pid_t
pg_parent(const char *pid)
{
	char path[300], buf[1024], *p;
	long ppid = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %ld", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

double
bench_pg_cpu(const struct bench_pg *pg)
{
	pid_t master = pg_postmaster(pg);
	struct dirent *e;
	double cpu;
	DIR *d;

	if (master <= 0 || (d = opendir("/proc")) == NULL)
		return 0;
	cpu = bench_cpu_of(master);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && pg_parent(e->d_name) == master)
			cpu += bench_cpu_of((pid_t)atol(e->d_name));
	closedir(d);
	return cpu;
}
