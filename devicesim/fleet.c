/* The fleet's driver (dsim_fleet.h): the device list from the inventory,
 * the loop, the concurrency and rate limits, the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim_cli.h"
#include "dsim_cloud.h"
#include "fleet_int.h"
#include "log.h"

/* The (device, profile) pairs: each device's first profile, or --profile. */
static int
fleet_devices(struct fleet *f, json_t *inventory)
{
	json_t *d, *p, *pick;
	size_t i, k;

	f->devs = calloc((size_t)f->o->devices, sizeof(*f->devs));
	json_array_foreach(inventory, i, d) {
		if (f->devs == NULL || f->n_devs == (size_t)f->o->devices)
			break;
		if (i < (size_t)f->o->skip)
			continue;
		pick = NULL;
		json_array_foreach(json_object_get(d, "profiles"), k, p)
			if (pick == NULL && (f->o->profile == NULL || strcmp(f->o->profile,
			    json_string_value(json_object_get(p, "profile")) ?: "") == 0))
				pick = p;
		if (pick == NULL)
			continue;
		struct fleet_dev *fd = &f->devs[f->n_devs++];
		const char *user = json_string_value(json_object_get(pick, "userId"));
		fd->device_id = strdup(json_string_value(json_object_get(d, "deviceId")));
		fd->profile = strdup(json_string_value(json_object_get(pick, "profile")));
		fd->user = user ? strdup(user) : NULL;
	}
	return f->devs != NULL && f->n_devs > 0 ? 0 : -1;
}

/* The next device to start, NULL when none may start now. */
static struct fleet_dev *
fleet_next(struct fleet *f)
{
	if (f->t_stop == 0) {
		if (f->next >= f->n_devs)
			f->done_starting = true;
		return f->done_starting ? NULL : &f->devs[f->next++];
	}
	if (dsim_fleet_clock() >= f->t_stop) {
		f->done_starting = true;
		return NULL;
	}
	for (size_t tries = 0; tries < f->n_devs; tries++) {
		struct fleet_dev *d = &f->devs[f->next++ % f->n_devs];
		if (!d->busy)
			return d;
	}
	return NULL;
}

/* Seconds until the rate allows the next start (0: now). */
static double
fleet_rate_wait(struct fleet *f)
{
	double allowed_at;

	if (f->o->rate <= 0)
		return 0;
	allowed_at = f->stats.t0 + (double)f->stats.started / f->o->rate;
	return allowed_at > dsim_fleet_clock() ? allowed_at - dsim_fleet_clock() : 0;
}

static void
fleet_fill(struct fleet *f)
{
	struct fleet_dev *d;
	double wait;

	if (f->filling)
		return;
	f->filling = true;
	while (f->in_flight < f->o->concurrency && !f->done_starting) {
		if ((wait = fleet_rate_wait(f)) > 0) {
			struct timeval tv = { (time_t)wait, (suseconds_t)((wait - (long)wait) * 1e6) };
			evtimer_add(f->tick, &tv);
			break;
		}
		if ((d = fleet_next(f)) == NULL)
			break;
		fleet_job_start(f, d);
	}
	f->filling = false;
	if (f->done_starting && f->in_flight == 0 && f->reports_in_flight == 0)
		event_base_loopbreak(f->base);
}

void
fleet_job_ended(struct fleet *f)
{
	dsim_fleet_progress(&f->stats, f->t_stop ? 0 : (int)f->n_devs, false);
	fleet_fill(f);
}

static void
fleet_tick(evutil_socket_t fd, short what, void *arg)
{
	fleet_fill(arg);
}

static int
fleet_setup(struct fleet *f)
{
	struct ndes_http_client_opts ho = { .base_url = f->o->cloud, .timeout_ms = 120000 };
	char err[DSIM_ERR_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int status;
	json_t *inv;

	inv = dsim_cloud_call(f->o->cloud, "GET", "/admin/devices", NULL, &status, err,
	    sizeof(err));
	if (inv == NULL || fleet_devices(f, json_object_get(inv, "value")) != 0) {
		log_warnx("%s", inv ? "no device of the inventory has a (matching) SCEP "
		    "profile" : err);
		json_decref(inv);
		return -1;
	}
	json_decref(inv);
	if (f->n_devs < (size_t)f->o->devices && f->o->duration_s == 0)
		log_warnx("the inventory has %zu devices with a profile, not %d", f->n_devs,
		    f->o->devices);
	if ((f->base = event_base_new()) == NULL ||
	    (f->admin = ndes_http_client_new(f->base, &ho, err, sizeof(err))) == NULL ||
	    (f->wq = dsim_workq_new(f->base, cpus > 0 ? (int)cpus : 2)) == NULL ||
	    (f->tick = evtimer_new(f->base, fleet_tick, f)) == NULL) {
		log_warnx("cannot set up the fleet: %s", err);
		return -1;
	}
	return 0;
}

void
fleet_keys_refused(struct fleet *f, const char *file, const char *why)
{
	if (!f->keys_refused)
		log_warnx("--keys %s: %s%s%s; no device starts after it", f->o->keys_dir,
		    file ? file : "", file ? ": " : "", why);
	f->keys_refused = true;
	f->done_starting = true;
}

static int
fleet_keys_open(struct fleet *f)
{
	char err[DSIM_ERR_MAX];

	if (f->o->keys_dir == NULL)
		return 0;
	if ((f->keys = dsim_keydir_open(f->o->keys_dir, err, sizeof(err))) == NULL) {
		log_warnx("--keys: %s", err);
		return -1;
	}
	if (dsim_keydir_count(f->keys) == 0)
		log_warnx("--keys %s: no *.pem key in it; every key is made during the run",
		    f->o->keys_dir);
	f->stats.keys_folder = true;
	return 0;
}

static void
fleet_free(struct fleet *f)
{
	dsim_keydir_free(f->keys);
	dsim_workq_free(f->wq);
	ndes_http_client_free(f->admin);
	if (f->tick != NULL)
		event_free(f->tick);
	if (f->base != NULL)
		event_base_free(f->base);
	for (size_t i = 0; f->devs != NULL && i < f->n_devs; i++) {
		free(f->devs[i].device_id);
		free(f->devs[i].profile);
		free(f->devs[i].user);
		X509_free(f->devs[i].cert);
		EVP_PKEY_free(f->devs[i].key);
	}
	free(f->devs);
	dsim_fleet_stats_clear(&f->stats);
}

int
dsim_fleet_run(const struct dsim_fleet_opts *o)
{
	struct fleet f = { .o = o };
	int rc = DSIM_EXIT_FAILED;

	if (fleet_keys_open(&f) != 0)
		rc = DSIM_EXIT_USAGE;
	else if (fleet_setup(&f) == 0) {
		f.stats.t0 = dsim_fleet_clock();
		if (o->duration_s > 0)
			f.t_stop = f.stats.t0 + o->duration_s;
		fleet_fill(&f);
		if (!(f.done_starting && f.in_flight == 0))
			event_base_dispatch(f.base);
		f.stats.t_end = dsim_fleet_clock();
		dsim_fleet_progress(&f.stats, (int)f.n_devs, true);
		dsim_fleet_summary(&f.stats, o->json);
		rc = f.keys_refused ? DSIM_EXIT_USAGE : f.stats.failed == 0 &&
		    f.stats.started > 0 ? DSIM_EXIT_OK : DSIM_EXIT_FAILED;
	}
	fleet_free(&f);
	return rc;
}
