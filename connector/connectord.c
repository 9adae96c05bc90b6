/* ndes-connectord: start, signals, systemd notifications, stop. */
#include "connectord.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "events.h"
#include "ipc_peer.h"
#include "log.h"
#include "resources.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ndes-connectord [--config FILE] [-v]\n"
	    "       ndes-connectord --check-config FILE\n");
}

void
connd_status(struct connd *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
	log_debug("status: %s", buf);
}

void
connd_note_time(struct connd *d, const char *name)
{
	char buf[32];

	ndes_clock_iso8601(time(NULL), buf, sizeof(buf));
	conn_outbox_meta_set(d->ob, name, buf);
}

void
connd_note_error(struct connd *d, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s", buf);
	conn_outbox_meta_set(d->ob, "lastError", buf);
	connd_note_time(d, "lastErrorAt");
}

void
connd_check_drained(struct connd *d)
{
	if (d->stopping && d->in_flight == 0)
		event_base_loopexit(d->base, NULL);
}

static void
connd_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct connd *d = arg;

	log_warnx("stopping with %d cloud calls unfinished after %llds; what they carried "
	    "stays in the outbox", d->in_flight, (long long)d->cfg.drain_timeout);
	event_base_loopexit(d->base, NULL);
}

static void
connd_on_term(evutil_socket_t sig, short what, void *arg)
{
	struct connd *d = arg;
	struct timeval tv = { (time_t)d->cfg.drain_timeout, 0 };

	if (d->stopping)
		return;
	d->stopping = true;
	sd_notify(0, "STOPPING=1");
	log_info("signal %d: stopping, %d cloud calls in flight", (int)sig, d->in_flight);
	connd_status(d, "stopping: finishing %d cloud calls", d->in_flight);
	connd_ipc_stop(d);
	if (d->ev_download != NULL)
		event_del(d->ev_download);
	if (d->ev_upload != NULL)
		event_del(d->ev_upload);
	if (d->ev_renew != NULL)
		event_del(d->ev_renew);
	if (d->ev_crl != NULL)
		event_del(d->ev_crl);
	d->ev_drain = evtimer_new(d->base, connd_drain_timeout, d);
	if (d->ev_drain != NULL)
		evtimer_add(d->ev_drain, &tv);
	connd_check_drained(d);
}

static void
connd_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct connd *d = arg;

	if (d->stopping)
		return;
	connd_reload(d);
	log_info("SIGHUP: checking the registration and downloading now");
	d->reg_state = CONND_REG_UNKNOWN;
	connd_registration_check(d);
	connd_download_now(d);
	connd_upload_kick(d);
}

static void
connd_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static int
connd_signals(struct connd *d)
{
	uint64_t usec = 0;
	struct timeval tv;

	signal(SIGPIPE, SIG_IGN);
	d->ev_term = evsignal_new(d->base, SIGTERM, connd_on_term, d);
	d->ev_int = evsignal_new(d->base, SIGINT, connd_on_term, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, connd_on_hup, d);
	if (d->ev_term == NULL || d->ev_int == NULL || d->ev_hup == NULL ||
	    evsignal_add(d->ev_term, NULL) == -1 || evsignal_add(d->ev_int, NULL) == -1 ||
	    evsignal_add(d->ev_hup, NULL) == -1)
		return -1;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, connd_watchdog, d);
		if (d->ev_watchdog == NULL || event_add(d->ev_watchdog, &tv) == -1)
			return -1;
	}
	return 0;
}

