/* ndes-connector diagnose: what ties the connector to the SCEP server and
 * the cloud: the issuer name the revocations are asked for, the templates
 * the cloud asked for that ca.templates does not serve (recorded by the
 * daemon: the cloud's API has no list of profiles), and whether the SCEP
 * server's user (--scep-user) may reach ndes-crpd and the CA folder. */
#include "cli_diagnose.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conn_outbox.h"
#include "crypto.h"
#include "errmsg.h"
#include "events.h"

#define DIAG_MAX_GROUPS 256

/* A user's or group's name (NULL: unknown), else its number. */
static const char *
diag_id_name(const char *name, unsigned id, char *buf, size_t len)
{
	if (name != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", id);
	return buf;
}

static const char *
diag_uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	return diag_id_name(pw != NULL ? pw->pw_name : NULL, (unsigned)uid, buf, len);
}

static const char *
diag_gid_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	return diag_id_name(gr != NULL ? gr->gr_name : NULL, (unsigned)gid, buf, len);
}

void
diag_ca_issuer(struct diag *d, struct diag_result *r)
{
	const char *want = d->c->cfg.ca.issuer_name;
	char *cp = diag_ca_path(d, "ca.pem", r), err[NDES_ERR_MAX], *subj = NULL;
	X509 *cert = NULL;

	if (cp == NULL)
		return;
	if ((cert = ndes_crypto_load_cert(cp, err, sizeof(err))) == NULL ||
	    (subj = ndes_crypto_name_to_string(X509_get_subject_name(cert))) == NULL)
		diag_skip(r, "%s does not load (see CA certificate)", cp);
	else if (want == NULL)
		diag_ok(r, "ca.issuer_name not set: revocations are asked for %s's subject %s",
		    cp, subj);
	else if (strcasecmp(want, subj) == 0)
		diag_ok(r, "ca.issuer_name is %s's subject %s", cp, subj);
	else {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "ca.issuer_name \"%s\" is not %s's subject "
		    "\"%s\": the cloud's revocations for this CA never reach this connector", want,
		    cp, subj);
		diag_fix(r, "remove ca.issuer_name (the default is ca.pem's subject) or set it to "
		    "\"%s\"", subj);
	}
	free(subj);
	X509_free(cert);
	free(cp);
}

/* The recorded templates that ca.templates (as configured now) does not
 * serve, as "A (last asked at T), B (...)" and as "- {name: A, validity:
 * 365d}, ..."; how many. */
static int
diag_unserved(const struct conn_cfg *cfg, json_t *rec, char *list, size_t llen, char *add,
    size_t alen)
{
	const char *name;
	json_t *when;
	size_t lo = 0, ao = 0;
	int n = 0;

	json_object_foreach(rec, name, when) {
		if (conn_conf_template_validity(cfg, name) >= 0 || lo >= llen || ao >= alen)
			continue;
		lo += (size_t)snprintf(list + lo, llen - lo, "%s\"%s\" (last asked at %s)",
		    n > 0 ? ", " : "", name, json_is_string(when) ? json_string_value(when) : "?");
		ao += (size_t)snprintf(add + ao, alen - ao, "%s- {name: %s, validity: 365d}",
		    n > 0 ? ", " : "", name);
		n++;
	}
	return n;
}

void
diag_cloud_templates(struct diag *d, struct diag_result *r)
{
	const struct conn_cfg *cfg = &d->c->cfg;
	char err[NDES_ERR_MAX], list[1024] = "", add[400] = "", *text = NULL;
	struct conn_outbox *ob;
	json_t *rec = NULL;
	int n;

	if (!cfg->ca_present) {
		diag_skip(r, "no CA configured (ca:)");
		return;
	}
	if (cfg->ca.n_templates == 0) {
		diag_ok(r, "ca.templates not set: every template is served (ca.default_validity)");
		return;
	}
	if (access(d->c->st.outbox_db, F_OK) == -1) {
		diag_skip(r, "no %s yet (ndes-connectord has not run)", d->c->st.outbox_db);
		return;
	}
	if ((ob = conn_outbox_open(d->c->st.outbox_db, 0, err, sizeof(err))) == NULL) {
		diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "%s", err);
		return;
	}
	if ((text = conn_outbox_meta_get(ob, CONN_META_UNSERVED_TEMPLATES)) != NULL)
		rec = json_loads(text, 0, NULL);
	if ((n = json_is_object(rec) ? diag_unserved(cfg, rec, list, sizeof(list), add,
	    sizeof(add)) : 0) == 0)
		diag_ok(r, "every template the cloud asked for is one of the %zu in ca.templates",
		    cfg->ca.n_templates);
	else {
		diag_fail(r, NDES_DIAG_PKCS_REQUEST_INVALID, "the cloud's profiles ask for %s, "
		    "which ca.templates does not serve: %s fail", list,
		    n > 1 ? "their PKCS requests" : "its PKCS requests");
		diag_fix(r, "add to ca.templates %s (the validity of the template on the CA) and "
		    "reload ndes-connectord", add);
	}
	json_decref(rec);
	free(text);
	conn_outbox_close(ob);
}

