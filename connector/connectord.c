/* ndes-connectord: the connector daemon (docs/connector.md).
 *
 * One libevent loop: the IPC server for crpd (connector.sock), timers for
 * downloads, uploads and renewal, HTTPS calls to the cloud.  CA work runs
 * on the loop (bounded: CONND_WORK_PER_TURN items per turn).  This file
 * starts the parts (d_env.h lists them), wires one part's news to another,
 * and handles signals, systemd notifications and the stop. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "cloud.h"
#include "conn_outbox.h"
#include "d_config.h"
#include "d_crpd.h"
#include "d_download.h"
#include "d_metrics.h"
#include "d_ipc.h"
#include "d_note.h"
#include "d_registration.h"
#include "d_renew.h"
#include "d_upkeep.h"
#include "d_upload.h"
#include "d_work.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"
#include "state.h"

struct connd {
	struct connd_config	*conf;
	struct conn_state	 st;
	struct connd_env	 env;
	struct connd_reg	*reg;
	struct connd_caller	 caller;
	struct connd_upload	*upload;
	struct connd_download	*download;
	struct connd_work	*work;
	struct connd_renew	*renew;
	struct connd_ipc	*ipc;
	struct connd_upkeep	*upkeep;
	struct event		*ev_term, *ev_int, *ev_hup, *ev_watchdog, *ev_drain;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ndes-connectord [--config FILE] [-v | --verbose]...\n"
	    "       ndes-connectord --check-config FILE [-v]...\n"
	    "       ndes-connectord --version | --help\n"
	    "  -v, --verbose  one log level more than log_level per -v (warn -> info ->\n"
	    "                 debug): with the default log_level info, -v and -vv both\n"
	    "                 give debug; with log_level warn, -v gives info and -vv debug;\n"
	    "                 given, log_level is not reloaded on SIGHUP\n"
	    "  --check-config FILE  exit 0 and \"FILE: OK\" when FILE loads, else exit 1\n"
	    "                 and FILE:LINE:COLUMN: KEY: WHAT on stderr; with -v it also\n"
	    "                 names the keys the file sets\n"
	    "Default configuration: " CONN_DEFAULT_CONFIG "\n");
}

static time_t
connd_clock(void)
{
	return time(NULL);
}

/* Hooks: what one part's news means for another. */
static void
connd_on_stored(void *arg)
{
	struct connd *d = arg;

	connd_upload_kick(d->upload);
}

static void
connd_on_work(void *arg)
{
	struct connd *d = arg;

	connd_work_run(d->work);
}

static void
connd_on_signing(void *arg)
{
	struct connd *d = arg;

	connd_crpd_reload(&d->env, d->ipc, "new signing certificates");
}

static void
connd_on_renewed(void *arg)
{
	struct connd *d = arg;

	connd_reg_check(d->reg);
	connd_crpd_reload(&d->env, d->ipc, "renewed CRP certificate");
}

/* Stopping: the loop ends once no cloud call is in flight. */
static void
connd_check_drained(void *arg)
{
	struct connd *d = arg;

	if (d->env.stopping && connd_reg_in_flight(d->reg) == 0)
		event_base_loopexit(d->env.base, NULL);
}

/* The parts, wired (nothing runs yet). */
static int
connd_parts(struct connd *d)
{
	struct connd_hook stored = { connd_on_stored, d }, work = { connd_on_work, d };
	struct connd_download_hooks dl = { .work = work, .upload = stored,
	    .signing = { connd_on_signing, d } };

	if ((d->reg = connd_reg_new(&d->env)) == NULL)
		return -1;
	d->caller = connd_reg_caller(d->reg);
	connd_reg_set_idle_hook(d->reg, (struct connd_hook){ connd_check_drained, d });
	d->upload = connd_upload_new(&d->env, &d->caller);
	d->download = connd_download_new(&d->env, &d->caller, &dl);
	d->work = connd_work_new(&d->env, stored);
	d->renew = connd_renew_new(&d->env, d->reg, &d->caller,
	    (struct connd_hook){ connd_on_renewed, d });
	d->ipc = connd_ipc_new(&d->env, stored, work);
	d->upkeep = connd_upkeep_new(&d->env);
	if (d->upload == NULL || d->download == NULL || d->work == NULL || d->renew == NULL ||
	    d->ipc == NULL || d->upkeep == NULL)
		return -1;
	return 0;
}

static void
connd_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct connd *d = arg;

	log_warnx("stopping with %d cloud calls unfinished after %llds; what they carried "
	    "stays in the outbox", connd_reg_in_flight(d->reg),
	    (long long)d->env.cfg->drain_timeout);
	event_base_loopexit(d->env.base, NULL);
}

