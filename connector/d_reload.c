/* SIGHUP: the configuration file read again.
 *
 * A file that does not load (or whose CA cannot be set up) changes nothing:
 * the daemon keeps running on the configuration it has and logs the error
 * (file:line:col).  Otherwise what can change while running is applied:
 * log_level, cloud.* (a new HTTPS client once no call is in flight),
 * crp_socket, the ca: section (templates, may_revoke, crl_days, ...; the
 * CRL is checked again), downloads.*, outbox.* and renewal.* (timers
 * rescheduled), drain_timeout.  Keys bound at start (state_dir, ipc.*,
 * events.*, fips) keep their running values, each change logged as
 * "X changed: restart ndes-connectord to apply". */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static bool
str_eq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool
ids_eq(const void *a, size_t na, const void *b, size_t nb, size_t size)
{
	return na == nb && (na == 0 || memcmp(a, b, na * size) == 0);
}

static bool
cloud_eq(const struct conn_cloud_cfg *a, const struct conn_cloud_cfg *b)
{
	const struct conn_proxy_cfg *x = &a->proxy, *y = &b->proxy;

	if (!str_eq(a->url, b->url) || !str_eq(a->ca_cert, b->ca_cert) ||
	    !str_eq(a->api_version, b->api_version) || a->timeout != b->timeout ||
	    a->proxy_present != b->proxy_present)
		return false;
	return !a->proxy_present || (str_eq(x->host, y->host) && x->port == y->port &&
	    str_eq(x->username, y->username) && str_eq(x->password_file, y->password_file));
}

static bool
ca_eq(const struct conn_cfg *a, const struct conn_cfg *b)
{
	const struct conn_ca_cfg *x = &a->ca, *y = &b->ca;

	if (a->ca_present != b->ca_present)
		return false;
	if (!a->ca_present)
		return true;
	if (!str_eq(x->name, y->name) || !str_eq(x->folder, y->folder) ||
	    !str_eq(x->key_passphrase, y->key_passphrase) ||
	    !str_eq(x->key_passphrase_file, y->key_passphrase_file) ||
	    !str_eq(x->issuer_name, y->issuer_name) || x->crl_days != y->crl_days ||
	    x->may_revoke != y->may_revoke || !str_eq(x->client_auth_cert, y->client_auth_cert) ||
	    x->attribute_end_date != y->attribute_end_date ||
	    x->default_validity != y->default_validity || x->n_templates != y->n_templates)
		return false;
	for (size_t i = 0; i < x->n_templates; i++)
		if (!str_eq(x->templates[i].name, y->templates[i].name) ||
		    x->templates[i].validity != y->templates[i].validity)
			return false;
	return true;
}

/* Keys bound at start: each change logged. */
static void
reload_log_fixed(const struct conn_cfg *run, const struct conn_cfg *nc)
{
	const struct { const char *key; bool same; } fixed[] = {
		{ "state_dir", str_eq(run->state_dir, nc->state_dir) },
		{ "ipc.socket", str_eq(run->ipc.socket, nc->ipc.socket) },
		{ "ipc.mode", run->ipc.mode == nc->ipc.mode },
		{ "ipc.allowed_uids", ids_eq(run->ipc.allowed_uids, run->ipc.n_allowed_uids,
		    nc->ipc.allowed_uids, nc->ipc.n_allowed_uids, sizeof(uid_t)) },
		{ "ipc.allowed_gids", ids_eq(run->ipc.allowed_gids, run->ipc.n_allowed_gids,
		    nc->ipc.allowed_gids, nc->ipc.n_allowed_gids, sizeof(gid_t)) },
		{ "events.sink", str_eq(run->events.sink, nc->events.sink) },
		{ "events.path", str_eq(run->events.path, nc->events.path) },
		{ "fips", run->fips == nc->fips },
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!fixed[i].same)
			log_warnx("%s changed: restart ndes-connectord to apply", fixed[i].key);
}

/* The keys bound at start swapped between the two (the running values go
 * into nc, which becomes the configuration). */
static void
reload_swap_fixed(struct conn_cfg *run, struct conn_cfg *nc)
{
	char *s;
	struct ndes_ipc_listen_cfg ipc;
	struct ndes_events_cfg ev;
	bool fips;

	s = run->state_dir, run->state_dir = nc->state_dir, nc->state_dir = s;
	ipc = run->ipc, run->ipc = nc->ipc, nc->ipc = ipc;
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

/* old and d->cfg (the new one) differ: apply, and name what changed. */
static void
reload_apply(struct connd *d, const struct conn_cfg *old, char *changed, size_t len)
{
	const struct conn_cfg *c = &d->cfg;
	struct timeval tv = { 0, 0 };

	reload_add(changed, len, !str_eq(old->log_level, c->log_level), "log_level");
	connd_log_level(d);
	if (!cloud_eq(&old->cloud, &c->cloud)) {
		reload_add(changed, len, true, "cloud");
		d->cloud_changed = true;
	}
	reload_add(changed, len, !str_eq(old->crp_socket, c->crp_socket), "crp_socket");
	reload_add(changed, len, !ca_eq(old, c), "ca");
	if (old->downloads.interval != c->downloads.interval && d->ev_download != NULL) {
		tv.tv_sec = (time_t)c->downloads.interval;
		event_add(d->ev_download, &tv);
	}
	reload_add(changed, len, memcmp(&old->downloads, &c->downloads,
	    sizeof(c->downloads)) != 0, "downloads");
	conn_outbox_set_max(d->ob, c->outbox.max_items);
	if (conn_outbox_room(d->ob) > 0)
		d->full_reported = false;
	reload_add(changed, len, memcmp(&old->outbox, &c->outbox, sizeof(c->outbox)) != 0,
	    "outbox");
	if (old->renewal.check_interval != c->renewal.check_interval && d->ev_renew != NULL) {
		tv.tv_sec = (time_t)c->renewal.check_interval;
		event_add(d->ev_renew, &tv);
	}
	reload_add(changed, len, memcmp(&old->renewal, &c->renewal, sizeof(c->renewal)) != 0,
	    "renewal");
	reload_add(changed, len, old->drain_timeout != c->drain_timeout, "drain_timeout");
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
