/* The registration certificate: loaded and checked at start, on SIGHUP,
 * before each round of work and after a renewal; the HTTPS client that
 * uses it.  Events (once per change of state):
 *   missing                   10302 RetrieveCertificate_Error   0x00000404
 *   not the one registered    10301 RetrieveCertificate_Warning 0x00000403
 *   expired                   10102 CertificateRenewal_Failure  0x00000405
 *   unusable otherwise        10302 RetrieveCertificate_Error   0x0FFFFFFF
 * and when the cloud refuses the certificate (403), until it changes:
 *   certificate_unknown, certificate_superseded   10301 0x00000403
 *   connector_unregistered                        10302 0x00000404 */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "events.h"
#include "log.h"

static void
reg_report(struct connd *d, enum connd_reg_state st, const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail, .thumbprint = d->reg.client_thumbprint };

	if (st == d->reg_state)
		return;
	d->reg_state = st;
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
		log_info("registration certificate %s in use", d->loaded_thumb);
		return;
	}
	connd_note_error(d, "%s", detail);
	connd_status(d, "not registered: %s", detail);
}

/* The client certificate file against registration.json. */
static enum connd_reg_state
reg_inspect(struct connd *d, char *thumb, size_t thumblen, char *detail, size_t dlen)
{
	char err[1024];
	X509 *cert;
	int r;

	conn_registration_clear(&d->reg);
	if ((r = conn_registration_load(d->st.registration, &d->reg, err, sizeof(err))) == -1) {
		snprintf(detail, dlen, "%s", err);
		return CONND_REG_BROKEN;
	}
	if (r == 1 || (cert = ndes_crypto_load_cert(d->st.client_cert, err, sizeof(err))) == NULL) {
		snprintf(detail, dlen, "no registration certificate (%s): register the connector "
		    "again with `ndes-connector register`", r == 1 ? d->st.registration : err);
		return CONND_REG_MISSING;
	}
	ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, thumblen);
	if (ndes_crypto_asn1_time(X509_get0_notBefore(cert), &d->client_not_before) == -1)
		d->client_not_after = 0;	/* unreadable dates: taken as expired */
	else
		ndes_crypto_asn1_time(X509_get0_notAfter(cert), &d->client_not_after);
	X509_free(cert);
	if (strcasecmp(thumb, d->reg.client_thumbprint) != 0) {
		snprintf(detail, dlen, "%s (thumbprint %s) is not the certificate registered "
		    "(thumbprint %s): register the connector again", d->st.client_cert, thumb,
		    d->reg.client_thumbprint);
		return CONND_REG_MISMATCH;
	}
	if (d->client_not_after <= time(NULL)) {
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
reg_in_flux(struct connd *d)
{
	const char *files[] = { d->st.client_key, d->st.client_cert, d->st.registration };
	time_t now = time(NULL);
	struct stat sb;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (stat(files[i], &sb) == 0 && now - sb.st_mtime < 5)
			return true;
	return false;
}

void
connd_registration_clear(struct connd *d)
{
	ndes_http_client_free(d->http);
	d->http = NULL;
	conn_cloud_clear(&d->cloud);
	d->loaded_thumb[0] = '\0';
	conn_registration_clear(&d->reg);
}

static int
reg_connect(struct connd *d, const char *thumb, char *err, size_t errlen)
{
	const char *url = d->cfg.cloud.url != NULL ? d->cfg.cloud.url : d->reg.cloud_url;
	const char *ca = d->cfg.cloud.ca_cert;

	if (ca == NULL && access(d->st.cloud_ca, R_OK) == 0)
		ca = d->st.cloud_ca;
	ndes_http_client_free(d->http);
	d->http = NULL;
	conn_cloud_clear(&d->cloud);
	if (conn_cloud_init(&d->cloud, &d->cfg, url, ca, d->st.client_cert, d->st.client_key,
	    err, errlen) == -1 ||
	    (d->http = ndes_http_client_new(d->base, &d->cloud.opts, err, errlen)) == NULL)
		return -1;
	snprintf(d->loaded_thumb, sizeof(d->loaded_thumb), "%s", thumb);
	if (d->cloud_changed)
		log_info("cloud settings of the reloaded configuration in use (%s)", url);
	d->cloud_changed = false;
	return 0;
}

int
connd_registration_check(struct connd *d)
{
	char thumb[NDES_CRYPTO_HEX_MAX] = "", detail[1600], err[1024];
	enum connd_reg_state st = reg_inspect(d, thumb, sizeof(thumb), detail, sizeof(detail));

	if (st == CONND_REG_OK && strcmp(thumb, d->refused_thumb) == 0) {
		st = d->refused_state;
		snprintf(detail, sizeof(detail), "the cloud refused the registration certificate %s "
		    "(%s): register the connector again", thumb, st == CONND_REG_UNREGISTERED ?
		    "the connector is unregistered" : "unknown or replaced by a renewal");
	}
	if ((st == CONND_REG_MISMATCH || st == CONND_REG_BROKEN) && reg_in_flux(d)) {
		log_debug("registration files changing: %s", detail);
		return -1;
	}
	if (st != CONND_REG_OK) {
		if (d->in_flight == 0 && d->http != NULL) {
			ndes_http_client_free(d->http);
			d->http = NULL;
			d->loaded_thumb[0] = '\0';
		}
		reg_report(d, st, detail);
		return -1;
	}
	if (strcmp(thumb, d->loaded_thumb) != 0 || d->http == NULL || d->cloud_changed) {
		/* a new certificate (renewal, register) or cloud settings (SIGHUP):
		 * switch when nothing is in flight */
		if (d->in_flight > 0 && d->http != NULL)
			return 0;
		if (reg_connect(d, thumb, err, sizeof(err)) == -1) {
			snprintf(detail, sizeof(detail), "cannot use the registration certificate: %s",
			    err);
			reg_report(d, CONND_REG_BROKEN, detail);
			return -1;
		}
	}
	reg_report(d, CONND_REG_OK, NULL);
	return 0;
}

struct connd_call {
	struct connd	*d;
	connd_call_cb	 cb;
	void		*arg;
};

/* The thumbprint of client.pem now (the CLI may have renewed or registered). */
static bool
call_file_changed(struct connd *d)
{
	char err[512], thumb[NDES_CRYPTO_HEX_MAX] = "";
	X509 *cert = ndes_crypto_load_cert(d->st.client_cert, err, sizeof(err));

	if (cert != NULL)
		ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, sizeof(thumb));
	X509_free(cert);
	return thumb[0] != '\0' && strcmp(thumb, d->loaded_thumb) != 0;
}

