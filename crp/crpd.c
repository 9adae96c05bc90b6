/* ndes-crpd: the CRP service (docs/crpd.md). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "challenge_store.h"
#include "crp_db.h"
#include "crp_ipc.h"
#include "crpd.h"
#include "errmsg.h"
#include "events.h"
#include "http_api.h"
#include "jobs.h"
#include "link.h"
#include "log.h"
#include "crp_metrics.h"
#include "resources.h"
#include "storage.h"
#include "sync.h"
#include "work.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: ndes-crpd [--config FILE] [-v | --verbose]... [--debug]\n"
	    "       ndes-crpd --check-config FILE [-v]...\n"
	    "       ndes-crpd --version | --help\n"
	    "  -v, --verbose  one log level more than log_level per -v (warn -> info ->\n"
	    "                 debug): with the default log_level info, -v and -vv both\n"
	    "                 give debug; with log_level warn, -v gives info and -vv debug;\n"
	    "                 given, log_level is not reloaded on SIGHUP\n"
	    "  --debug        the same as -vv (kept for older units)\n"
	    "  --check-config FILE  exit 0 and \"FILE: OK\" when FILE loads, else exit 1\n"
	    "                 and FILE:LINE:COLUMN: KEY: WHAT on stderr; with -v it also\n"
	    "                 names the keys the file sets\n"
	    "Default configuration: %s\n", CRPD_DEFAULT_CONFIG);
}

static int
crpd_paths(struct crpd *d)
{
	struct crpd_paths_cfg *p = &d->cfg.paths;
	struct crp_key_paths *k = &d->key_paths;

	k->crp_cert = crpd_config_path(&d->cfg, p->crp_cert);
	k->crp_key = crpd_config_path(&d->cfg, p->crp_key);
	k->crp_previous_cert = crpd_config_path(&d->cfg, p->crp_previous_cert);
	k->crp_previous_key = crpd_config_path(&d->cfg, p->crp_previous_key);
	k->signing_certs = crpd_config_path(&d->cfg, p->signing_certs);
	k->issuing_ca_certs = crpd_config_path(&d->cfg, p->issuing_ca_certs);
	d->db_path = crpd_config_path(&d->cfg, p->database);
	return k->crp_cert && k->crp_key && k->crp_previous_cert && k->crp_previous_key &&
	    k->signing_certs && k->issuing_ca_certs && d->db_path ? 0 : -1;
}

static void
crpd_free_paths(struct crpd *d)
{
	free((char *)d->key_paths.crp_cert);
	free((char *)d->key_paths.crp_key);
	free((char *)d->key_paths.crp_previous_cert);
	free((char *)d->key_paths.crp_previous_key);
	free((char *)d->key_paths.signing_certs);
	free((char *)d->key_paths.issuing_ca_certs);
	free(d->db_path);
}

static void
crpd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct crpd *d = arg;
	struct crp_reply none = { NULL, NULL };
	struct timeval soon = { 0, 100000 }, limit = { 10, 0 };

	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading the configuration, keys and signing certificates");
		crp_config_reload(d);
		crp_reload_submit(d, &none);
		return;
	}
	if (d->stopping)
		return;
	log_info("%s: stopping", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	/* Let answers in progress finish (crp_release), at most 10 s. */
	event_base_loopexit(d->base, d->inflight == 0 ? &soon : &limit);
}

static void
crpd_on_purge(evutil_socket_t fd, short what, void *arg)
{
	crp_purge_submit(arg);
}

static void
crpd_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static int
crpd_add_timer(struct crpd *d, struct event **ev, int64_t usec, event_callback_fn cb)
{
	struct timeval tv = { (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };

	*ev = event_new(d->base, -1, EV_PERSIST, cb, d);
	return *ev != NULL && event_add(*ev, &tv) == 0 ? 0 : -1;
}

static int
crpd_events_setup(struct crpd *d)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	uint64_t wd_usec = 0;

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->ev_signals[i] = evsignal_new(d->base, sigs[i], crpd_on_signal, d);
		if (d->ev_signals[i] == NULL || event_add(d->ev_signals[i], NULL) == -1)
			return -1;
	}
	if (crpd_add_timer(d, &d->ev_purge, d->cfg.purge_interval * 1000000, crpd_on_purge))
		return -1;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0 &&
	    crpd_add_timer(d, &d->ev_watchdog, (int64_t)wd_usec / 2, crpd_on_watchdog))
		return -1;
	return 0;
}

