/* The registration certificate and the HTTPS client (d_registration.h). */
#include "d_registration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud.h"
#include "crypto.h"
#include "d_note.h"
#include "enroll.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"
#include "state.h"

struct connd_reg {
	const struct connd_env	*env;
	enum connd_reg_state	 state;
	struct conn_registration reg;
	struct conn_cloud	 cloud;
	struct ndes_http_client	*http;
	int			 in_flight;		/* HTTP calls */
	struct connd_hook	 idle;
	char			 loaded_thumb[64];	/* client certificate in use */
	char			 refused_thumb[64];	/* the cloud refused it (403) */
	enum connd_reg_state	 refused_state;
	char			 superseded_thumb[64];	/* first 403 superseded for it ... */
	time_t			 superseded_at;		/* ... at */
	bool			 cloud_changed;		/* cloud.* reloaded: new client when idle */
	time_t			 not_before, not_after;
};

struct connd_reg *
connd_reg_new(const struct connd_env *env)
{
	struct connd_reg *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->env = env;
	return r;
}

static void
reg_drop_client(struct connd_reg *r)
{
	ndes_http_client_free(r->http);
	r->http = NULL;
	r->loaded_thumb[0] = '\0';
}

void
connd_reg_free(struct connd_reg *r)
{
	if (r == NULL)
		return;
	reg_drop_client(r);
	conn_cloud_clear(&r->cloud);
	conn_registration_clear(&r->reg);
	free(r);
}

static void
reg_report(struct connd_reg *r, enum connd_reg_state st, const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail, .thumbprint = r->reg.client_thumbprint };

	if (st == r->state)
		return;
	r->state = st;
	switch (st) {
	case CONND_REG_MISSING:
	case CONND_REG_UNREGISTERED:
		ndes_event_emit(NDES_EV_RETRIEVE_CERT_ERROR, NDES_DIAG_CERTIFICATE_NOT_FOUND,
		    &ctx);
		break;
	case CONND_REG_MISMATCH:
	case CONND_REG_REFUSED:
		ndes_event_emit(NDES_EV_RETRIEVE_CERT_WARNING,
		    NDES_DIAG_CERT_THUMBPRINT_NOT_FOUND, &ctx);
		break;
	case CONND_REG_EXPIRED:
		ndes_event_emit(NDES_EV_CERT_RENEWAL_FAILURE, NDES_DIAG_CERTIFICATE_EXPIRED,
		    &ctx);
		break;
	case CONND_REG_BROKEN:
		ndes_event_emit(NDES_EV_RETRIEVE_CERT_ERROR, NDES_DIAG_UNKNOWN_ERROR, &ctx);
		break;
	default:
		log_info("registration certificate %s in use", r->loaded_thumb);
		connd_note_success(r->env->notes, CONND_REGISTRATION, true, NULL);
		return;
	}
	connd_note_error(r->env->notes, CONND_REGISTRATION, "%s", detail);
	connd_status("not registered: %s", detail);
}

/* The client certificate file against registration.json. */
static enum connd_reg_state
reg_inspect(struct connd_reg *r, char *thumb, size_t thumblen, char *detail, size_t dlen)
{
	const struct conn_state *st = r->env->st;
	char err[NDES_ERR_MAX];
	X509 *cert;
	int rc;

	conn_registration_clear(&r->reg);
	if ((rc = conn_registration_load(st->registration, &r->reg, err, sizeof(err))) == -1) {
		snprintf(detail, dlen, "%s", err);
		return CONND_REG_BROKEN;
	}
	if (rc == 1 || (cert = ndes_crypto_load_cert(st->client_cert, err, sizeof(err))) == NULL) {
		snprintf(detail, dlen, "no registration certificate (%s): register the connector "
		    "again with `ndes-connector register`", rc == 1 ? st->registration : err);
		return CONND_REG_MISSING;
	}
	ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, thumblen);
	if (ndes_crypto_asn1_time(X509_get0_notBefore(cert), &r->not_before) == -1)
		r->not_after = 0;	/* unreadable dates: taken as expired */
	else
		ndes_crypto_asn1_time(X509_get0_notAfter(cert), &r->not_after);
	X509_free(cert);
	if (strcasecmp(thumb, r->reg.client_thumbprint) != 0) {
		snprintf(detail, dlen, "%s (thumbprint %s) is not the certificate registered "
		    "(thumbprint %s): register the connector again", st->client_cert, thumb,
		    r->reg.client_thumbprint);
		return CONND_REG_MISMATCH;
	}
	if (r->not_after <= r->env->now()) {
		snprintf(detail, dlen, "the registration certificate %s expired: register the "
		    "connector again", thumb);
		return CONND_REG_EXPIRED;
	}
	return CONND_REG_OK;
}