/* The user's uid and its groups (primary first); 0, or -1 with r failed. */
static int
diag_user(const char *name, struct passwd *pw, char *buf, size_t len, gid_t *groups, int *ng,
    struct diag_result *r)
{
	struct passwd *res = NULL;

	if (getpwnam_r(name, pw, buf, len, &res) != 0 || res == NULL) {
		diag_fail(r, NDES_DIAG_CONFIG_INVALID, "--scep-user %s: no such user", name);
		diag_fix(r, "give the user the SCEP server runs as (User= in its unit)");
		return -1;
	}
	if (getgrouplist(name, pw->pw_gid, groups, ng) == -1)
		*ng = 1;	/* more than DIAG_MAX_GROUPS: the primary one only */
	groups[0] = pw->pw_gid;
	return 0;
}

static bool
diag_gid_listed(const gid_t *list, size_t n, const gid_t *groups, int ng)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < ng; k++)
			if (list[i] == groups[k])
				return true;
	return false;
}

static bool
diag_in_groups(gid_t gid, const gid_t *groups, int ng)
{
	return diag_gid_listed(&gid, 1, groups, ng);
}

/* crpd's ACL and the socket file's mode against the SCEP server's user. */
static int
diag_scep_crpd(struct diag *d, const struct passwd *pw, const gid_t *groups, int ng,
    struct diag_result *r)
{
	const struct ndes_ipc_listen_cfg *ipc = &d->crpd.ipc;
	const char *sock = ipc->socket;
	struct stat sb;
	bool listed = false;
	char un[64], gn[64];

	for (size_t i = 0; i < ipc->n_allowed_uids; i++)
		listed = listed || ipc->allowed_uids[i] == pw->pw_uid;
	if (stat(sock, &sb) == 0 && sb.st_uid == pw->pw_uid)
		listed = true;	/* crpd's own user */
	if (!listed && !diag_gid_listed(ipc->allowed_gids, ipc->n_allowed_gids, groups, ng)) {
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "ndes-crpd refuses %s (uid %u) on %s: "
		    "neither it nor one of its groups is in ipc.allowed_uids/allowed_gids of %s",
		    pw->pw_name, (unsigned)pw->pw_uid, sock, d->crpd_path);
		diag_fix(r, "add %s to ipc.allowed_uids in %s and reload ndes-crpd (SIGHUP)", pw->pw_name,
		    d->crpd_path);
		return -1;
	}
	if (stat(sock, &sb) == 0 && !(sb.st_uid == pw->pw_uid && (sb.st_mode & S_IWUSR)) &&
	    !(diag_in_groups(sb.st_gid, groups, ng) && (sb.st_mode & S_IWGRP)) &&
	    !(sb.st_mode & S_IWOTH)) {
		diag_gid_name(sb.st_gid, gn, sizeof(gn));
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s (uid %u) may not open %s (mode %04o, "
		    "owner %s:%s)", pw->pw_name, (unsigned)pw->pw_uid, sock,
		    (unsigned)(sb.st_mode & 07777), diag_uid_name(sb.st_uid, un, sizeof(un)), gn);
		diag_fix(r, "add %s to the socket's group: usermod -aG %s %s", pw->pw_name, gn,
		    pw->pw_name);
		return -1;
	}
	return 0;
}

/* The connector's CA key must be the SCEP server's too (one depot). */
static int
diag_scep_ca(struct diag *d, const struct passwd *pw, struct diag_result *r)
{
	char *kp;
	struct stat sb;
	int rc = 0;
	char on[64];

	if (!d->c->cfg.ca_present)
		return 0;	/* no CA configured: nothing shared */
	if ((kp = diag_ca_path(d, "ca.key", r)) == NULL)
		return -1;
	if (stat(kp, &sb) == 0 && sb.st_uid != pw->pw_uid) {
		diag_uid_name(sb.st_uid, on, sizeof(on));
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s (uid %u) cannot read %s (owned by "
		    "%s, mode 0600: the connector refuses a CA key that is not its own)",
		    pw->pw_name, (unsigned)pw->pw_uid, kp, on);
		diag_fix(r, "run the SCEP server as %s, the connector's user (User= in its unit)",
		    on);
		rc = -1;
	}
	free(kp);
	return rc;
}

void
diag_scep_user(struct diag *d, struct diag_result *r)
{
	const char *name = d->c->scep_user;
	struct passwd pw;
	char buf[4096];
	gid_t groups[DIAG_MAX_GROUPS];
	int ng = DIAG_MAX_GROUPS;

	if (name == NULL) {
		diag_skip(r, "no --scep-user NAME");
		return;
	}
	if (diag_user(name, &pw, buf, sizeof(buf), groups, &ng, r) == -1)
		return;
	if (d->crpd_state != 1) {
		diag_skip(r, "no crpd configuration to check %s against", name);
		return;
	}
	if (diag_scep_crpd(d, &pw, groups, ng, r) == 0 && diag_scep_ca(d, &pw, r) == 0)
		diag_ok(r, "%s (uid %u) may connect to %s%s", name, (unsigned)pw.pw_uid,
		    d->crpd.ipc.socket, d->c->cfg.ca_present ? " and owns the CA key" : "");
}
