/* Descriptor limits of a daemon (docs/security.md, "Resource exhaustion").
 *
 * At start a daemon raises RLIMIT_NOFILE's soft limit to its hard limit
 * (under systemd, LimitNOFILE= in the unit sets both), then fits its
 * connection caps into what that limit leaves after a reserve kept for its
 * own files: databases, key files, the journal, the link between the
 * daemons, the listeners.  Connections can then never take the descriptors
 * that crp.sock, connector.sock and the databases need. */
#ifndef NDES_RESOURCES_H
#define NDES_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

/* Descriptors kept for a daemon's own use, outside every connection cap. */
#define NDES_FD_RESERVE 64

/* Raise the soft RLIMIT_NOFILE to the hard limit.  Returns the soft limit in
 * force afterwards; logs at info when it was raised, a warning when it could
 * not be (the lower limit then stays). */
uint64_t ndes_nofile_raise(void);

/* One connection cap that takes descriptors. */
struct ndes_fd_claim {
	const char	*name;	/* the configuration key, for the log */
	int64_t		*cap;	/* lowered in place when needed */
};

/* Fit the caps into limit - reserve.  When their sum is larger, each is
 * lowered in proportion (at least 1) and a warning names the key, the old
 * and the new value and the limit.  0, or -1 (logged) when the limit leaves
 * less than one descriptor per cap. */
int ndes_fd_budget_fit(uint64_t limit, int reserve, struct ndes_fd_claim *claims,
    size_t n);

#endif
