/* The fleet's internals (fleet.c drives, fleet_job.c runs one device). */
#ifndef NDES_DEVICESIM_FLEET_INT_H
#define NDES_DEVICESIM_FLEET_INT_H

#include "dsim_device.h"
#include "dsim_fleet.h"
#include "dsim_keys.h"
#include "http_client.h"

struct fleet_dev {
	char		*device_id, *profile, *user;
	X509		*cert;		/* the last one issued (renewals) */
	EVP_PKEY	*key;
	bool		busy;
};

struct fleet {
	const struct dsim_fleet_opts *o;
	struct event_base *base;
	struct ndes_http_client *admin;
	struct dsim_workq *wq;
	struct fleet_dev *devs;
	size_t		n_devs, next;
	int		in_flight, reports_in_flight;
	struct dsim_fleet_stats stats;
	double		t_stop;		/* no start after (0: one round) */
	struct event	*tick;
	bool		done_starting;
	bool		filling;	/* fleet_fill() is running */
	struct dsim_keydir *keys;	/* --keys, or NULL */
	bool		keys_ran_out, keys_refused;
};

/* The key folder refused a key (why): no device starts after this. */
void	fleet_keys_refused(struct fleet *f, const char *file, const char *why);

/* Start one device's enrollment; the fleet's counts are updated and
 * fleet_job_ended() called when it is over. */
void	fleet_job_start(struct fleet *f, struct fleet_dev *dev);
void	fleet_job_ended(struct fleet *f);

#endif
