/* Downloads (d_download.h). */
#include "d_download.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca.h"
#include "cloud.h"
#include "conf.h"
#include "conn_outbox.h"
#include "crypto.h"
#include "d_metrics.h"
#include "d_note.h"
#include "d_timer.h"
#include "download.h"
#include "enroll.h"
#include "events.h"
#include "log.h"
#include "state.h"

struct connd_download {
	const struct connd_env		*env;
	struct connd_caller		 caller;
	struct connd_download_hooks	 hooks;
	struct event			*timer;
	bool				 downloading;
	bool				 failed;		/* in this run */
	char				 signing_digest[80];	/* of signing-certs.pem */
};

static void dl_pkcs(struct connd_download *dl);
static void dl_revocations(struct connd_download *dl);

static void
dl_event_ok(struct connd_download *dl, const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail };

	ndes_event_emit(NDES_EV_DOWNLOAD_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
	connd_metrics_downloaded(dl->env->metrics, "ok");
	log_info("%s", detail);
}

static void
dl_failed(struct connd_download *dl, const char *what, const struct ndes_http_result *res)
{
	char text[1024], detail[1200];
	struct ndes_event_ctx ctx = { .detail = detail, .request_id = res->request_id };

	connd_result_text(res, text, sizeof(text));
	snprintf(detail, sizeof(detail), "%s: %s", what, text);
	ndes_event_emit(NDES_EV_DOWNLOAD_FAILURE, conn_cloud_diag(res->err, res->status), &ctx);
	connd_metrics_downloaded(dl->env->metrics, "failed");
	dl->failed = true;
	connd_note_error(dl->env->notes, CONND_DOWNLOAD, "download of %s", detail);
}

static void
dl_finish(struct connd_download *dl)
{
	dl->downloading = false;
	connd_note_success(dl->env->notes, CONND_DOWNLOAD, !dl->failed, "lastDownload");
	connd_hook_call(&dl->hooks.work);
	connd_hook_call(&dl->hooks.upload);
}

/* New signing certificates are written (and crpd told) only when they changed. */
static void
dl_store_signing(struct connd_download *dl, json_t *value)
{
	STACK_OF(X509) *certs = conn_download_signing_certs(value);
	char digest[NDES_CRYPTO_HEX_MAX] = "", *joined = NULL, err[512], detail[256];
	const char *path = dl->env->st->signing_certs;

	if (certs == NULL)
		return;
	if ((joined = json_dumps(value, JSON_COMPACT)) != NULL)
		ndes_crypto_digest_hex((const uint8_t *)joined, strlen(joined), EVP_sha256(),
		    digest, sizeof(digest));
	free(joined);
	if (sk_X509_num(certs) > 0 && strcmp(digest, dl->signing_digest) != 0) {
		if (conn_write_certs(path, certs, err, sizeof(err)) == -1) {
			dl->failed = true;
			connd_note_error(dl->env->notes, CONND_DOWNLOAD, "cannot write the signing "
			    "certificates: %s", err);
		} else {
			snprintf(dl->signing_digest, sizeof(dl->signing_digest), "%s", digest);
			snprintf(detail, sizeof(detail), "downloaded %d challenge-signing "
			    "certificates into %s", sk_X509_num(certs), path);
			dl_event_ok(dl, detail);
			connd_hook_call(&dl->hooks.signing);
		}
	}
	sk_X509_pop_free(certs, X509_free);
}

static json_t *
dl_value(const struct ndes_http_result *res)
{
	if (res->err != NDES_HTTP_OK || res->status != 200)
		return NULL;
	return conn_download_value(res->body, res->len);
}

static void
dl_signing_done(const struct ndes_http_result *res, void *arg)
{
	struct connd_download *dl = arg;
	json_t *value = dl_value(res);

	if (value == NULL)
		dl_failed(dl, "challenge-signing certificates", res);
	else
		dl_store_signing(dl, value);
	json_decref(value);
	dl_pkcs(dl);
}

/* Store each downloaded request as work; the count stored. */
static size_t
dl_store_work(struct connd_download *dl, json_t *value, const char *kind,
    const char *id_field, const char *prefix)
{
	char key[400], *text;
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(value, i, v) {
		if (conn_download_work_key(v, id_field, prefix, key, sizeof(key)) == -1) {
			log_warnx("a downloaded %s request has no %s, or one with a NUL or "
			    "longer than %zu bytes: ignored", kind, id_field, sizeof(key) - 3);
			continue;
		}
		if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
			continue;
		if (conn_outbox_work_add(dl->env->ob, kind, key, text) == CONN_OUTBOX_ADDED)
			n++;
		free(text);
	}
	return n;
}

