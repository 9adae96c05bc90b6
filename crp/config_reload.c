/* SIGHUP: crpd.yaml read again (docs/crpd.md, "Reloading").
 *
 * The verification threads read the running configuration without a lock,
 * so a reload never replaces it: the keys that only the event loop reads
 * are copied into it (log_level, ipc.allowed_uids, ipc.allowed_gids,
 * ipc.max_connections_per_uid, max_queue,
 * connector.retry_interval, connector.max_in_flight); every other key keeps
 * its running value and a change to it is logged as "X changed: restart
 * ndes-crpd to apply".  A file that does not load changes nothing. */
#include "jobs.h"

#include <stdio.h>
#include <string.h>

#include "crpd.h"
#include "ipc_config.h"
#include "log.h"

/* Keys bound at start: the verification threads read them, or they were
 * used to open something (sockets, files, the store, the workers). */
static const char *const crp_restart_keys[] = { "tenant_id", "state_dir", "paths",
    "ipc.socket", "ipc.mode", "ipc.max_connections", "connector.socket", "http", "workers",
    "ca_configuration", "certificate_authority", "challenge_grace", "purge_interval",
    "purge_after", "state_sync", "conformance", "store", "events", "metrics" };

/* Keys applied at once. */
static const char *const crp_live_keys[] = { "log_level", "ipc.allowed_uids",
    "ipc.allowed_gids", "ipc.max_connections_per_uid", "max_queue",
    "connector.retry_interval", "connector.max_in_flight" };

static bool
crp_same(const struct crpd_cfg *a, const struct crpd_cfg *b, const char *key)
{
	return ndes_config_key_equal(&crpd_config_schema, key, a, b) == 1;
}

/* The live keys of nc that differ from the running ones, comma-separated. */
static void
crp_reload_changed(const struct crpd_cfg *run, const struct crpd_cfg *nc, char *buf,
    size_t len)
{
	size_t n = sizeof(crp_live_keys) / sizeof(crp_live_keys[0]), used;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (crp_same(run, nc, crp_live_keys[i]))
			continue;
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "", crp_live_keys[i]);
	}
}

#define CRP_SWAP(type, a, b) do { type t_ = (a); (a) = (b); (b) = t_; } while (0)

/* nc's live values into the running configuration (nc gets the old ones,
 * freed with it). */
static void
crp_reload_apply(struct crpd *d, struct crpd_cfg *nc)
{
	struct crpd_cfg *run = &d->cfg;
	CRP_SWAP(char *, run->log_level, nc->log_level);
	CRP_SWAP(uid_t *, run->ipc.allowed_uids, nc->ipc.allowed_uids);
	CRP_SWAP(size_t, run->ipc.n_allowed_uids, nc->ipc.n_allowed_uids);
	CRP_SWAP(gid_t *, run->ipc.allowed_gids, nc->ipc.allowed_gids);
	CRP_SWAP(size_t, run->ipc.n_allowed_gids, nc->ipc.n_allowed_gids);
	run->ipc.max_connections_per_uid = nc->ipc.max_connections_per_uid;
	run->max_queue = nc->max_queue;
	run->connector.retry_interval = nc->connector.retry_interval;
	run->connector.max_in_flight = nc->connector.max_in_flight;
	if (d->verbose == 0)	/* -v or --debug on the command line: the level stays */
		log_init(NULL, log_level_from_name(run->log_level));	/* the name stays */
	if (d->ipc != NULL) {
		if (ndes_ipc_server_set_acl_from_cfg(d->ipc, &run->ipc) == -1)
			log_warnx("SIGHUP: out of memory for the new ipc ACL; the old one stays");
		ndes_ipc_server_set_limits(d->ipc, (size_t)run->ipc.max_connections,
		    (size_t)run->ipc.max_connections_per_uid);
	}
}

/* The limits crpd_fit_descriptors() lowered at start are not changes when
 * the file still says what it said then. */
static void
crp_reload_fitted(const struct crpd *d, struct crpd_cfg *nc)
{
	if (nc->ipc.max_connections == d->file_ipc_max)
		nc->ipc.max_connections = d->cfg.ipc.max_connections;
	if (nc->http.max_connections == d->file_http_max)
		nc->http.max_connections = d->cfg.http.max_connections;
}

void
crp_config_reload(struct crpd *d)
{
	struct crpd_cfg nc;
	char err[NDES_CONFIG_ERR_MAX], changed[512];

	memset(&nc, 0, sizeof(nc));
	if (crpd_config_load(d->config_path, &nc, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: the configuration was not reloaded, running on the one loaded "
		    "before: %s", err);
		return;
	}
	crp_reload_fitted(d, &nc);
	for (size_t i = 0; i < sizeof(crp_restart_keys) / sizeof(crp_restart_keys[0]); i++)
		if (!crp_same(&d->cfg, &nc, crp_restart_keys[i]))
			log_warnx("%s changed: restart ndes-crpd to apply", crp_restart_keys[i]);
	crp_reload_changed(&d->cfg, &nc, changed, sizeof(changed));
	crp_reload_apply(d, &nc);
	crpd_config_free(&nc);
	log_info("SIGHUP: reloaded %s (%s%s)", d->config_path, changed[0] != '\0' ?
	    "changed: " : "nothing changed", changed);
}
