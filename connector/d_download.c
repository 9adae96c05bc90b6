/* Downloads, every downloads.interval (and on SIGHUP):
 *   GET  /certificates/signing                            -> signing/signing-certs.pem,
 *                                                            crpd told to reload
 *   POST /PkcsRequests/download {maxRequests}             -> work "p:<requestId>"
 *   POST /CertificateAuthorityRequests/downloadRevocationRequests
 *        {downloadParameters: {maxRequests, issuerName}}  -> work "r:<requestContext>"
 * The two request downloads need a configured CA and room in the outbox
 * (maxRequests never exceeds the room left).  Events: 20400 when something
 * new arrived, 20402 (0x1202/0x1203/0x1204) when a download failed. */
#include "connectord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "download.h"
#include "enroll.h"
#include "events.h"
#include "log.h"

static void dl_pkcs(struct connd *d);
static void dl_revocations(struct connd *d);

static void
dl_event_ok(const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail };

	ndes_event_emit(NDES_EV_DOWNLOAD_SUCCESS, NDES_DIAG_SUCCESS, &ctx);
	log_info("%s", detail);
}

static void
dl_failed(struct connd *d, const char *what, const struct ndes_http_result *res)
{
	char text[1024], detail[1200];
	struct ndes_event_ctx ctx = { .detail = detail, .request_id = res->request_id };

	connd_result_text(res, text, sizeof(text));
	snprintf(detail, sizeof(detail), "%s: %s", what, text);
	ndes_event_emit(NDES_EV_DOWNLOAD_FAILURE, conn_cloud_diag(res->err, res->status), &ctx);
	connd_note_error(d, "download of %s", detail);
}

static void
dl_finish(struct connd *d)
{
	d->downloading = false;
	connd_note_time(d, "lastDownload");
	connd_work_run(d);
	connd_upload_kick(d);
}

/* New signing certificates are written (and crpd told) only when they changed. */
static void
dl_store_signing(struct connd *d, json_t *value)
{
	STACK_OF(X509) *certs = conn_download_signing_certs(value);
	char digest[NDES_CRYPTO_HEX_MAX] = "", *joined = NULL, err[512], detail[256];

	if (certs == NULL)
		return;
	if ((joined = json_dumps(value, JSON_COMPACT)) != NULL)
		ndes_crypto_digest_hex((const uint8_t *)joined, strlen(joined), EVP_sha256(),
		    digest, sizeof(digest));
	free(joined);
	if (sk_X509_num(certs) > 0 && strcmp(digest, d->signing_digest) != 0) {
		if (conn_write_certs(d->st.signing_certs, certs, err, sizeof(err)) == -1)
			connd_note_error(d, "cannot write the signing certificates: %s", err);
		else {
			snprintf(d->signing_digest, sizeof(d->signing_digest), "%s", digest);
			snprintf(detail, sizeof(detail), "downloaded %d challenge-signing "
			    "certificates into %s", sk_X509_num(certs), d->st.signing_certs);
			dl_event_ok(detail);
			connd_crpd_reload(d, "new signing certificates");
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
dl_signing_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	json_t *value = dl_value(res);

	if (value == NULL)
		dl_failed(d, "challenge-signing certificates", res);
	else
		dl_store_signing(d, value);
	json_decref(value);
	dl_pkcs(d);
}

/* Store each downloaded request as work; the count stored. */
static size_t
dl_store_work(struct connd *d, json_t *value, const char *kind, const char *id_field,
    const char *prefix)
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
		if (conn_outbox_work_add(d->ob, kind, key, text) == CONN_OUTBOX_ADDED)
			n++;
		free(text);
	}
	return n;
}

static void
dl_requests_done(struct connd *d, const struct ndes_http_result *res, const char *what,
    const char *kind, const char *id_field, const char *prefix)
{
	json_t *value = dl_value(res);
	char detail[256];
	size_t n;

	if (value == NULL) {
		dl_failed(d, what, res);
		return;
	}
	if ((n = dl_store_work(d, value, kind, id_field, prefix)) > 0) {
		snprintf(detail, sizeof(detail), "downloaded %zu %s", n, what);
		dl_event_ok(detail);
	}
	json_decref(value);
}

static void
dl_pkcs_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	dl_requests_done(d, res, "PKCS certificate requests", "pkcs", "requestId", "p:");
	dl_revocations(d);
}

static void
dl_revocations_done(struct connd *d, const struct ndes_http_result *res, void *arg)
{
	dl_requests_done(d, res, "revocation requests", "revocation", "requestContext", "r:");
	dl_finish(d);
}

/* maxRequests within the room left; 0 (and the event once) when full. */
static int64_t
dl_room(struct connd *d)
{
	int64_t room = conn_outbox_room(d->ob);
	struct ndes_event_ctx ctx = { .detail = "the outbox is full (outbox.max_items): no new "
	    "PKCS or revocation requests are downloaded until uploads make room" };

	if (room == 0) {
		if (!d->full_reported) {
			d->full_reported = true;
			ndes_event_emit(NDES_EV_UPLOAD_FAILURE, NDES_DIAG_OUTBOX_FULL, &ctx);
			connd_note_error(d, "%s", ctx.detail);
		}
		return 0;
	}
	return room < d->cfg.downloads.max_requests ? room : d->cfg.downloads.max_requests;
}

static void
dl_pkcs(struct connd *d)
{
	int64_t max = d->ca != NULL ? dl_room(d) : 0;

	if (max == 0 || connd_call(d, "POST", "/PkcsRequests/download",
	    json_pack("{s:I}", "maxRequests", (json_int_t)max), dl_pkcs_done, NULL) == -1)
		dl_revocations(d);
}

static void
dl_revocations(struct connd *d)
{
	int64_t max = d->ca != NULL ? dl_room(d) : 0;
	json_t *params;

	if (max == 0) {
		dl_finish(d);
		return;
	}
	params = json_pack("{s:I}", "maxRequests", (json_int_t)max);
	if (d->cfg.ca.issuer_name != NULL)
		json_object_set_new(params, "issuerName", json_string(d->cfg.ca.issuer_name));
	if (connd_call(d, "POST", "/CertificateAuthorityRequests/downloadRevocationRequests",
	    json_pack("{s:o}", "downloadParameters", params), dl_revocations_done, NULL) == -1)
		dl_finish(d);
}

void
connd_download_now(struct connd *d)
{
	if (d->downloading || d->stopping)
		return;
	connd_work_run(d);	/* what a previous run left */
	conn_outbox_recount(d->ob);	/* `queue --purge-rejected` may have made room */
	if (connd_registration_check(d) == -1)
		return;
	d->downloading = true;
	if (connd_call(d, "GET", "/certificates/signing", NULL, dl_signing_done, NULL) == -1)
		d->downloading = false;
}

static void
dl_tick(evutil_socket_t fd, short what, void *arg)
{
	connd_download_now(arg);
}

void
connd_download_start(struct connd *d)
{
	struct timeval tv = { (time_t)d->cfg.downloads.interval, 0 };

	d->ev_download = event_new(d->base, -1, EV_PERSIST, dl_tick, d);
	if (d->ev_download == NULL || event_add(d->ev_download, &tv) == -1)
		fatalx("cannot start the download timer");
	connd_download_now(d);
}
