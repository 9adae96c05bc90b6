/* What a process costs, read from /proc: CPU time and descriptors. */
#ifndef NDES_TEST_PROCSTAT_H
#define NDES_TEST_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

/* Monotonic clock in milliseconds. */
int64_t	procstat_now_ms(void);
/* utime + stime of pid in milliseconds; -1 when it cannot be read. */
int64_t	procstat_cpu_ms(pid_t pid);
/* The share of one core pid used while the caller slept ms. */
double	procstat_cpu_share(pid_t pid, int ms);
/* Lines of path holding needle (NULL: all lines); 0 when unreadable. */
size_t	procstat_count_lines(const char *path, const char *needle);

/* For a child running a server that runs out of descriptors for 4 s (its
 * stderr in log): over 2 s it used under 20 % of a core, it logged its
 * accept failures ("accept: Too many open files; not accepting for N ms"),
 * rate-limited (at most LOG_RATE_BURST lines and a report), and exited 0.
 * Criterion assertions; reaps pid. */
void	procstat_expect_backoff(pid_t pid, const char *log);

#endif
