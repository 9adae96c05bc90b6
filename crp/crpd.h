/* ndes-crpd: the CRP service (docs/crpd.md).  The daemon's state, which
 * the transports (crp_ipc.h, http_api.h, link.h) and the jobs (jobs.h)
 * work with; the answers go through reply.h. */
#ifndef CRPD_H
#define CRPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crpd_config.h"
#include "keys.h"

struct event;
struct event_base;
struct ndes_db;
struct ndes_ipc_server;
struct crp_store;
struct crp_work;
struct crp_sync;
struct crp_link;
struct crp_http;
struct crp_metrics;

struct crpd {
	struct crpd_cfg		 cfg;
	const char		*config_path;	/* cfg's file: SIGHUP reads it again */
	int			 verbose;	/* -v count (--debug: 2); given, a
						 * reload keeps the level */
	/* The file's ipc.max_connections and http.max_connections before
	 * crpd_fit_descriptors() lowered them (a reload compares with these). */
	int64_t			 file_ipc_max, file_http_max;
	struct crp_key_paths	 key_paths;	/* strings owned */
	char			*db_path;
	struct event_base	*base;
	struct crp_keyholder	 keys;
	struct ndes_db		*db;		/* the commit leader's (work.h) */
	struct crp_store	*store;		/* over db */
	struct crp_work		*work;
	struct crp_sync		*sync;		/* NULL: state_sync mode commit */
	struct ndes_ipc_server	*ipc;
	struct crp_link		*link;
	struct crp_http		*http;
	struct crp_metrics	*metrics;	/* metrics.c; NULL: none */
	struct event		*ev_signals[4];
	struct event		*ev_purge;
	struct event		*ev_watchdog;
	size_t			 inflight;	/* requests taken, not answered (loop) */
	/* Set by link.c while it runs: a notification was queued in the
	 * outbox, send it now if possible (loop thread). */
	void			(*outbox_queued)(struct crpd *d);
	bool			 stopping;
};

/* admission.c: a request was taken (false: too many in flight
 * or stopping; the transport answers busy).  Its job calls crp_release()
 * once answered. */
bool	crp_admit(struct crpd *d);
void	crp_release(struct crpd *d);

/* Seconds since the epoch. */
static inline int64_t
crp_now(void)
{
	return (int64_t)time(NULL);
}

#endif