/* state_sync interval: the committing worker does not fsync and never
 * checkpoints; the sync thread does both. */
static int
crpd_start_sync(struct crpd *d)
{
	if (ndes_db_set_durability(d->db, NDES_DB_RELAXED) == -1 ||
	    ndes_db_set_autocheckpoint(d->db, 0) == -1)
		return -1;
	d->sync = crp_sync_new(d->db_path, d->cfg.state_sync.interval_ms);
	return d->sync != NULL ? 0 : -1;
}

/* The exit status of a store that could not be opened (docs/crpd.md,
 * "Running it"). */
static int
crpd_store_exit_status(uint32_t code)
{
	switch (code) {
	case NDES_DIAG_CHALLENGE_STORE_AUTH_FAILED:
		return EX_NOPERM;
	case NDES_DIAG_CHALLENGE_STORE_SCHEMA_NEWER:
		return EX_DATAERR;
	case CRP_STORE_CODE_CONFIG:
		return EX_CONFIG;
	default:
		return EX_UNAVAILABLE;
	}
}

/* The PostgreSQL store, or why not: 0 or the exit status, with 20702. */
static int
crpd_open_pg(struct crpd *d)
{
	const struct crpd_store_cfg *sc = &d->cfg.store;
	char err[NDES_ERR_MAX], *password_file = NULL, *rootcert = NULL;
	struct ndes_event_ctx ctx = { .detail = err };
	struct crp_store_pg_params p = {
		.conninfo = sc->conninfo,
		.sslmode = crpd_store_sslmode_name(sc->sslmode),
		.connect_timeout = sc->connect_timeout,
	};
	uint32_t code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;

	if (sc->password_file != NULL)
		p.password_file = password_file = crpd_config_path(&d->cfg, sc->password_file);
	if (sc->sslrootcert != NULL)
		p.sslrootcert = rootcert = crpd_config_path(&d->cfg, sc->sslrootcert);
	if ((sc->password_file == NULL || password_file != NULL) &&
	    (sc->sslrootcert == NULL || rootcert != NULL))
		d->store = crp_store_pg_new(&p, err, sizeof(err), &code);
	else
		snprintf(err, sizeof(err), "out of memory");
	free(password_file);
	free(rootcert);
	if (d->store != NULL)
		return 0;
	log_warnx("challenge store: %s; not starting", err);
	ndes_event_emit(NDES_EV_CRP_STORE_UNAVAILABLE, code == CRP_STORE_CODE_CONFIG ?
	    NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE : code, &ctx);
	return crpd_store_exit_status(code);
}

/* state.db (the outbox, and the SQLite store), the challenge store, the
 * sync thread, the keys: 0 or the exit status. */
