/* Descriptor limits: raise RLIMIT_NOFILE, fit the connection caps.  See
 * resources.h. */
#include "resources.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"

uint64_t
ndes_nofile_raise(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return 1024;
	}
	if (rl.rlim_cur >= rl.rlim_max)
		return (uint64_t)rl.rlim_cur;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("cannot raise the descriptor limit from %llu to %llu (setrlimit)",
		    (unsigned long long)was, (unsigned long long)rl.rlim_max);
		return (uint64_t)was;
	}
	log_info("descriptor limit raised from %llu to %llu (RLIMIT_NOFILE)",
	    (unsigned long long)was, (unsigned long long)rl.rlim_max);
	return (uint64_t)rl.rlim_max;
}

int
ndes_fd_budget_fit(uint64_t limit, int reserve, struct ndes_fd_claim *claims, size_t n)
{
	uint64_t budget = limit > (uint64_t)reserve ? limit - (uint64_t)reserve : 0, sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)*claims[i].cap;
	if (sum <= budget)
		return 0;
	if (budget < n) {
		log_warnx("a descriptor limit of %llu leaves no room for connections (%d are "
		    "kept in reserve): raise LimitNOFILE= or ulimit -n",
		    (unsigned long long)limit, reserve);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t was = *claims[i].cap;
		int64_t now = (int64_t)((uint64_t)was * budget / sum);

		*claims[i].cap = now > 0 ? now : 1;
		log_warnx("%s lowered from %lld to %lld: the descriptor limit is %llu and %d "
		    "descriptors are kept in reserve (raise LimitNOFILE= or ulimit -n)",
		    claims[i].name, (long long)was, (long long)*claims[i].cap,
		    (unsigned long long)limit, reserve);
	}
	return 0;
}