static void
connd_on_term(evutil_socket_t sig, short what, void *arg)
{
	struct connd *d = arg;
	struct timeval tv = { (time_t)d->env.cfg->drain_timeout, 0 };
	int in_flight = connd_reg_in_flight(d->reg);

	if (d->env.stopping)
		return;
	d->env.stopping = true;	/* the parts start nothing new */
	sd_notify(0, "STOPPING=1");
	log_info("signal %d: stopping, %d cloud calls in flight", (int)sig, in_flight);
	connd_status("stopping: finishing %d cloud calls", in_flight);
	connd_ipc_stop(d->ipc);
	d->ev_drain = evtimer_new(d->env.base, connd_drain_timeout, d);
	if (d->ev_drain != NULL)
		evtimer_add(d->ev_drain, &tv);
	connd_check_drained(d);
}

/* A reload's changes, to the parts that act on them. */
static void
connd_apply(struct connd *d, unsigned changes)
{
	d->env.ca = connd_config_ca(d->conf);
	if (changes & CONND_CHANGED_CLOUD)
		connd_reg_cloud_changed(d->reg);
	if (changes & CONND_CHANGED_DOWNLOAD_INTERVAL)
		connd_download_reschedule(d->download);
	if (changes & CONND_CHANGED_RENEW_INTERVAL)
		connd_renew_reschedule(d->renew);
	if ((changes & CONND_CHANGED_ACL) && connd_ipc_set_acl(d->ipc) == -1)
		log_warnx("SIGHUP: out of memory for the new ipc ACL; the old one stays");
	conn_outbox_set_max(d->env.ob, d->env.cfg->outbox.max_items);
	connd_note_room(d->env.notes);
	connd_upkeep_crl(d->upkeep);
	connd_work_run(d->work);
}

static void
connd_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct connd *d = arg;
	unsigned changes;

	if (d->env.stopping)
		return;
	if (connd_config_reload(d->conf, &changes) == 0)
		connd_apply(d, changes);
	log_info("SIGHUP: checking the registration and downloading now");
	connd_reg_forget(d->reg);
	connd_reg_check(d->reg);
	connd_download_now(d->download);
	connd_upload_kick(d->upload);
}

static void
connd_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static int
connd_signals(struct connd *d)
{
	struct event_base *base = d->env.base;
	uint64_t usec = 0;
	struct timeval tv;

	signal(SIGPIPE, SIG_IGN);
	d->ev_term = evsignal_new(base, SIGTERM, connd_on_term, d);
	d->ev_int = evsignal_new(base, SIGINT, connd_on_term, d);
	d->ev_hup = evsignal_new(base, SIGHUP, connd_on_hup, d);
	if (d->ev_term == NULL || d->ev_int == NULL || d->ev_hup == NULL ||
	    evsignal_add(d->ev_term, NULL) == -1 || evsignal_add(d->ev_int, NULL) == -1 ||
	    evsignal_add(d->ev_hup, NULL) == -1)
		return -1;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		d->ev_watchdog = event_new(base, -1, EV_PERSIST, connd_watchdog, d);
		if (d->ev_watchdog == NULL || event_add(d->ev_watchdog, &tv) == -1)
			return -1;
	}
	return 0;
}