static int
crpd_open_state(struct crpd *d)
{
	char err[NDES_ERR_MAX];
	int rc;

	if (crpd_paths(d) == -1) {
		log_warnx("out of memory");
		return 1;
	}
	if ((d->db = crp_db_open(d->db_path, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if (d->cfg.store.backend == CRPD_STORE_POSTGRESQL) {
		if ((rc = crpd_open_pg(d)) != 0)
			return rc;
	} else if ((d->store = crp_store_sqlite_new(d->db)) == NULL)
		return 1;
	if (d->cfg.state_sync.mode == CRPD_SYNC_INTERVAL && crpd_start_sync(d) == -1)
		return 1;
	crp_reload_initial(d);
	return 0;
}

/* workers, or one per CPU; with PostgreSQL one more, as the commit leader
 * waits for the database's answers without using its CPU. */
static int
crpd_workers(const struct crpd *d)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (d->cfg.workers > 0)
		return (int)d->cfg.workers;
	if (n < 1)
		n = 1;
	return (int)n + (d->cfg.store.backend == CRPD_STORE_POSTGRESQL ? 1 : 0);
}

/* Raise the descriptor limit and fit the connection caps under it, so that
 * crp.sock's peers and the HTTP clients can never take the descriptors the
 * database, the keys and the connector link need (common/resources.h). */
static int
crpd_fit_descriptors(struct crpd *d)
{
	struct ndes_fd_claim claims[] = {
		{ "ipc.max_connections", &d->cfg.ipc.max_connections },
		{ "http.max_connections", &d->cfg.http.max_connections },
	};

	d->file_ipc_max = d->cfg.ipc.max_connections;
	d->file_http_max = d->cfg.http.max_connections;
	return ndes_fd_budget_fit(ndes_nofile_raise(), NDES_FD_RESERVE, claims,
	    d->cfg.http_present ? 2 : 1);
}

/* 0, or the exit status. */
static int
crpd_start(struct crpd *d)
{
	int rc;

	if (crpd_fit_descriptors(d) == -1)
		return 1;
	if (evthread_use_pthreads() == -1 || (d->base = event_base_new()) == NULL) {
		log_warnx("cannot set up libevent");
		return 1;
	}
	if ((rc = crpd_open_state(d)) != 0)
		return rc;
	if ((d->work = crp_work_new(d->base, d, d->db, d->store, d->sync,
	    crpd_workers(d))) == NULL)
		return 1;
	if (crpd_events_setup(d) == -1 || crp_ipc_start(d) == -1 || crp_http_start(d) == -1 ||
	    crp_link_start(d) == -1 || crp_metrics_start(d) == -1)
		return 1;
	crp_purge_submit(d);
	log_info("listening on %s with %d worker%s", d->cfg.ipc.socket,
	    crp_work_nworkers(d->work), crp_work_nworkers(d->work) == 1 ? "" : "s");
	sd_notifyf(0, "READY=1\nSTATUS=verifying challenges on %s", d->cfg.ipc.socket);
	return 0;
}

static void
crpd_stop_sync(struct crpd *d)
{
	uint64_t syncs = 0, max_us = 0;

	if (d->sync == NULL)
		return;
	crp_sync_stats(d->sync, &syncs, &max_us);
	log_info("state sync: %llu syncs, the longest %.1f ms", (unsigned long long)syncs,
	    (double)max_us / 1000.0);
	crp_sync_free(d->sync);
	d->sync = NULL;
}

static void
crpd_stop(struct crpd *d)
{
	size_t max_batch = 0, commits = 0, jobs = 0;

	d->stopping = true;
	if (d->work != NULL) {
		crp_work_stats(d->work, &max_batch, &commits, &jobs);
		log_info("db: %zu jobs in %zu commits (%.1f per commit), largest batch %zu",
		    jobs, commits, commits > 0 ? (double)jobs / (double)commits : 0.0, max_batch);
	}
	crp_work_free(d->work);
	d->work = NULL;
	crpd_stop_sync(d);
	crp_link_stop(d);
	crp_metrics_stop(d);
	crp_http_stop(d);
	crp_ipc_stop(d);
	/* closed connections finish their deferred callbacks */
	if (d->base != NULL)
		event_base_loop(d->base, EVLOOP_NONBLOCK);
	for (size_t i = 0; i < sizeof(d->ev_signals) / sizeof(d->ev_signals[0]); i++)
		if (d->ev_signals[i] != NULL)
			event_free(d->ev_signals[i]);
	if (d->ev_purge != NULL)
		event_free(d->ev_purge);
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	crp_store_free(d->store);
	ndes_db_close(d->db);
	crp_keyholder_destroy(&d->keys);
	if (d->base != NULL)
		event_base_free(d->base);
	crpd_free_paths(d);
	crpd_config_free(&d->cfg);
	ndes_events_close();
	log_flush_suppressed();
}

static int
crpd_run(const char *config, int verbose)
{
	struct crpd d;
	char err[NDES_CONFIG_ERR_MAX];
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.config_path = config;
	d.verbose = verbose;
	crp_keyholder_init(&d.keys);
	log_init("ndes-crpd", log_level_raise(LOG_LEVEL_INFO, verbose));
	if (crpd_config_load(config, &d.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "ndes-crpd: %s\n", err);
		return 1;
	}
	log_init("ndes-crpd", log_level_raise(log_level_from_name(d.cfg.log_level), verbose));
	if (ndes_events_cfg_init(&d.cfg.events) == -1)
		log_warnx("events: cannot open the configured sink; using the default");
	if ((rc = crpd_start(&d)) == 0 && event_base_dispatch(d.base) == -1)
		rc = 1;
	crpd_stop(&d);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = CRPD_DEFAULT_CONFIG, *check = NULL;
	int ch, verbose = 0;

	while ((ch = getopt_long(argc, argv, "c:dvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check = optarg;
			break;
		case 'd':
			verbose += 2;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("ndes-crpd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check != NULL)
		return ndes_config_check(check, &crpd_config_schema, sizeof(struct crpd_cfg),
		    log_level_raise(LOG_LEVEL_INFO, verbose) == LOG_LEVEL_DEBUG);
	return crpd_run(config, verbose);
}
