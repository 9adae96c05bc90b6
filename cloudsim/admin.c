/* The admin endpoint: plain HTTP on a loopback address, loopback peers only
 * (docs/cloud-api.md, "Admin endpoint").  Tokens, revocations and the
 * read-only lists live here; challenges and PKCS requests in admin_*.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "admin.h"
#include "b64.h"
#include "crypto.h"
#include "log.h"
#include "store.h"
#include "uuid.h"

#define ADMIN_MAX_LIFETIME_S (365LL * 86400)

int
cloudsim_loopback_address(const char *addr, char *out, size_t outlen)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(addr, "localhost") == 0)
		addr = "127.0.0.1";
	snprintf(out, outlen, "%s", addr);
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/* "127.0.0.1:4000" or "[::1]:4000". */
static int
admin_peer_loopback(const char *peer)
{
	char host[64], bound[64];
	const char *end;

	if (peer[0] == '[') {
		end = strchr(peer, ']');
		if (end == NULL)
			return 0;
		snprintf(host, sizeof(host), "%.*s", (int)(end - peer - 1), peer + 1);
	} else {
		end = strrchr(peer, ':');
		snprintf(host, sizeof(host), "%.*s", end ? (int)(end - peer) : (int)strlen(peer),
		    peer);
	}
	return cloudsim_loopback_address(host, bound, sizeof(bound));
}

int
admin_start(struct cloudsim_svc *svc, struct ndes_http_request *req, bool body,
    struct api_call *c)
{
	char err[API_ERR_MAX];

	memset(c, 0, sizeof(*c));
	c->svc = svc;
	c->req = req;
	snprintf(c->request_id, sizeof(c->request_id), "admin");
	if (!admin_peer_loopback(req->peer)) {
		api_error(c, 403, "forbidden", "the admin endpoint answers loopback clients only");
		return -1;
	}
	log_debug("admin: %s %s", req->method, req->path);
	if (body && req->body_len == 0)
		c->body = json_object();
	else if (body && (c->body = ndes_http_body_json(req, err, sizeof(err))) == NULL) {
		api_error(c, 400, "invalid_json", err);
		return -1;
	}
	return 0;
}

/* A registration token: 32 random bytes, base64url. */
static char *
admin_new_token(void)
{
	unsigned char raw[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	return ndes_b64url_encode(raw, sizeof(raw));
}

static void
admin_token(struct ndes_http_request *req, void *arg)
{
	char err[API_ERR_MAX], hash[NDES_CRYPTO_HEX_MAX], iso[32];
	struct api_call c;
	json_int_t life;
	int64_t now = time(NULL);
	char *token;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	life = c.svc->config->service.registration_token_lifetime_s;
	if (ndes_json_get_int(c.body, "lifetimeSeconds", false, -ADMIN_MAX_LIFETIME_S,
	    ADMIN_MAX_LIFETIME_S, &life, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	if ((token = admin_new_token()) == NULL ||
	    ndes_crypto_digest_hex((const uint8_t *)token, strlen(token), EVP_sha256(), hash,
	    sizeof(hash)) != 0 ||
	    cloudsim_store_token_add(c.svc->store, hash, now, now + life) != 0) {
		free(token);
		api_error(&c, 500, "internal_error", "cannot make a registration token");
		return;
	}
	cloudsim_time_iso(now + life, iso, sizeof(iso));
	log_info("registration token %.12s... minted, expires at %s", hash, iso);
	api_reply(&c, 201, json_pack("{s:s, s:s}", "token", token, "expiresAt", iso));
	free(token);
}

/* issuerName: given, or the subject of service.issuing_ca_cert. */
static int
admin_issuer(struct api_call *c, const char **issuer, char **owned, char *err, size_t errlen)
{
	*owned = NULL;
	if (api_get_str(c->body, "issuerName", false, 1024, issuer, err, errlen) != 0)
		return -1;
	if (*issuer != NULL)
		return 0;
	if (c->svc->issuing_ca == NULL) {
		snprintf(err, errlen, "field \"issuerName\": required (no service.issuing_ca_cert "
		    "to take it from)");
		return -1;
	}
	*owned = ndes_crypto_name_to_string(X509_get_subject_name(c->svc->issuing_ca));
	*issuer = *owned;
	return *owned ? 0 : -1;
}

static void
admin_revocation(struct ndes_http_request *req, void *arg)
{
	const char *serial = NULL, *issuer = NULL, *ca_conf = NULL;
	char err[API_ERR_MAX], ctx[NDES_UUID_LEN + 1], *owned = NULL;
	struct api_call c;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	if (api_get_hex(c.body, "serial", true, 128, &serial, err, sizeof(err)) != 0 ||
	    api_get_str(c.body, "caConfiguration", false, 1024, &ca_conf, err, sizeof(err)) != 0 ||
	    admin_issuer(&c, &issuer, &owned, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	if (ndes_uuid4(ctx) != 0 || cloudsim_store_revocation_add(c.svc->store, ctx, serial,
	    issuer, ca_conf, time(NULL)) != 0) {
		free(owned);
		api_error(&c, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("revocation of serial %s (issuer %s) queued as %s", serial, issuer, ctx);
	api_reply(&c, 201, json_pack("{s:s, s:s, s:s, s:o}", "requestContext", ctx,
	    "serialNumber", serial, "issuerName", issuer, "caConfiguration",
	    cloudsim_json_str(ca_conf)));
	free(owned);
}

static void
admin_show(struct ndes_http_request *req, void *arg)
{
	static const struct {
		const char *path;
		json_t *(*list)(struct cloudsim_store *);
	} lists[] = {
		{ "/admin/connectors", cloudsim_store_list_connectors },
		{ "/admin/notifications", cloudsim_store_list_notifications },
		{ "/admin/revocations", cloudsim_store_list_revocations },
		{ "/admin/pkcs", cloudsim_store_list_pkcs },
		{ "/admin/challenges", cloudsim_store_list_challenges },
		{ "/admin/profiles", cloudsim_store_list_profile_states },
	};
	struct api_call c;
	json_t *rows = NULL;

	if (admin_start(arg, req, false, &c) != 0)
		return;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(req->path, lists[i].path) == 0)
			rows = lists[i].list(c.svc->store);
	api_reply(&c, 200, rows ? json_pack("{s:o}", "value", rows) : NULL);
}

int
cloudsim_admin_routes(struct cloudsim_svc *svc)
{
	static const char *const shows[] = { "/admin/connectors", "/admin/notifications",
	    "/admin/revocations", "/admin/pkcs", "/admin/challenges", "/admin/profiles" };
	struct ndes_http_server *a = svc->admin;

	for (size_t i = 0; i < sizeof(shows) / sizeof(shows[0]); i++)
		if (ndes_http_route(a, "GET", shows[i], admin_show, svc) != 0)
			return -1;
	if (ndes_http_route(a, "POST", "/admin/tokens", admin_token, svc) != 0 ||
	    ndes_http_route(a, "POST", "/admin/challenges", admin_challenge, svc) != 0 ||
	    ndes_http_route(a, "POST", "/admin/revocations", admin_revocation, svc) != 0 ||
	    ndes_http_route(a, "POST", "/admin/pkcs-requests", admin_pkcs_request, svc) != 0 ||
	    ndes_http_route(a, "POST", "/admin/pkcs-open", admin_pkcs_open, svc) != 0 ||
	    admin_device_routes(a, svc) != 0)
		return -1;
	return 0;
}