int
connd_ca_open(const struct conn_cfg *cfg, struct conn_ca **ca, char *err, size_t errlen)
{
	struct conn_ca_folder_opts o = { .name = cfg->ca.name, .crl_days =
	    (int)cfg->ca.crl_days, .may_revoke = cfg->ca.may_revoke,
	    .client_auth_cert = cfg->ca.client_auth_cert };
	char *pass = NULL, *folder;
	enum conn_ca_status st;
	char why[1024];

	*ca = NULL;
	if (!cfg->ca_present)
		return 0;
	if (conn_conf_ca_passphrase(cfg, &pass, err, errlen) == -1 ||
	    (folder = conn_conf_path(cfg, cfg->ca.folder)) == NULL)
		return -1;
	o.folder = folder;
	o.passphrase = pass;
	*ca = conn_ca_folder_new(&o);
	free(folder);
	if (pass != NULL)
		explicit_bzero(pass, strlen(pass));
	free(pass);
	if (*ca == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((st = conn_ca_check(*ca, why, sizeof(why))) != CONN_CA_OK)
		log_warnx("CA %s: %s: %s (PKCS requests fail until it is fixed)", cfg->ca.name,
		    conn_ca_status_name(st), why);
	return 0;
}

void
connd_log_level(struct connd *d)
{
	log_init(NULL, d->verbose ? LOG_LEVEL_DEBUG : log_level_from_name(d->cfg.log_level));
}

/* Raise the descriptor limit and fit connector.sock's cap under it, so that
 * its peers can never take the descriptors the outbox, the CA folder and the
 * cloud calls need (common/resources.h).  The configuration keeps the value
 * written (a reload compares with it); the listener gets the fitted one. */
static int
connd_fit_descriptors(struct connd *d, char *err, size_t errlen)
{
	int64_t cap = d->cfg.ipc.max_connections;
	struct ndes_fd_claim claim = { "ipc.max_connections", &cap };

	if (ndes_fd_budget_fit(ndes_nofile_raise(), NDES_FD_RESERVE, &claim, 1) == -1) {
		snprintf(err, errlen, "the descriptor limit is too low");
		return -1;
	}
	ndes_ipc_server_set_limits(d->ipc, (size_t)cap,
	    (size_t)d->cfg.ipc.max_connections_per_uid);
	return 0;
}

static int
connd_setup(struct connd *d, char *err, size_t errlen)
{
	if (ndes_events_cfg_init(&d->cfg.events) == -1) {
		snprintf(err, errlen, "cannot open the events sink %s", d->cfg.events.sink);
		return -1;
	}
	if (d->cfg.fips && conn_fips_enable(err, errlen) == -1)
		return -1;
	if (conn_state_init(&d->st, d->cfg.state_dir) == -1 ||
	    conn_state_prepare(&d->st, false, err, errlen) == -1)
		return -1;
	if ((d->ob = conn_outbox_open(d->st.outbox_db, d->cfg.outbox.max_items, err,
	    errlen)) == NULL || connd_ca_open(&d->cfg, &d->ca, err, errlen) == -1)
		return -1;
	if ((d->base = event_base_new()) == NULL || connd_signals(d) == -1) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	if (connd_ipc_start(d) == -1) {
		snprintf(err, errlen, "cannot listen on %s", d->cfg.ipc.socket);
		return -1;
	}
	return connd_fit_descriptors(d, err, errlen);
}

static void
connd_started(struct connd *d)
{
	char detail[512];
	struct ndes_event_ctx ctx = { .detail = detail, .ca_name = d->cfg.ca.name };

	snprintf(detail, sizeof(detail), "ndes-connectord started: %s, %lld items in the outbox",
	    d->reg_state == CONND_REG_OK ? "registered" : "not usable until registered",
	    (long long)conn_outbox_count(d->ob));
	ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_SUCCESS, &ctx);
	sd_notifyf(0, "READY=1\nSTATUS=%s", detail);
	log_info("%s", detail);
}

static void
connd_free(struct connd *d)
{
	struct event *evs[] = { d->ev_term, d->ev_int, d->ev_hup, d->ev_download, d->ev_upload,
	    d->ev_renew, d->ev_watchdog, d->ev_drain, d->ev_crl, d->ev_maintain };

	connd_ipc_stop(d);
	connd_registration_clear(d);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (d->base != NULL)
		event_base_free(d->base);
	conn_ca_free(d->ca);
	conn_outbox_close(d->ob);
	conn_state_clear(&d->st);
	conn_conf_free(&d->cfg);
}

static int
connd_run(struct connd *d)
{
	char err[1024] = "";
	struct ndes_event_ctx ctx = { 0 };

	if (connd_setup(d, err, sizeof(err)) == -1) {
		fprintf(stderr, "ndes-connectord: %s\n", err);
		log_warnx("cannot start: %s", err);
		return 1;
	}
	connd_registration_check(d);
	connd_download_start(d);
	connd_upload_start(d);
	connd_renew_start(d);
	connd_crl_start(d);
	connd_maintain_start(d);
	connd_started(d);
	event_base_dispatch(d->base);
	snprintf(err, sizeof(err), "ndes-connectord stopped, %lld items stay in the outbox",
	    (long long)conn_outbox_count(d->ob));
	ctx.detail = err;
	ndes_event_emit(NDES_EV_CONNECTOR_STOPPED, NDES_DIAG_SUCCESS, &ctx);
	log_info("%s", err);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct connd d = { .config_path = CONN_DEFAULT_CONFIG };
	char err[NDES_CONFIG_ERR_MAX];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 'C': return ndes_config_check_main(optarg, &conn_config_schema,
		    sizeof(struct conn_cfg));
		case 'v': d.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("ndes-connectord", LOG_LEVEL_INFO);
	if (conn_conf_load(d.config_path, &d.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "ndes-connectord: %s\n", err);
		return 1;
	}
	connd_log_level(&d);
	r = connd_run(&d);
	connd_free(&d);
	log_flush_suppressed();
	return r;
}
