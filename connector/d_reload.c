/* SIGHUP: the configuration file read again.
 *
 * A file that does not load (or whose CA cannot be set up) changes nothing:
 * the daemon keeps running on the configuration it has and logs the error
 * (file:line:col).  Otherwise what can change while running is applied:
 * log_level, cloud.* (a new HTTPS client once no call is in flight),
 * crp_socket, the ca: section (templates, may_revoke, crl_days, ...; the
 * CRL is checked again), downloads.*, outbox.* and renewal.* (timers
 * rescheduled), drain_timeout, ipc.allowed_uids and ipc.allowed_gids (the
 * socket's ACL; connected peers no longer allowed are closed).  Keys bound
 * at start (state_dir, ipc.socket, ipc.mode, ipc.max_connections*,
 * events.*, fips) keep their
 * running values, each change logged as "X changed: restart
 * ndes-connectord to apply". */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_config.h"
#include "log.h"

/* Whether a configuration key (a dotted path, config_loader.h) has the same
 * value in both. */
static bool
same(const struct conn_cfg *a, const struct conn_cfg *b, const char *key)
{
	return ndes_config_key_equal(&conn_config_schema, key, a, b) == 1;
}

/* Keys bound at start: each change logged. */
static void
reload_log_fixed(const struct conn_cfg *run, const struct conn_cfg *nc)
{
	static const char *const fixed[] = { "state_dir", "ipc.socket", "ipc.mode",
	    "ipc.max_connections", "ipc.max_connections_per_uid", "events.sink", "events.path",
	    "fips" };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!same(run, nc, fixed[i]))
			log_warnx("%s changed: restart ndes-connectord to apply", fixed[i]);
}

/* The keys bound at start swapped between the two (the running values go
 * into nc, which becomes the configuration). */
static void
reload_swap_fixed(struct conn_cfg *run, struct conn_cfg *nc)
{
	char *s;
	mode_t mode;
	struct ndes_events_cfg ev;
	bool fips;

	s = run->state_dir, run->state_dir = nc->state_dir, nc->state_dir = s;
	s = run->ipc.socket, run->ipc.socket = nc->ipc.socket, nc->ipc.socket = s;
	mode = run->ipc.mode, run->ipc.mode = nc->ipc.mode, nc->ipc.mode = mode;
	ev = run->events, run->events = nc->events, nc->events = ev;
	fips = run->fips, run->fips = nc->fips, nc->fips = fips;
}

static void
reload_add(char *buf, size_t buflen, bool changed, const char *what)
{
	size_t len = strlen(buf);

	if (changed)
		snprintf(buf + len, buflen - len, "%s%s", len > 0 ? ", " : "", what);
}

/* ipc.allowed_uids / allowed_gids: the socket's ACL, at once. */
static void
reload_apply_acl(struct connd *d, const struct conn_cfg *old, char *changed, size_t len)
{
	bool uids = !same(old, &d->cfg, "ipc.allowed_uids");
	bool gids = !same(old, &d->cfg, "ipc.allowed_gids");

	if (!uids && !gids)
		return;
	reload_add(changed, len, uids, "ipc.allowed_uids");
	reload_add(changed, len, gids, "ipc.allowed_gids");
	if (d->ipc != NULL && ndes_ipc_server_set_acl_from_cfg(d->ipc, &d->cfg.ipc) == -1)
		log_warnx("SIGHUP: out of memory for the new ipc ACL; the old one stays");
}

/* old and d->cfg (the new one) differ: apply, and name what changed. */
static void
reload_apply(struct connd *d, const struct conn_cfg *old, char *changed, size_t len)
{
	const struct conn_cfg *c = &d->cfg;
	struct timeval tv = { 0, 0 };

	reload_add(changed, len, !same(old, c, "log_level"), "log_level");
	connd_log_level(d);
	if (!same(old, c, "cloud")) {
		reload_add(changed, len, true, "cloud");
		d->cloud_changed = true;
	}
	reload_add(changed, len, !same(old, c, "crp_socket"), "crp_socket");
	reload_add(changed, len, !same(old, c, "ca"), "ca");
	if (old->downloads.interval != c->downloads.interval && d->ev_download != NULL) {
		tv.tv_sec = (time_t)c->downloads.interval;
		event_add(d->ev_download, &tv);
	}
	reload_add(changed, len, !same(old, c, "downloads"), "downloads");
	conn_outbox_set_max(d->ob, c->outbox.max_items);
	if (conn_outbox_room(d->ob) > 0)
		d->full_reported = false;
	reload_add(changed, len, !same(old, c, "outbox"), "outbox");
	if (old->renewal.check_interval != c->renewal.check_interval && d->ev_renew != NULL) {
		tv.tv_sec = (time_t)c->renewal.check_interval;
		event_add(d->ev_renew, &tv);
	}
	reload_add(changed, len, !same(old, c, "renewal"), "renewal");
	reload_add(changed, len, !same(old, c, "drain_timeout"), "drain_timeout");
	reload_apply_acl(d, old, changed, len);
}

void
connd_reload(struct connd *d)
{
	struct conn_cfg nc, old;
	struct conn_ca *ca = NULL;
	char err[NDES_CONFIG_ERR_MAX], changed[512] = "";

	memset(&nc, 0, sizeof(nc));
	if (conn_conf_load(d->config_path, &nc, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: the configuration was not reloaded, running on the one loaded "
		    "before: %s", err);
		return;
	}
	reload_swap_fixed(&d->cfg, &nc);
	if (connd_ca_open(&nc, &ca, err, sizeof(err)) == -1) {
		reload_swap_fixed(&d->cfg, &nc);	/* back as they were */
		conn_conf_free(&nc);
		log_warnx("SIGHUP: the configuration was not reloaded, running on the one loaded "
		    "before: %s: ca: %s", d->config_path, err);
		return;
	}
	reload_log_fixed(&d->cfg, &nc);	/* d->cfg holds the new values of these now */
	old = d->cfg;
	d->cfg = nc;
	conn_ca_free(d->ca);
	d->ca = ca;
	reload_apply(d, &old, changed, sizeof(changed));
	conn_conf_free(&old);
	log_info("SIGHUP: reloaded %s (%s%s)", d->config_path, changed[0] != '\0' ?
	    "changed: " : "nothing changed", changed);
	connd_crl_check(d);
	connd_work_run(d);
}
