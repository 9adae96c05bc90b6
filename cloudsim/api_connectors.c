/* Connector registration, renewal, unregistration and the signing
 * certificate download (docs/cloud-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crypto.h"
#include "log.h"
#include "pki.h"
#include "store.h"
#include "uuid.h"

#define API_CSR_MAX (64 * 1024)
#define API_NAME_MAX 256

/* The certificates a registration or renewal issues. */
struct api_issued {
	X509 *client;
	X509 *crp;                       /* NULL: renewal keeps the current one */
	char client_thumb[NDES_CRYPTO_HEX_MAX];
	char client_serial[NDES_CRYPTO_HEX_MAX];
	char crp_thumb[NDES_CRYPTO_HEX_MAX];
	uint8_t *crp_der;
	size_t crp_len;
};

static void
api_issued_clear(struct api_issued *is)
{
	X509_free(is->client);
	X509_free(is->crp);
	free(is->crp_der);
	memset(is, 0, sizeof(*is));
}

/* Parse one CSR field; on failure err names the field. */
static X509_REQ *
api_csr_field(const json_t *body, const char *field, bool required, char *err, size_t errlen)
{
	const char *b64 = NULL;
	char why[256];
	X509_REQ *req;

	if (api_get_str(body, field, required, API_CSR_MAX, &b64, err, errlen) != 0 ||
	    b64 == NULL)
		return NULL;
	if ((req = cloudsim_pki_csr_from_b64(b64, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "field \"%s\": %s", field, why);
	return req;
}

/* Issue the client (and CRP, when crp_csr != NULL) certificates. */
static int
api_issue(struct cloudsim_svc *svc, const char *id, X509_REQ *client_csr, X509_REQ *crp_csr,
    struct api_issued *is, char *err, size_t errlen)
{
	struct cloudsim_service *s = &svc->config->service;
	const char *tenant = svc->config->tenant_id;

	is->client = cloudsim_pki_issue(svc->pki, client_csr, CLOUDSIM_CERT_CLIENT, id, tenant,
	    s->connector_cert_lifetime_s, err, errlen);
	if (is->client == NULL ||
	    ndes_crypto_thumbprint(is->client, EVP_sha1(), is->client_thumb,
	    sizeof(is->client_thumb)) != 0 ||
	    ndes_crypto_serial_hex(is->client, is->client_serial, sizeof(is->client_serial)) != 0)
		return -1;
	if (crp_csr == NULL)
		return 0;
	is->crp = cloudsim_pki_issue(svc->pki, crp_csr, CLOUDSIM_CERT_CRP, id, tenant,
	    s->connector_cert_lifetime_s, err, errlen);
	if (is->crp == NULL ||
	    ndes_crypto_thumbprint(is->crp, EVP_sha1(), is->crp_thumb,
	    sizeof(is->crp_thumb)) != 0 ||
	    ndes_crypto_cert_to_der(is->crp, &is->crp_der, &is->crp_len) != 0)
		return -1;
	return 0;
}

static void
api_certs_of(const struct api_issued *is, struct cloudsim_conn_certs *c)
{
	time_t na;

	memset(c, 0, sizeof(*c));
	c->client_thumbprint = is->client_thumb;
	c->client_serial = is->client_serial;
	ndes_crypto_asn1_time(X509_get0_notAfter(is->client), &na);
	c->client_not_after = (int64_t)na;
	c->crp_der = is->crp_der;
	c->crp_len = is->crp_len;
	c->crp_thumbprint = is->crp ? is->crp_thumb : NULL;
}

/* {connectorId, tenantId, clientCertificate, crpCertificate, caChain,
 * signingCertificates}. */
static json_t *
api_bundle(struct cloudsim_svc *svc, const char *id, X509 *client, X509 *crp)
{
	STACK_OF(X509) *signing = sk_X509_new_null();
	char *client_b64 = api_cert_b64(client), *crp_b64 = api_cert_b64(crp);
	json_t *out = NULL;

	if (signing != NULL && sk_X509_push(signing, svc->pki->signing_cert) &&
	    client_b64 != NULL && crp_b64 != NULL)
		out = json_pack("{s:s, s:s, s:s, s:s, s:o*, s:o*}", "connectorId", id,
		    "tenantId", svc->config->tenant_id, "clientCertificate", client_b64,
		    "crpCertificate", crp_b64, "caChain", api_certs_b64(svc->pki->ca_chain),
		    "signingCertificates", api_certs_b64(signing));
	sk_X509_free(signing);
	free(client_b64);
	free(crp_b64);
	return out;
}

/* The token check inside the registration's transaction; replies on failure. */
static int
api_token_ok(struct api_call *c, const char *token, char *hash, size_t hashlen, int64_t now)
{
	static const struct { enum cloudsim_token_state state; const char *code, *msg; } bad[] = {
		{ CLOUDSIM_TOKEN_UNKNOWN, "token_unknown", "the registration token is not known" },
		{ CLOUDSIM_TOKEN_USED, "token_used", "the registration token was used already" },
		{ CLOUDSIM_TOKEN_EXPIRED, "token_expired", "the registration token expired" },
	};
	enum cloudsim_token_state state;

	ndes_crypto_digest_hex((const uint8_t *)token, strlen(token), EVP_sha256(), hash, hashlen);
	state = cloudsim_store_token_state(c->svc->store, hash, now);
	if (state == CLOUDSIM_TOKEN_OK)
		return 0;
	cloudsim_store_rollback(c->svc->store);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bad[i].state == state) {
			api_error(c, 401, bad[i].code, bad[i].msg);
			return -1;
		}
	api_error(c, 500, "internal_error", "the state database failed");
	return -1;
}

/* Room for one more connector; replies on failure. */
static int
api_room(struct api_call *c)
{
	int64_t n = 0, max = c->svc->config->service.max_connectors;
	char msg[128];

	if (cloudsim_store_connector_active_count(c->svc->store, &n) != 0) {
		cloudsim_store_rollback(c->svc->store);
		api_error(c, 500, "internal_error", "the state database failed");
		return -1;
	}
	if (n < max)
		return 0;
	cloudsim_store_rollback(c->svc->store);
	snprintf(msg, sizeof(msg), "the tenant has %lld active connectors (at most %lld)",
	    (long long)n, (long long)max);
	api_error(c, 409, "too_many_connectors", msg);
	return -1;
}

struct api_reg_req {
	const char *token, *name;
	X509_REQ *client_csr, *crp_csr;
};

static int
api_reg_parse(const json_t *body, struct api_reg_req *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (api_get_str(body, "token", true, 256, &r->token, err, errlen) != 0 ||
	    api_get_str(body, "name", true, API_NAME_MAX, &r->name, err, errlen) != 0 ||
	    (r->client_csr = api_csr_field(body, "clientCsr", true, err, errlen)) == NULL ||
	    (r->crp_csr = api_csr_field(body, "crpCsr", true, err, errlen)) == NULL)
		return -1;
	return 0;
}

/* Issue and record inside the open transaction; replies. */
static void
api_reg_finish(struct api_call *c, struct api_reg_req *r, const char *hash, int64_t now)
{
	struct cloudsim_conn_certs certs;
	struct api_issued is = { 0 };
	char id[NDES_UUID_LEN + 1], err[API_ERR_MAX] = "cannot make a connector ID";
	json_t *out;

	if (ndes_uuid4(id) != 0 || api_issue(c->svc, id, r->client_csr, r->crp_csr, &is,
	    err, sizeof(err)) != 0) {
		cloudsim_store_rollback(c->svc->store);
		api_issued_clear(&is);
		api_error(c, 500, "internal_error", err);
		return;
	}
	api_certs_of(&is, &certs);
	if (cloudsim_store_token_use(c->svc->store, hash, id, now) != 0 ||
	    cloudsim_store_connector_add(c->svc->store, id, r->name, &certs, now) != 0 ||
	    cloudsim_store_commit(c->svc->store) != 0) {
		cloudsim_store_rollback(c->svc->store);
		api_issued_clear(&is);
		api_error(c, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("connector %s (\"%s\") registered, client certificate %s", id, r->name,
	    is.client_thumb);
	out = api_bundle(c->svc, id, is.client, is.crp);
	api_issued_clear(&is);
	api_reply(c, 201, out);
}

static void
api_register(struct ndes_http_request *req, void *arg)
{
	struct api_call c;
	struct api_reg_req r;
	char err[API_ERR_MAX], hash[NDES_CRYPTO_HEX_MAX];
	int64_t now = time(NULL);

	if (api_start(arg, req, API_BODY, &c) != 0)
		return;
	if (api_reg_parse(c.body, &r, err, sizeof(err)) != 0)
		api_bad_request(&c, err);
	else if (cloudsim_store_begin(c.svc->store) != 0)
		api_error(&c, 500, "internal_error", "the state database failed");
	else if (api_token_ok(&c, r.token, hash, sizeof(hash), now) == 0 && api_room(&c) == 0)
		api_reg_finish(&c, &r, hash, now);
	X509_REQ_free(r.client_csr);
	X509_REQ_free(r.crp_csr);
}

/* The current CRP certificate of a connector renewing only its client certificate. */
static X509 *
api_current_crp(struct cloudsim_svc *svc, const char *id)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *cert = NULL;

	if (cloudsim_store_connector_crp(svc->store, id, &der, &len) == 0)
		cert = ndes_crypto_cert_from_der(der, len);
	free(der);
	return cert;
}

static void
api_renew_finish(struct api_call *c, X509_REQ *client_csr, X509_REQ *crp_csr)
{
	struct cloudsim_conn_certs certs;
	struct api_issued is = { 0 };
	char err[API_ERR_MAX];
	X509 *crp;
	json_t *out;

	if (api_issue(c->svc, c->connector_id, client_csr, crp_csr, &is, err, sizeof(err)) != 0) {
		api_issued_clear(&is);
		api_error(c, 500, "internal_error", err);
		return;
	}
	api_certs_of(&is, &certs);
	if (cloudsim_store_begin(c->svc->store) != 0 ||
	    cloudsim_store_connector_renew(c->svc->store, c->connector_id, &certs,
	    time(NULL)) != 0 || cloudsim_store_commit(c->svc->store) != 0) {
		cloudsim_store_rollback(c->svc->store);
		api_issued_clear(&is);
		api_error(c, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("connector %s renewed, client certificate %s%s", c->connector_id,
	    is.client_thumb, is.crp ? ", new CRP certificate" : "");
	crp = is.crp ? X509_dup(is.crp) : api_current_crp(c->svc, c->connector_id);
	out = crp ? api_bundle(c->svc, c->connector_id, is.client, crp) : NULL;
	X509_free(crp);
	api_issued_clear(&is);
	api_reply(c, 200, out);
}

static void
api_renew(struct ndes_http_request *req, void *arg)
{
	X509_REQ *client_csr = NULL, *crp_csr = NULL;
	char err[API_ERR_MAX] = "";
	struct api_call c;

	if (api_start(arg, req, API_AUTH | API_BODY, &c) != 0)
		return;
	if ((client_csr = api_csr_field(c.body, "clientCsr", true, err, sizeof(err))) == NULL ||
	    ((crp_csr = api_csr_field(c.body, "crpCsr", false, err, sizeof(err))) == NULL &&
	    err[0] != '\0'))
		api_bad_request(&c, err);
	else
		api_renew_finish(&c, client_csr, crp_csr);
	X509_REQ_free(client_csr);
	X509_REQ_free(crp_csr);
}

static void
api_unregister(struct ndes_http_request *req, void *arg)
{
	struct api_call c;

	if (api_start(arg, req, API_AUTH, &c) != 0)
		return;
	if (cloudsim_store_begin(c.svc->store) != 0 ||
	    cloudsim_store_connector_unregister(c.svc->store, c.connector_id, time(NULL)) != 0 ||
	    cloudsim_store_commit(c.svc->store) != 0) {
		cloudsim_store_rollback(c.svc->store);
		api_error(&c, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("connector %s unregistered", c.connector_id);
	api_reply(&c, 204, NULL);
}

static void
api_signing(struct ndes_http_request *req, void *arg)
{
	STACK_OF(X509) *signing = sk_X509_new_null();
	struct api_call c;
	json_t *value = NULL;

	if (api_start(arg, req, API_AUTH, &c) != 0) {
		sk_X509_free(signing);
		return;
	}
	if (signing != NULL && sk_X509_push(signing, c.svc->pki->signing_cert))
		value = api_certs_b64(signing);
	sk_X509_free(signing);
	api_reply(&c, 200, value ? json_pack("{s:o}", "value", value) : NULL);
}

int
api_connector_routes(struct cloudsim_svc *svc)
{
	if (ndes_http_route(svc->api, "POST", "/connectors/register", api_register, svc) != 0 ||
	    ndes_http_route(svc->api, "POST", "/connectors/renew", api_renew, svc) != 0 ||
	    ndes_http_route(svc->api, "POST", "/connectors/unregister", api_unregister, svc) != 0 ||
	    ndes_http_route(svc->api, "GET", "/certificates/signing", api_signing, svc) != 0)
		return -1;
	return 0;
}