static void
dl_requests_done(struct connd_download *dl, const struct ndes_http_result *res,
    const char *what, const char *kind, const char *id_field, const char *prefix)
{
	json_t *value = dl_value(res);
	char detail[256];
	size_t n;

	if (value == NULL) {
		dl_failed(dl, what, res);
		return;
	}
	if ((n = dl_store_work(dl, value, kind, id_field, prefix)) > 0) {
		snprintf(detail, sizeof(detail), "downloaded %zu %s", n, what);
		dl_event_ok(dl, detail);
	}
	json_decref(value);
}

static void
dl_pkcs_done(const struct ndes_http_result *res, void *arg)
{
	dl_requests_done(arg, res, "PKCS certificate requests", "pkcs", "requestId", "p:");
	dl_revocations(arg);
}

static void
dl_revocations_done(const struct ndes_http_result *res, void *arg)
{
	dl_requests_done(arg, res, "revocation requests", "revocation", "requestContext",
	    "r:");
	dl_finish(arg);
}

/* maxRequests within the room left; 0 (and the event once) when full. */
static int64_t
dl_room(struct connd_download *dl)
{
	int64_t room = conn_outbox_room(dl->env->ob), max = dl->env->cfg->downloads.max_requests;
	struct ndes_event_ctx ctx = { .detail = "the outbox is full (outbox.max_items): no new "
	    "PKCS or revocation requests are downloaded until uploads make room" };

	if (room == 0) {
		if (connd_note_full(dl->env->notes)) {
			ndes_event_emit(NDES_EV_DOWNLOAD_PAUSED, NDES_DIAG_OUTBOX_FULL, &ctx);
			connd_note_error(dl->env->notes, CONND_OUTBOX_FULL, "%s", ctx.detail);
		}
		return 0;
	}
	return room < max ? room : max;
}

static void
dl_pkcs(struct connd_download *dl)
{
	int64_t max = dl->env->ca != NULL ? dl_room(dl) : 0;

	if (max == 0 || connd_caller_json(&dl->caller, "POST", "/PkcsRequests/download",
	    json_pack("{s:I}", "maxRequests", (json_int_t)max), dl_pkcs_done, dl) == -1)
		dl_revocations(dl);
}

/* ca.issuer_name, else the CA certificate's own subject (the form the cloud
 * names it in revocation requests); NULL: neither (all issuers). */
static char *
dl_issuer(struct connd_download *dl)
{
	char err[256];
	X509 *cert;
	char *name;

	if (dl->env->cfg->ca.issuer_name != NULL)
		return strdup(dl->env->cfg->ca.issuer_name);
	if ((cert = conn_ca_cert(dl->env->ca, err, sizeof(err))) == NULL)
		return NULL;
	name = ndes_crypto_name_to_string(X509_get_subject_name(cert));
	X509_free(cert);
	return name;
}

static void
dl_revocations(struct connd_download *dl)
{
	int64_t max = dl->env->ca != NULL ? dl_room(dl) : 0;
	char *issuer;
	json_t *params;

	if (max == 0) {
		dl_finish(dl);
		return;
	}
	params = json_pack("{s:I}", "maxRequests", (json_int_t)max);
	if ((issuer = dl_issuer(dl)) != NULL)
		json_object_set_new(params, "issuerName", json_string(issuer));
	free(issuer);
	if (connd_caller_json(&dl->caller, "POST",
	    "/CertificateAuthorityRequests/downloadRevocationRequests",
	    json_pack("{s:o}", "downloadParameters", params), dl_revocations_done, dl) == -1)
		dl_finish(dl);
}

void
connd_download_now(struct connd_download *dl)
{
	if (dl->downloading || dl->env->stopping)
		return;
	connd_hook_call(&dl->hooks.work);	/* what a previous run left */
	conn_outbox_recount(dl->env->ob);	/* `queue --purge-rejected` may have made room */
	if (connd_caller_ready(&dl->caller) == -1)
		return;
	dl->downloading = true;
	dl->failed = false;
	if (connd_caller_text(&dl->caller, "GET", "/certificates/signing", NULL, dl_signing_done,
	    dl) == -1)
		dl->downloading = false;
}

static void
dl_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_download_now(arg);
}

struct connd_download *
connd_download_new(const struct connd_env *env, const struct connd_caller *caller,
    const struct connd_download_hooks *hooks)
{
	struct connd_download *dl = calloc(1, sizeof(*dl));

	if (dl == NULL)
		return NULL;
	dl->env = env;
	dl->caller = *caller;
	dl->hooks = *hooks;
	return dl;
}

void
connd_download_free(struct connd_download *dl)
{
	if (dl != NULL)
		connd_timer_free(dl->timer);
	free(dl);
}

void
connd_download_reschedule(struct connd_download *dl)
{
	connd_timer_reset(dl->timer, dl->env->cfg->downloads.interval);
}

void
connd_download_start(struct connd_download *dl)
{
	struct timeval tv = { (time_t)dl->env->cfg->downloads.interval, 0 };

	dl->timer = connd_timer_every(dl->env, tv, dl_tick, dl, "download");
	connd_download_now(dl);
}