/* The cloud supersedes the certificate as soon as a renewal (by the CLI,
 * or elsewhere) is answered, a moment before the new files are written:
 * "superseded" is only reported once it has lasted CONND_SUPERSEDED_GRACE
 * seconds for the same certificate. */
#define CONND_SUPERSEDED_GRACE 10

static bool
call_superseded_recently(struct connd *d)
{
	if (strcmp(d->superseded_thumb, d->loaded_thumb) != 0) {
		snprintf(d->superseded_thumb, sizeof(d->superseded_thumb), "%s", d->loaded_thumb);
		d->superseded_at = time(NULL);
	}
	return time(NULL) - d->superseded_at < CONND_SUPERSEDED_GRACE;
}

/* A 403 naming the certificate: stop using it until it changes. */
static void
call_refused(struct connd *d, const struct ndes_http_result *res)
{
	char code[64], detail[512];
	enum connd_reg_state st;

	if (reg_in_flux(d) || call_file_changed(d))
		return;		/* replaced meanwhile: the next check switches */
	conn_cloud_error_code(res->body, res->len, code, sizeof(code));
	if (strcmp(code, "connector_unregistered") == 0)
		st = CONND_REG_UNREGISTERED;
	else if (strcmp(code, "certificate_superseded") == 0 && call_superseded_recently(d))
		return;		/* a renewal whose files are being written */
	else if (strcmp(code, "certificate_unknown") == 0 ||
	    strcmp(code, "certificate_superseded") == 0)
		st = CONND_REG_REFUSED;
	else
		return;
	snprintf(d->refused_thumb, sizeof(d->refused_thumb), "%s", d->loaded_thumb);
	d->refused_state = st;
	snprintf(detail, sizeof(detail), "the cloud refused the registration certificate %s "
	    "(403 %s): register the connector again", d->loaded_thumb, code);
	reg_report(d, st, detail);
}

static void
call_done(const struct ndes_http_result *res, void *arg)
{
	struct connd_call *c = arg;
	struct connd *d = c->d;

	d->in_flight--;
	if (res->err == NDES_HTTP_OK && res->status == 403)
		call_refused(d, res);
	c->cb(d, res, c->arg);
	free(c);
	connd_check_drained(d);
}

int
connd_call_text(struct connd *d, const char *method, const char *path, const char *text,
    connd_call_cb cb, void *arg)
{
	struct connd_call *c;

	if (d->stopping || d->http == NULL || d->reg_state != CONND_REG_OK ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->d = d;
	c->cb = cb;
	c->arg = arg;
	if (ndes_http_client_request(d->http, method, path, text ? "application/json" : NULL,
	    text, text ? strlen(text) : 0, NULL, call_done, c) == -1) {
		free(c);
		return -1;
	}
	d->in_flight++;
	return 0;
}

int
connd_call(struct connd *d, const char *method, const char *path, json_t *body,
    connd_call_cb cb, void *arg)
{
	char *text = NULL;
	int r = -1;

	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) != NULL)
		r = connd_call_text(d, method, path, text, cb, arg);
	free(text);
	json_decref(body);
	return r;
}

void
connd_result_text(const struct ndes_http_result *res, char *buf, size_t buflen)
{
	if (res->err != NDES_HTTP_OK)
		snprintf(buf, buflen, "%s", res->errmsg);
	else
		conn_cloud_error_text(res->status, res->body, res->len, buf, buflen);
}
