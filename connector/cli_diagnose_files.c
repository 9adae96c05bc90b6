/* ndes-connector diagnose: the configurations, the state folder, the
 * registration and its keys; helpers the other checks share. */
#include "cli_diagnose.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cloud.h"
#include "crypto.h"
#include "errmsg.h"
#include "events.h"

const char *
diag_time(const ASN1_TIME *at, time_t *t, char *buf, size_t len)
{
	if (ndes_crypto_asn1_time(at, t) == -1 || ndes_clock_iso8601(*t, buf, len) == -1)
		snprintf(buf, len, "?");
	return buf;
}

/* Ours (root may use anything): 0, or -1 with r failed. */
static int
diag_owner(const char *path, const struct stat *sb, struct diag_result *r)
{
	if (geteuid() == 0 || sb->st_uid == geteuid())
		return 0;
	diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s: owned by uid %u, this command runs as "
	    "uid %u", path, (unsigned)sb->st_uid, (unsigned)geteuid());
	diag_fix(r, "run diagnose as the service user, or chown %s to that user", path);
	return -1;
}

int
diag_key_file(const char *path, const char *pass, uint32_t missing_code, EVP_PKEY **out,
    struct diag_result *r)
{
	char err[NDES_ERR_MAX], *cut;
	struct stat sb;
	EVP_PKEY *key;

	if (stat(path, &sb) == -1) {
		diag_fail(r, errno == ENOENT ? missing_code : NDES_DIAG_UNKNOWN_ERROR, "%s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (diag_owner(path, &sb, r) == -1)
		return -1;
	if ((key = ndes_crypto_load_key(path, pass, err, sizeof(err))) == NULL) {
		if (strstr(err, "group or others") == NULL) {
			diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "%s", err);
			return -1;
		}
		if ((cut = strstr(err, "; chmod")) != NULL)
			*cut = '\0';
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s", err);
		diag_fix(r, "chmod 600 %s", path);
		return -1;
	}
	if (out != NULL)
		*out = key;
	else
		EVP_PKEY_free(key);
	return 0;
}

void
diag_config(struct diag *d, struct diag_result *r)
{
	char err[NDES_ERR_MAX];

	if (!d->conf_ok) {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "%s", d->conf_err);
		diag_fix(r, "correct the file (ndes-connectord --check-config %s)",
		    d->conf_path != NULL ? d->conf_path : CONN_DEFAULT_CONFIG);
		return;
	}
	if (d->c->cfg.fips && conn_fips_enable(err, sizeof(err)) == -1) {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "%s", err);
		diag_fix(r, "install and configure OpenSSL's FIPS module, or set fips: false");
		return;
	}
	if (d->conf_path == NULL)
		diag_ok(r, "built-in defaults (no %s), state folder %s", CONN_DEFAULT_CONFIG,
		    d->c->cfg.state_dir);
	else
		diag_ok(r, "%s loaded, state folder %s%s", d->conf_path, d->c->cfg.state_dir,
		    d->c->cfg.fips ? ", FIPS provider loaded" : "");
}

/* Two paths name the same file (or would, once both exist). */
static bool
diag_same_path(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (realpath(a, ra) != NULL && realpath(b, rb) != NULL)
		return strcmp(ra, rb) == 0;
	return strcmp(a, b) == 0;
}

