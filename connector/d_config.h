/* The configuration in use: the file, the CA it names, the log level, and
 * its reload on SIGHUP.
 *
 * A file that does not load (or whose CA cannot be set up) changes nothing:
 * the daemon keeps running on the configuration it has and logs the error
 * (file:line:col).  Otherwise what can change while running takes effect:
 * log_level here; cloud.* (a new HTTPS client once no call is in flight),
 * downloads.interval and renewal.check_interval (timers rescheduled),
 * ipc.allowed_uids and ipc.allowed_gids (the socket's ACL; connected peers
 * no longer allowed are closed) by the parts, which connectord.c tells from
 * the CONND_CHANGED_* flags; crp_socket, the ca: section (templates,
 * may_revoke, crl_days, ...; the CRL is checked again), downloads.*,
 * outbox.*, renewal.* and drain_timeout are read where they are used.
 * Keys bound at start (state_dir, ipc.socket, ipc.mode, ipc.max_connections*,
 * events.*, fips, metrics) keep their running values, each change logged as "X
 * changed: restart ndes-connectord to apply". */
#ifndef NDES_CONND_CONFIG_H
#define NDES_CONND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

struct conn_ca;
struct connd_config;

enum connd_config_change {
	CONND_CHANGED_CLOUD = 1 << 0,
	CONND_CHANGED_DOWNLOAD_INTERVAL = 1 << 1,
	CONND_CHANGED_RENEW_INTERVAL = 1 << 2,
	CONND_CHANGED_ACL = 1 << 3,
};

/* path: the file (reloaded from the same path); verbose: the number of -v,
 * each one level above log_level (log.h, log_level_raise()), the level
 * then kept by reloads.  NULL with err when the file does not load. */
struct connd_config *connd_config_load(const char *path, int verbose, char *err,
    size_t errlen);
void connd_config_free(struct connd_config *c);
/* The configuration in use: the address stays, a reload changes what is
 * there. */
const struct conn_cfg *connd_config_cfg(const struct connd_config *c);
/* The CA of the configuration (NULL without a ca: section): open it at
 * start (0, or -1 with err); a reload replaces it. */
int connd_config_open_ca(struct connd_config *c, char *err, size_t errlen);
struct conn_ca *connd_config_ca(const struct connd_config *c);
/* log_level, or with -v the level set at start. */
void connd_config_log_level(const struct connd_config *c);

/* SIGHUP: the file read again; -1 when nothing changed (logged), else 0
 * and *changes the CONND_CHANGED_* flags the parts act on. */
int connd_config_reload(struct connd_config *c, unsigned *changes);

/* The CA a configuration names (*ca NULL when cfg has no ca: section); a CA
 * that is not usable now is only logged.  0, or -1 with err. */
int connd_ca_open(const struct conn_cfg *cfg, struct conn_ca **ca, char *err, size_t errlen);

#endif
