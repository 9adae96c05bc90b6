/* The connector API over HTTPS with mutual TLS: the request preamble
 * (headers, authentication, body) shared by every route (api.h). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crypto.h"
#include "log.h"
#include "store.h"
#include "uuid.h"

/* Which connector holds the request's client certificate; replies on failure. */
static int
api_authenticate(struct api_call *c)
{
	char thumb[NDES_CRYPTO_HEX_MAX];
	enum cloudsim_auth auth;

	if (c->req->client_cert == NULL) {
		api_error(c, 401, "client_certificate_required",
		    "this resource needs a connector's client certificate (mutual TLS)");
		return -1;
	}
	if (ndes_crypto_thumbprint(c->req->client_cert, EVP_sha1(), thumb, sizeof(thumb)) != 0) {
		api_error(c, 500, "internal_error", "cannot hash the client certificate");
		return -1;
	}
	auth = cloudsim_store_connector_auth(c->svc->store, thumb, c->connector_id,
	    sizeof(c->connector_id));
	switch (auth) {
	case CLOUDSIM_AUTH_OK:
		return 0;
	case CLOUDSIM_AUTH_UNKNOWN:
		api_error(c, 403, "certificate_unknown", "the client certificate was not "
		    "issued to a connector of this tenant");
		return -1;
	case CLOUDSIM_AUTH_SUPERSEDED:
		api_error(c, 403, "certificate_superseded", "the client certificate was "
		    "replaced by a renewal: use the new one");
		return -1;
	case CLOUDSIM_AUTH_UNREGISTERED:
		api_error(c, 403, "connector_unregistered", "the connector is unregistered: "
		    "register again with a new token");
		return -1;
	default:
		api_error(c, 500, "internal_error", "the state database failed");
		return -1;
	}
}

static void
api_headers(struct api_call *c)
{
	const char *rid = ndes_http_header(c->req, "client-request-id");
	const char *ver = ndes_http_header(c->req, "api-version");

	if (rid != NULL && rid[0] != '\0' && strlen(rid) < sizeof(c->request_id))
		snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
	else if (ndes_uuid4(c->request_id) != 0)
		snprintf(c->request_id, sizeof(c->request_id), "none");
	ndes_http_set_header(c->req, "client-request-id", c->request_id);
	if (c->svc->config->service.api_version != NULL)
		ndes_http_set_header(c->req, "api-version", c->svc->config->service.api_version);
	if (ver == NULL)
		log_debug("%s %s from %s: no api-version header (accepted)", c->req->method,
		    c->req->path, c->req->peer);
}

int
api_start(struct cloudsim_svc *svc, struct ndes_http_request *req, unsigned flags,
    struct api_call *c)
{
	char err[API_ERR_MAX];

	memset(c, 0, sizeof(*c));
	c->svc = svc;
	c->req = req;
	api_headers(c);
	if ((flags & API_AUTH) && api_authenticate(c) != 0)
		return -1;
	log_info("%s %s from %s%s%s client-request-id=%s api-version=%s", req->method,
	    req->path, req->peer, c->connector_id[0] ? " connector=" : "", c->connector_id,
	    c->request_id, ndes_http_header(req, "api-version") ?
	    ndes_http_header(req, "api-version") : "(none)");
	if ((flags & API_BODY) && (c->body = ndes_http_body_json(req, err, sizeof(err))) == NULL) {
		api_error(c, 400, "invalid_json", err);
		return -1;
	}
	return 0;
}

void
api_end(struct api_call *c)
{
	json_decref(c->body);
	c->body = NULL;
	c->req = NULL;
}

void
api_reply(struct api_call *c, int status, json_t *body)
{
	if (body == NULL && status != 204) {
		api_error(c, 500, "internal_error", "out of memory or the state database failed");
		return;
	}
	if (status == 204)
		ndes_http_reply_empty(c->req, 204);
	else
		ndes_http_reply_json(c->req, status, body);
	api_end(c);
}

void
api_error(struct api_call *c, int status, const char *code, const char *msg)
{
	if (status >= 500)
		log_warnx("%s %s: %s", c->req->method, c->req->path, msg);
	else
		log_info("%s %s from %s: %d %s: %s", c->req->method, c->req->path, c->req->peer,
		    status, code, msg);
	ndes_http_reply_error(c->req, status, code, "%s", msg);
	api_end(c);
}

void
api_bad_request(struct api_call *c, const char *msg)
{
	api_error(c, 400, "invalid_request", msg);
}

int
cloudsim_api_routes(struct cloudsim_svc *svc)
{
	if (api_connector_routes(svc) != 0 || api_scep_routes(svc) != 0 ||
	    api_revoke_routes(svc) != 0 || api_pkcs_routes(svc) != 0)
		return -1;
	return 0;
}