void
diag_crpd_config(struct diag *d, struct diag_result *r)
{
	const struct conn_cfg *cfg = &d->c->cfg;

	if (d->crpd_state == 0) {
		diag_skip(r, "no --crpd-config FILE and no %s", CRPD_DEFAULT_CONFIG);
		return;
	}
	if (d->crpd_state == -1) {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "%s", d->crpd_err);
		diag_fix(r, "correct the file (ndes-crpd --check-config %s)", d->crpd_path);
	} else if (!diag_same_path(d->crpd.ipc.socket, cfg->crp_socket))
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "ndes-crpd listens on %s (ipc.socket) but "
		    "the connector's crp_socket is %s", d->crpd.ipc.socket, cfg->crp_socket);
	else if (!diag_same_path(d->crpd.connector.socket, cfg->ipc.socket))
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "ndes-crpd hands results to %s "
		    "(connector.socket) but the connector listens on %s (ipc.socket)",
		    d->crpd.connector.socket, cfg->ipc.socket);
	else if (!diag_same_path(d->crpd.state_dir, cfg->state_dir))
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "ndes-crpd's state_dir is %s, the "
		    "connector's %s: crpd does not see the registration", d->crpd.state_dir,
		    cfg->state_dir);
	else
		diag_ok(r, "%s loaded; sockets and state folder agree with the connector's",
		    d->crpd_path);
	if (r->status == DIAG_FAIL && d->crpd_state == 1)
		diag_fix(r, "make them the same in %s and %s", d->crpd_path,
		    d->conf_path != NULL ? d->conf_path : CONN_DEFAULT_CONFIG);
}

/* One folder of the state: a folder, ours, not writable by group or others.
 * 0, 1 when it does not exist (optional), -1 with r failed. */
static int
diag_dir(const char *path, bool optional, struct diag_result *r)
{
	struct stat sb;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT && optional)
			return 1;
		diag_fail(r, NDES_DIAG_CERTIFICATE_NOT_FOUND, "%s: %s", path, strerror(errno));
		diag_fix(r, "run ndes-connector register (it makes the state folder), or "
		    "correct state_dir");
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "%s: not a folder", path);
		diag_fix(r, "correct state_dir, or move the file away");
		return -1;
	}
	if (diag_owner(path, &sb, r) == -1)
		return -1;
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s: writable by group or others "
		    "(mode %04o)", path, (unsigned)(sb.st_mode & 07777));
		diag_fix(r, "chmod go-w %s", path);
		return -1;
	}
	return 0;
}

void
diag_state_dir(struct diag *d, struct diag_result *r)
{
	const struct conn_state *st = &d->c->st;
	const char *sub[] = { st->reg_dir, st->signing_dir, st->connector_dir };
	struct stat sb;

	if (diag_dir(st->dir, false, r) == -1)
		return;
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (diag_dir(sub[i], true, r) == -1)
			return;
	if (stat(st->dir, &sb) == -1) {
		diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "%s: %s", st->dir, strerror(errno));
		return;
	}
	diag_ok(r, "%s: mode %04o, owner uid %u, not writable by group or others", st->dir,
	    (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid);
}

void
diag_registration(struct diag *d, struct diag_result *r)
{
	if (d->reg_state == 1) {
		diag_fail(r, NDES_DIAG_CERTIFICATE_NOT_FOUND, "not registered (%s does not exist)",
		    d->c->st.registration);
		diag_fix(r, "ndes-connector register --cloud URL --token T --ca-cert PEM");
	} else if (d->reg_state == -1) {
		diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "%s", d->reg_err);
		diag_fix(r, "register again (ndes-connector register --force ...)");
	} else
		diag_ok(r, "connector %s, tenant %s, cloud %s", d->reg.connector_id,
		    d->reg.tenant_id != NULL ? d->reg.tenant_id : "?",
		    d->cloud_url != NULL ? d->cloud_url : "?");
}

void
diag_reg_keys(struct diag *d, struct diag_result *r)
{
	const struct conn_state *st = &d->c->st;
	const char *keys[] = { st->client_key, st->crp_key, st->crp_prev_key };
	size_t n = 2;

	if (d->reg_state != 0) {
		diag_skip(r, "not registered");
		return;
	}
	if (access(st->crp_prev_key, F_OK) == 0)
		n = 3;
	for (size_t i = 0; i < n; i++) {
		if (diag_key_file(keys[i], NULL, NDES_DIAG_CERTIFICATE_NOT_FOUND, NULL, r) == 0)
			continue;
		if (r->fix[0] == '\0')
			diag_fix(r, "register again (ndes-connector register --force ...)");
		return;
	}
	diag_ok(r, "%s, %s%s: owned by us, mode 0600 or stricter", st->client_key, st->crp_key,
	    n == 3 ? ", crp-previous.key" : "");
}
