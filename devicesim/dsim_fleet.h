/* Fleet mode (docs/devicesim.md, "Fleet"): many devices of the emulator's
 * inventory in one process, on one libevent loop.  Per device: a challenge
 * from the admin endpoint (the HTTP client keeps its connections alive),
 * key and request made on a worker thread (the loop never waits for RSA key
 * generation), the enrollment with dsim_scep_enroll_start() at the
 * profile's URLs in order, the check after issuance, the report (not
 * waited for).  At most `concurrency` devices are in flight; with `rate`
 * at most that many start per second; with `duration` the fleet goes round
 * again (renewing, RenewalReq with a fresh challenge) until the time is up.
 * A progress line on a terminal, a summary at the end (--json: one JSON
 * object instead).  Certificates stay in memory: the fleet keeps no state
 * folder, and renews every round whatever the threshold.
 * With keys_dir each enrollment takes its key from that folder (dsim_keys.h)
 * instead of making one; when the folder runs out the rest are made, and the
 * summary says how many of each.  A folder with a file looser than 0600 is
 * refused before anything starts, a key that does not match the profile
 * when it comes up: no device starts after it, exit 2. */
#ifndef NDES_DEVICESIM_DSIM_FLEET_H
#define NDES_DEVICESIM_DSIM_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

struct dsim_fleet_opts {
	const char	*cloud;		/* admin URL */
	const char	*profile;	/* only this profile; NULL: each device's first */
	int		devices;	/* how many (the inventory's first N pairs) */
	int		skip;		/* ... after skipping this many devices */
	int		concurrency;
	int		rate;		/* starts per second; 0: no limit */
	int		duration_s;	/* 0: each device once */
	bool		json;
	const char	*keys_dir;	/* keys made before (dsim_keys.h); NULL: none */
};

int	dsim_fleet_run(const struct dsim_fleet_opts *o);

/* ---- A worker pool for the loop (workq.c) ---- */

/* work() runs on a worker thread, then done() on the loop's thread. */
typedef void (*dsim_work_fn)(void *arg);
struct dsim_workq;

struct dsim_workq *dsim_workq_new(struct event_base *base, int threads);
int	dsim_workq_submit(struct dsim_workq *q, dsim_work_fn work, dsim_work_fn done,
	    void *arg);
/* Joins the threads; work submitted and not done is dropped (done not called). */
void	dsim_workq_free(struct dsim_workq *q);

/* ---- Counting (fleet_stats.c) ---- */

struct dsim_fleet_stats {
	int64_t		started, enrolled, renewed, failed, reports_failed;
	double		prepare_cpu_ms;	/* worker CPU on keys and requests */
	int64_t		keys_from_folder, keys_generated;
	bool		keys_folder;	/* --keys given: say where keys came from */
	double		*latency_ms;	/* one per issued enrollment */
	size_t		n_latency, cap_latency;
	struct { char kind[64]; int64_t n; } reasons[32];	/* failed, by kind */
	size_t		n_reasons;
	double		t0, t_end;	/* seconds (monotonic) */
};

double	dsim_fleet_clock(void);
void	dsim_fleet_count_ok(struct dsim_fleet_stats *s, bool renewal, double latency_ms);
void	dsim_fleet_count_failed(struct dsim_fleet_stats *s, const char *kind);
/* The p-th percentile (0..100) of the latencies; 0 when none. */
double	dsim_fleet_percentile(struct dsim_fleet_stats *s, double p);
void	dsim_fleet_progress(const struct dsim_fleet_stats *s, int total, bool final);
void	dsim_fleet_summary(struct dsim_fleet_stats *s, bool json);
void	dsim_fleet_stats_clear(struct dsim_fleet_stats *s);

#endif
