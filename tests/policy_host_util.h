/* Helpers for the policy module's tests (test_policy.c, policy_host.c):
 * the stand-in ndes-crpd (policy_host_peer); temporary folders are
 * tests/lib/tmpdir.h.  Plain C without Criterion, so the dlopen host can
 * use them too. */
#ifndef NDES_POLICY_HOST_UTIL_H
#define NDES_POLICY_HOST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/tmpdir.h"

/* $top_builddir/<rel> (top_builddir from the environment, else "."). */
char *ptest_build_path(const char *rel);

/* Start tests/policy_host_peer on sock, logging to logfile; returns once
 * it accepts connections (-1 if it did not within 5 s). */
pid_t ptest_peer_start(const char *sock, const char *logfile);
/* SIGTERM (sig 0) or the given signal, then wait for it. */
void ptest_peer_stop(pid_t pid, int sig);

/* Lines of the peer's log that contain needle. */
int ptest_log_count(const char *logfile, const char *needle);
/* The whole file, allocated ("" if it does not exist). */
char *ptest_read_file(const char *path);

/* Monotonic milliseconds. */
int64_t ptest_now_ms(void);

#endif
