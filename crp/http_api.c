/* The HTTP API of ndes-crpd: VerifyRequest, Notify and /healthz over evhttp
 * (common/http.h), with TLS when configured.  Requests go through the same
 * jobs as the IPC ones; the answers come back on the loop through this
 * file's reply operations (reply.h). */
#include "http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "crpd.h"
#include "disposition.h"
#include "errmsg.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "tls.h"

/* The reference's NDES limit (IIS MaxFieldLength / MaxRequestBytes):
 * request line plus headers, and the body, each at most 65,534 bytes. */
#define CRP_HTTP_MAX_REQUEST 65534

#define CRP_HTTP_VERIFY_PATH "/CertificateRegistrationSvc/Certificate/VerifyRequest"
#define CRP_HTTP_NOTIFY_PATH "/CertificateRegistrationSvc/Certificate/Notify"

struct crp_http {
	struct ndes_http_server	*srv;
	SSL_CTX			*tls;
};

static void
http_busy(struct ndes_http_request *req)
{
	ndes_http_reply_error(req, 503, "busy", "ndes-crpd is busy or shutting down; try again");
}

/* base64 field -> bytes; 0 absent (optional), 1 present, -1 error (err). */
static int
http_b64_field(const json_t *body, const char *field, bool required, uint8_t **out,
    size_t *len, char *err, size_t errlen)
{
	const char *text = NULL;

	*out = NULL;
	*len = 0;
	if (ndes_json_get_string(body, field, required, &text, err, errlen) == -1)
		return -1;
	if (text == NULL)
		return 0;
	if (ndes_b64_decode(text, strlen(text), out, len) == -1) {
		snprintf(err, errlen, "field \"%s\": not base64", field);
		return -1;
	}
	return 1;
}

static int
http_verify_fields(const json_t *body, struct crp_http_call *call, char *err, size_t errlen)
{
	return ndes_json_get_string(body, "transactionId", true, &call->transaction_id, err,
	    errlen) == -1 ||
	    ndes_json_get_string(body, "templateName", false, &call->template_name, err,
	    errlen) == -1 ||
	    http_b64_field(body, "certificateRequest", true, &call->csr, &call->csr_len, err,
	    errlen) == -1 ? -1 : 0;
}

static int
http_notify_fields(const json_t *body, struct crp_notify_in *in, uint8_t **cert,
    char *err, size_t errlen)
{
	json_int_t disposition, hresult = 0;

	memset(in, 0, sizeof(*in));
	in->challenge = "";
	in->transaction_id = "";
	in->description = "";
	if (ndes_json_get_string(body, "transactionId", false, &in->transaction_id, err,
	    errlen) == -1 ||
	    ndes_json_get_string(body, "challenge", false, &in->challenge, err, errlen) == -1 ||
	    ndes_json_get_int(body, "disposition", true, -1, 11, &disposition, err,
	    errlen) == -1 ||
	    ndes_json_get_int(body, "hResult", false, INT32_MIN, UINT32_MAX, &hresult, err,
	    errlen) == -1 ||
	    ndes_json_get_string(body, "description", false, &in->description, err,
	    errlen) == -1 ||
	    http_b64_field(body, "issuedCertificate", false, cert, &in->cert_len, err,
	    errlen) == -1)
		return -1;
	if (!ndes_disposition_valid(disposition)) {
		snprintf(err, errlen, "field \"disposition\": must be -1, 0, 2, 3 or 11");
		return -1;
	}
	in->disposition = disposition;
	in->last_hresult = (uint32_t)hresult;
	in->cert_der = *cert;
	return 0;
}

int
crp_http_read_call(enum crp_http_call_kind kind, const uint8_t *body, size_t len,
    struct crp_http_call *call, char *err, size_t errlen)
{
	struct ndes_http_request view = { .body = body, .body_len = len };
	int rc;

	memset(call, 0, sizeof(*call));
	call->kind = kind;
	if ((call->body = ndes_http_body_json(&view, err, errlen)) == NULL)
		return -1;
	if (kind == CRP_HTTP_VERIFY)
		rc = http_verify_fields(call->body, call, err, errlen);
	else
		rc = http_notify_fields(call->body, &call->notify, &call->cert, err, errlen);
	if (rc == -1)
		crp_http_call_clear(call);
	return rc;
}

