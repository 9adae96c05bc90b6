/* What a process costs, read from /proc.  See procstat.h. */
#include "procstat.h"

#include <criterion/criterion.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

int64_t
procstat_now_ms(void)
{
	return ndes_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t
procstat_cpu_ms(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "pid (comm) ": state, then 10 fields before utime and stime */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (int64_t)((ut + st) * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK));
}

double
procstat_cpu_share(pid_t pid, int ms)
{
	int64_t t0 = procstat_now_ms(), c0 = procstat_cpu_ms(pid);

	usleep((useconds_t)ms * 1000);
	return (double)(procstat_cpu_ms(pid) - c0) / (double)(procstat_now_ms() - t0);
}

size_t
procstat_count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return 0;
	while (getline(&line, &cap, f) > 0)
		n += needle == NULL || strstr(line, needle) != NULL;
	free(line);
	fclose(f);
	return n;
}

void
procstat_expect_backoff(pid_t pid, const char *log)
{
	double cpu = procstat_cpu_share(pid, 2000);
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status 0x%x", status);
	cr_assert_lt(cpu, 0.20, "the server used %.0f %% of a core", cpu * 100);
	cr_assert_gt(procstat_count_lines(log, "accept: Too many open files; not accepting"),
	    0);
	cr_assert_leq(procstat_count_lines(log, NULL), LOG_RATE_BURST + 1);
}