/* The registration files were written in the last few seconds: a register
 * or renew by the CLI may be halfway (key, certificate, registration.json
 * are three files), so a mismatch is not reported yet. */
static bool
reg_in_flux(struct connd_reg *r)
{
	const struct conn_state *st = r->env->st;
	const char *files[] = { st->client_key, st->client_cert, st->registration };
	time_t now = r->env->now();
	struct stat sb;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (stat(files[i], &sb) == 0 && now - sb.st_mtime < 5)
			return true;
	return false;
}

static int
reg_connect(struct connd_reg *r, const char *thumb, char *err, size_t errlen)
{
	const struct conn_cfg *cfg = r->env->cfg;
	const struct conn_state *st = r->env->st;
	const char *url = cfg->cloud.url != NULL ? cfg->cloud.url : r->reg.cloud_url;
	const char *ca = cfg->cloud.ca_cert;

	if (ca == NULL && access(st->cloud_ca, R_OK) == 0)
		ca = st->cloud_ca;
	reg_drop_client(r);
	conn_cloud_clear(&r->cloud);
	if (conn_cloud_init(&r->cloud, cfg, url, ca, st->client_cert, st->client_key, err,
	    errlen) == -1 ||
	    (r->http = ndes_http_client_new(r->env->base, &r->cloud.opts, err, errlen)) == NULL)
		return -1;
	snprintf(r->loaded_thumb, sizeof(r->loaded_thumb), "%s", thumb);
	if (r->cloud_changed)
		log_info("cloud settings of the reloaded configuration in use (%s)", url);
	r->cloud_changed = false;
	return 0;
}

/* A certificate the cloud refused stays refused until client.pem changes. */
static enum connd_reg_state
reg_refused_still(struct connd_reg *r, const char *thumb, char *detail, size_t dlen)
{
	if (strcmp(thumb, r->refused_thumb) != 0)
		return CONND_REG_OK;
	snprintf(detail, dlen, "the cloud refused the registration certificate %s (%s): "
	    "register the connector again", thumb, r->refused_state == CONND_REG_UNREGISTERED ?
	    "the connector is unregistered" : "unknown or replaced by a renewal");
	return r->refused_state;
}

int
connd_reg_check(struct connd_reg *r)
{
	char thumb[NDES_CRYPTO_HEX_MAX] = "", detail[1600], err[1024];
	enum connd_reg_state st = reg_inspect(r, thumb, sizeof(thumb), detail, sizeof(detail));

	if (st == CONND_REG_OK)
		st = reg_refused_still(r, thumb, detail, sizeof(detail));
	if ((st == CONND_REG_MISMATCH || st == CONND_REG_BROKEN) && reg_in_flux(r)) {
		log_debug("registration files changing: %s", detail);
		return -1;
	}
	if (st != CONND_REG_OK) {
		if (r->in_flight == 0 && r->http != NULL)
			reg_drop_client(r);
		reg_report(r, st, detail);
		return -1;
	}
	if (strcmp(thumb, r->loaded_thumb) != 0 || r->http == NULL || r->cloud_changed) {
		/* a new certificate (renewal, register) or cloud settings (SIGHUP):
		 * switch when nothing is in flight */
		if (r->in_flight > 0 && r->http != NULL)
			return 0;
		if (reg_connect(r, thumb, err, sizeof(err)) == -1) {
			snprintf(detail, sizeof(detail), "cannot use the registration certificate: %s",
			    err);
			reg_report(r, CONND_REG_BROKEN, detail);
			return -1;
		}
	}
	reg_report(r, CONND_REG_OK, NULL);
	return 0;
}

void
connd_reg_forget(struct connd_reg *r)
{
	r->state = CONND_REG_UNKNOWN;
}

void
connd_reg_cloud_changed(struct connd_reg *r)
{
	r->cloud_changed = true;
}

enum connd_reg_state
connd_reg_state(const struct connd_reg *r)
{
	return r->state;
}

const char *
connd_reg_thumb_in_use(const struct connd_reg *r)
{
	return r->loaded_thumb;
}