void
crp_http_call_clear(struct crp_http_call *call)
{
	free(call->csr);
	free(call->cert);
	json_decref(call->body);
	memset(call, 0, sizeof(*call));
}

static void
http_submit(struct crpd *d, struct ndes_http_request *req, const struct crp_http_call *call)
{
	struct crp_reply reply = crp_http_reply(req);

	if (call->kind == CRP_HTTP_VERIFY)
		crp_verify_submit(d, &reply, call->csr, call->csr_len, call->template_name,
		    call->transaction_id);
	else
		crp_notify_submit(d, &reply, &call->notify);
}

static void
http_call(struct ndes_http_request *req, struct crpd *d, enum crp_http_call_kind kind)
{
	struct crp_http_call call;
	char err[NDES_ERR_MAX];

	if (crp_http_read_call(kind, req->body, req->body_len, &call, err, sizeof(err)) == -1) {
		ndes_http_reply_error(req, 400, "bad_request", "%s", err);
		return;
	}
	if (!crp_admit(d))
		http_busy(req);
	else
		http_submit(d, req, &call);
	crp_http_call_clear(&call);
}

static void
http_verify(struct ndes_http_request *req, void *arg)
{
	http_call(req, arg, CRP_HTTP_VERIFY);
}

static void
http_notify(struct ndes_http_request *req, void *arg)
{
	http_call(req, arg, CRP_HTTP_NOTIFY);
}

static void
http_healthz(struct ndes_http_request *req, void *arg)
{
	struct crpd *d = arg;
	struct crp_keyset *ks = crp_keyholder_get(&d->keys);
	size_t nkeys = ks != NULL ? ks->n_keys : 0;
	int nsign = ks != NULL ? sk_X509_num(ks->signing) : 0;
	const char *status = nkeys == 0 ? "no CRP encryption key" :
	    nsign == 0 ? "no challenge-signing certificate" : NULL;

	crp_keyset_unref(ks);
	ndes_http_reply_json(req, status == NULL ? 200 : 503,
	    json_pack("{s:s, s:s?, s:I, s:i, s:I}", "status", status == NULL ? "ok" : "degraded",
	    "reason", status, "crpKeys", (json_int_t)nkeys, "signingCertificates", nsign,
	    "inFlight", (json_int_t)d->inflight));
}

/* {"error":{"code":<diag name>,"message":...,"eventId":...,"diagCode":...}, ...} */
static json_t *
http_refusal(int event_id, uint32_t code, const char *message)
{
	char hex[16];

	snprintf(hex, sizeof(hex), "0x%08X", code);
	return json_pack("{s:s, s:o, s:i, s:s}", "code", ndes_diag_name(code) != NULL ?
	    ndes_diag_name(code) : "Unknown_Error", "message", ndes_json_text(message),
	    "eventId", event_id, "diagCode", hex);
}

json_t *
crp_http_verify_answer(const struct crp_verify_answer *a, int *status)
{
	char hex[16];

	snprintf(hex, sizeof(hex), "0x%08X", a->code);
	if (a->verified) {
		*status = 201;
		return json_pack("{s:b, s:i, s:s, s:o, s:s?, s:s?, s:s?}", "verified", 1,
		    "eventId", a->event_id, "diagCode", hex, "message", ndes_json_text(a->reason),
		    "challengeId", a->challenge_id, "deviceId", a->device_id, "userId",
		    a->user_id);
	}
	*status = a->code == NDES_DIAG_UNKNOWN_ERROR ? 503 : 403;
	return json_pack("{s:o, s:b, s:s?, s:s?, s:s?}", "error",
	    http_refusal(a->event_id, a->code, a->reason), "verified", 0, "challengeId",
	    a->challenge_id, "deviceId", a->device_id, "userId", a->user_id);
}

/* ---- Answers (reply.h); the state is the request ---- */

