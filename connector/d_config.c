/* The configuration in use and its reload (d_config.h). */
#include "d_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "log.h"

struct connd_config {
	const char	*path;
	int		 verbose;	/* -v count: the level it set at start stays */
	enum log_level	 cli_level;
	struct conn_cfg	 cfg;
	struct conn_ca	*ca;
};

struct connd_config *
connd_config_load(const char *path, int verbose, char *err, size_t errlen)
{
	struct connd_config *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->path = path;
	c->verbose = verbose;
	if (conn_conf_load(path, &c->cfg, err, errlen) == -1) {
		free(c);
		return NULL;
	}
	c->cli_level = log_level_raise(log_level_from_name(c->cfg.log_level), verbose);
	return c;
}

void
connd_config_free(struct connd_config *c)
{
	if (c == NULL)
		return;
	conn_ca_free(c->ca);
	conn_conf_free(&c->cfg);
	free(c);
}

const struct conn_cfg *
connd_config_cfg(const struct connd_config *c)
{
	return &c->cfg;
}

struct conn_ca *
connd_config_ca(const struct connd_config *c)
{
	return c->ca;
}

int
connd_config_open_ca(struct connd_config *c, char *err, size_t errlen)
{
	return connd_ca_open(&c->cfg, &c->ca, err, errlen);
}

void
connd_config_log_level(const struct connd_config *c)
{
	log_init(NULL, c->verbose > 0 ? c->cli_level : log_level_from_name(c->cfg.log_level));
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
	    "events.instance", "fips", "metrics" };

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

/* What changed between old and c (the new one): named in changed, and the
 * flags for the parts. */
static unsigned
reload_changes(const struct conn_cfg *old, const struct conn_cfg *c, char *changed,
    size_t len)
{
	static const char *const named[] = { "log_level", "cloud", "crp_socket", "ca",
	    "downloads", "outbox", "renewal", "drain_timeout", "ipc.allowed_uids",
	    "ipc.allowed_gids" };
	unsigned flags = 0;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		reload_add(changed, len, !same(old, c, named[i]), named[i]);
	if (!same(old, c, "cloud"))
		flags |= CONND_CHANGED_CLOUD;
	if (old->downloads.interval != c->downloads.interval)
		flags |= CONND_CHANGED_DOWNLOAD_INTERVAL;
	if (old->renewal.check_interval != c->renewal.check_interval)
		flags |= CONND_CHANGED_RENEW_INTERVAL;
	if (!same(old, c, "ipc.allowed_uids") || !same(old, c, "ipc.allowed_gids"))
		flags |= CONND_CHANGED_ACL;
	return flags;
}

int
connd_config_reload(struct connd_config *c, unsigned *changes)
{
	struct conn_cfg nc, old;
	struct conn_ca *ca = NULL;
	char err[NDES_CONFIG_ERR_MAX], changed[512] = "";

	memset(&nc, 0, sizeof(nc));
	if (conn_conf_load(c->path, &nc, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: the configuration was not reloaded, running on the one loaded "
		    "before: %s", err);
		return -1;
	}
	reload_swap_fixed(&c->cfg, &nc);
	if (connd_ca_open(&nc, &ca, err, sizeof(err)) == -1) {
		reload_swap_fixed(&c->cfg, &nc);	/* back as they were */
		conn_conf_free(&nc);
		log_warnx("SIGHUP: the configuration was not reloaded, running on the one loaded "
		    "before: %s: ca: %s", c->path, err);
		return -1;
	}
	reload_log_fixed(&c->cfg, &nc);	/* c->cfg holds the new values of these now */
	old = c->cfg;
	c->cfg = nc;
	conn_ca_free(c->ca);
	c->ca = ca;
	*changes = reload_changes(&old, &c->cfg, changed, sizeof(changed));
	conn_conf_free(&old);
	connd_config_log_level(c);
	log_info("SIGHUP: reloaded %s (%s%s)", c->path, changed[0] != '\0' ?
	    "changed: " : "nothing changed", changed);
	return 0;
}