void
connd_reg_validity(const struct connd_reg *r, time_t *not_before, time_t *not_after)
{
	*not_before = r->not_before;
	*not_after = r->not_after;
}

const char *
connd_reg_thumb_registered(const struct connd_reg *r)
{
	return r->reg.client_thumbprint != NULL ? r->reg.client_thumbprint : "";
}

const char *
connd_reg_name(const struct connd_reg *r)
{
	return r->reg.name;
}

int
connd_reg_store_renewal(struct connd_reg *r, const struct conn_enroll *e,
    const struct conn_enroll_reply *rep, char *err, size_t errlen)
{
	return conn_enroll_store(r->env->st, e, rep, &r->reg, true, err, errlen);
}

/* The thumbprint of client.pem now (the CLI may have renewed or registered). */
static bool
reg_file_changed(struct connd_reg *r)
{
	char err[NDES_ERR_MAX], thumb[NDES_CRYPTO_HEX_MAX] = "";
	X509 *cert = ndes_crypto_load_cert(r->env->st->client_cert, err, sizeof(err));

	if (cert != NULL)
		ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, sizeof(thumb));
	X509_free(cert);
	return thumb[0] != '\0' && strcmp(thumb, r->loaded_thumb) != 0;
}

static bool
reg_superseded_recently(struct connd_reg *r)
{
	if (strcmp(r->superseded_thumb, r->loaded_thumb) != 0) {
		snprintf(r->superseded_thumb, sizeof(r->superseded_thumb), "%s", r->loaded_thumb);
		r->superseded_at = r->env->now();
	}
	return r->env->now() - r->superseded_at < CONND_SUPERSEDED_GRACE;
}

void
connd_reg_refused(struct connd_reg *r, const struct ndes_http_result *res)
{
	char code[64], detail[512];
	enum connd_reg_state st;

	if (reg_in_flux(r) || reg_file_changed(r))
		return;		/* replaced meanwhile: the next check switches */
	conn_cloud_error_code(res->body, res->len, code, sizeof(code));
	if (strcmp(code, "connector_unregistered") == 0)
		st = CONND_REG_UNREGISTERED;
	else if (strcmp(code, "certificate_superseded") == 0 && reg_superseded_recently(r))
		return;		/* a renewal whose files are being written */
	else if (strcmp(code, "certificate_unknown") == 0 ||
	    strcmp(code, "certificate_superseded") == 0)
		st = CONND_REG_REFUSED;
	else
		return;
	snprintf(r->refused_thumb, sizeof(r->refused_thumb), "%s", r->loaded_thumb);
	r->refused_state = st;
	snprintf(detail, sizeof(detail), "the cloud refused the registration certificate %s "
	    "(403 %s): register the connector again", r->loaded_thumb, code);
	reg_report(r, st, detail);
}

/* The caller (d_caller.h): HTTPS with the certificate in use. */
struct reg_call {
	struct connd_reg	*r;
	connd_call_cb		 cb;
	void			*arg;
};

static void
reg_call_done(const struct ndes_http_result *res, void *arg)
{
	struct reg_call *c = arg;
	struct connd_reg *r = c->r;

	r->in_flight--;
	if (res->err == NDES_HTTP_OK && res->status == 403)
		connd_reg_refused(r, res);
	c->cb(res, c->arg);
	free(c);
	if (r->in_flight == 0)
		connd_hook_call(&r->idle);
}

static int
reg_call(void *impl, const char *method, const char *path, const char *text,
    connd_call_cb cb, void *arg)
{
	struct connd_reg *r = impl;
	struct reg_call *c;

	if (r->env->stopping || r->http == NULL || r->state != CONND_REG_OK ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->r = r;
	c->cb = cb;
	c->arg = arg;
	if (ndes_http_client_request(r->http, method, path, text ? "application/json" : NULL,
	    text, text ? strlen(text) : 0, NULL, reg_call_done, c) == -1) {
		free(c);
		return -1;
	}
	r->in_flight++;
	return 0;
}

static int
reg_ready(void *impl)
{
	return connd_reg_check(impl);
}

struct connd_caller
connd_reg_caller(struct connd_reg *r)
{
	static const struct connd_caller_ops ops = { .ready = reg_ready, .call = reg_call };
	struct connd_caller c = { &ops, r };

	return c;
}

int
connd_reg_in_flight(const struct connd_reg *r)
{
	return r->in_flight;
}

void
connd_reg_set_idle_hook(struct connd_reg *r, struct connd_hook idle)
{
	r->idle = idle;
}