static void
http_verified(void *state, const struct crp_verify_answer *a)
{
	json_t *body;
	int status;

	body = crp_http_verify_answer(a, &status);
	ndes_http_reply_json(state, status, body);
}

static void
http_notified(void *state, const struct crp_notify_answer *a)
{
	struct ndes_http_request *req = state;

	if (a->bad_request)
		ndes_http_reply_error(req, 400, "bad_request", "%s", a->message);
	else if (a->accepted)
		ndes_http_reply_empty(req, 204);
	else
		ndes_http_reply_json(req, a->code == NDES_DIAG_NOTIFY_UNKNOWN_CHALLENGE ? 404 : 503,
		    json_pack("{s:o}", "error", http_refusal(20602, a->code, a->message)));
}

/* Each answer frees the request (common/http.h); nothing else is held. */
static void
http_release(void *state)
{
}

/* No reloaded: the HTTP API submits no reload. */
static const struct crp_reply_ops http_reply_ops = {
	.name = "http",
	.verified = http_verified,
	.notified = http_notified,
	.release = http_release,
};

struct crp_reply
crp_http_reply(struct ndes_http_request *req)
{
	return (struct crp_reply){ &http_reply_ops, req };
}

static int
http_tls(struct crpd *d, struct crp_http *h)
{
	const struct crpd_tls_cfg *t = &d->cfg.http.tls;
	char *cert = crpd_config_path(&d->cfg, t->cert), *key = crpd_config_path(&d->cfg, t->key);
	char *ca = t->client_ca != NULL ? crpd_config_path(&d->cfg, t->client_ca) : NULL;
	char err[NDES_ERR_MAX];

	h->tls = ndes_tls_server_ctx(cert, key, ca, ca != NULL ? NDES_TLS_CLIENT_AUTH_REQUIRED :
	    NDES_TLS_CLIENT_AUTH_NONE, err, sizeof(err));
	if (h->tls == NULL)
		log_warnx("http: TLS: %s", err);
	free(cert);
	free(key);
	free(ca);
	return h->tls != NULL ? 0 : -1;
}

static int
http_routes(struct crpd *d, struct ndes_http_server *srv)
{
	return ndes_http_route(srv, "POST", CRP_HTTP_VERIFY_PATH, http_verify, d) == 0 &&
	    ndes_http_route(srv, "POST", CRP_HTTP_NOTIFY_PATH, http_notify, d) == 0 &&
	    ndes_http_route(srv, "GET", "/healthz", http_healthz, d) == 0 ? 0 : -1;
}

int
crp_http_start(struct crpd *d)
{
	struct ndes_http_limits lim = {
		.max_headers_size = CRP_HTTP_MAX_REQUEST,
		.max_body_size = CRP_HTTP_MAX_REQUEST,
		.max_connections = (size_t)d->cfg.http.max_connections,
		.header_timeout_ms = (int)d->cfg.http.header_timeout * 1000,
		.body_timeout_ms = (int)d->cfg.http.body_timeout * 1000,
	};
	struct crp_http *h;
	char err[NDES_ERR_MAX];

	if (!d->cfg.http_present)
		return 0;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	d->http = h;
	if (d->cfg.http.tls_present && http_tls(d, h) == -1)
		return -1;
	h->srv = ndes_http_server_new(d->base, d->cfg.http.address, (uint16_t)d->cfg.http.port,
	    h->tls, &lim, err, sizeof(err));
	if (h->srv == NULL) {
		log_warnx("http: %s", err);
		return -1;
	}
	if (http_routes(d, h->srv) == -1)
		return -1;
	log_info("http: listening on %s port %u%s", d->cfg.http.address,
	    ndes_http_server_port(h->srv), h->tls != NULL ? " (TLS)" : "");
	return 0;
}

void
crp_http_stop(struct crpd *d)
{
	struct crp_http *h = d->http;

	if (h == NULL)
		return;
	ndes_http_server_free(h->srv);
	SSL_CTX_free(h->tls);
	free(h);
	d->http = NULL;
}

uint16_t
crp_http_port(const struct crpd *d)
{
	return d->http != NULL && d->http->srv != NULL ? ndes_http_server_port(d->http->srv) : 0;
}