/* The state folder, the outbox and the CA. */
static int
connd_open_state(struct connd *d, char *err, size_t errlen)
{
	const struct conn_cfg *cfg = d->env.cfg;

	if (conn_state_init(&d->st, cfg->state_dir) == -1 ||
	    conn_state_prepare(&d->st, false, err, errlen) == -1)
		return -1;
	if ((d->env.ob = conn_outbox_open(d->st.outbox_db, cfg->outbox.max_items, err,
	    errlen)) == NULL || connd_config_open_ca(d->conf, err, errlen) == -1)
		return -1;
	d->env.ca = connd_config_ca(d->conf);
	if ((d->env.notes = connd_notes_new(d->env.ob)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
connd_setup(struct connd *d, char *err, size_t errlen)
{
	const struct conn_cfg *cfg = d->env.cfg;

	if (ndes_events_cfg_init(&cfg->events) == -1) {
		snprintf(err, errlen, "cannot open the events sink %s", cfg->events.sink);
		return -1;
	}
	if (cfg->fips && conn_fips_enable(err, errlen) == -1)
		return -1;
	if (connd_open_state(d, err, errlen) == -1)
		return -1;
	if ((d->env.base = event_base_new()) == NULL || connd_signals(d) == -1 ||
	    connd_parts(d) == -1) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	if (connd_ipc_start(d->ipc, err, errlen) == -1)
		return -1;
	return connd_metrics_start(&d->env, &d->env.metrics, err, errlen);
}

static void
connd_started(struct connd *d)
{
	char detail[512];
	struct ndes_event_ctx ctx = { .detail = detail, .ca_name = d->env.cfg->ca.name };

	snprintf(detail, sizeof(detail), "ndes-connectord started: %s, %lld items in the outbox",
	    connd_reg_state(d->reg) == CONND_REG_OK ? "registered" :
	    "not usable until registered", (long long)conn_outbox_count(d->env.ob));
	ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_SUCCESS, &ctx);
	sd_notifyf(0, "READY=1\nSTATUS=%s", detail);
	log_info("%s", detail);
}

static void
connd_free(struct connd *d)
{
	struct event *evs[] = { d->ev_term, d->ev_int, d->ev_hup, d->ev_watchdog, d->ev_drain };

	connd_metrics_free(d->env.metrics);
	connd_ipc_free(d->ipc);
	connd_reg_free(d->reg);	/* first: calls in flight are cancelled */
	connd_upload_free(d->upload);
	connd_download_free(d->download);
	connd_work_free(d->work);
	connd_renew_free(d->renew);
	connd_upkeep_free(d->upkeep);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (d->env.base != NULL)
		event_base_free(d->env.base);
	connd_notes_free(d->env.notes);
	conn_outbox_close(d->env.ob);
	conn_state_clear(&d->st);
	connd_config_free(d->conf);
}

/* A start that fails: its reason on stderr, in the log and in 10010 with
 * 0x0FFFFFFF, emitted before the process exits (docs/connector.md). */
static void
connd_start_failed(const char *why)
{
	char detail[1024];
	struct ndes_event_ctx ctx = { .detail = detail };

	snprintf(detail, sizeof(detail), "ndes-connectord cannot start: %s", why);
	fprintf(stderr, "ndes-connectord: %s\n", why);
	log_warnx("cannot start: %s", why);
	ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_UNKNOWN_ERROR, &ctx);
}

/* The stop: 10020 with 0x0 after a stop request (SIGTERM, SIGINT), with
 * 0x0FFFFFFF and the reason when the loop failed or ended by itself.
 * Returns the exit status. */
static int
connd_stopped(struct connd *d, int dispatched)
{
	struct ndes_event_ctx ctx = { 0 };
	long long left = (long long)conn_outbox_count(d->env.ob);
	bool clean = dispatched != -1 && d->env.stopping;
	char detail[512];

	if (clean)
		snprintf(detail, sizeof(detail), "ndes-connectord stopped, %lld items stay in "
		    "the outbox", left);
	else
		snprintf(detail, sizeof(detail), "ndes-connectord stopped on an error: %s; %lld "
		    "items stay in the outbox", dispatched == -1 ? "the event loop failed" :
		    "the event loop ended without a stop request", left);
	ctx.detail = detail;
	ndes_event_emit(NDES_EV_CONNECTOR_STOPPED, clean ? NDES_DIAG_SUCCESS :
	    NDES_DIAG_UNKNOWN_ERROR, &ctx);
	if (clean)
		log_info("%s", detail);
	else
		log_warnx("%s", detail);
	return clean ? 0 : 1;
}

static int
connd_run(struct connd *d)
{
	char err[NDES_ERR_MAX] = "";

	if (connd_setup(d, err, sizeof(err)) == -1) {
		connd_start_failed(err);
		return 1;
	}
	connd_reg_check(d->reg);
	connd_download_start(d->download);
	connd_upload_start(d->upload);
	connd_renew_start(d->renew);
	connd_upkeep_start(d->upkeep);
	connd_started(d);
	return connd_stopped(d, event_base_dispatch(d->env.base));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct connd d = { .env.now = connd_clock };
	const char *path = CONN_DEFAULT_CONFIG, *check = NULL;
	char err[NDES_CONFIG_ERR_MAX];
	int opt, r, verbose = 0;

	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'C': check = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ndes-connectord %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check != NULL)
		return ndes_config_check(check, &conn_config_schema, sizeof(struct conn_cfg),
		    log_level_raise(LOG_LEVEL_INFO, verbose) == LOG_LEVEL_DEBUG);
	log_init("ndes-connectord", LOG_LEVEL_INFO);
	d.env.config_path = path;
	if ((d.conf = connd_config_load(path, verbose, err, sizeof(err))) == NULL) {
		connd_start_failed(err);	/* the default events sink */
		return 1;
	}
	d.env.cfg = connd_config_cfg(d.conf);
	d.env.st = &d.st;
	connd_config_log_level(d.conf);
	r = connd_run(&d);
	connd_free(&d);
	log_flush_suppressed();
	return r;
}
