/* libFuzzer target: ndes-cloud-sim's connector API (cloudsim/api*.c), the
 * real handlers with their store and PKI, called through a local request
 * (common/http_local.c) instead of a TLS connection.  Any TLS client
 * reaches registration; a registered connector reaches the rest.
 *
 * Input: a first line "METHOD PATH" (optionally followed by " anonymous":
 * no client certificate), then the body.  The request carries the client
 * certificate of a connector registered at start, whose tenant has one
 * revocation and one PKCS request queued and an unused registration token
 * "fuzz-token".  The state is made again every FUZZ_CLOUD_RESET inputs so
 * it stays small.
 *
 * Invariants: every request gets exactly one reply, synchronously; its
 * status is one the API documents (never 500: nothing here makes the store
 * or the PKI fail); a body, when there is one, is JSON: an object with
 * error.code and error.message for 4xx. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "http.h"
#include "log.h"
#include "model.h"
#include "notify_batch.h"
#include "pki.h"
#include "service.h"
#include "store.h"

#define FUZZ_CLOUD_RESET 5000
#define FUZZ_CLOUD_TENANT "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define FUZZ_CLOUD_CONNECTOR "c0ffee00-0000-4000-8000-000000000001"

static const char fixture_yaml[] =
    "tenant_id: " FUZZ_CLOUD_TENANT "\n"
    "service:\n"
    "  state_dir: state\n"
    "  listen_address: 127.0.0.1\n"
    "  admin_address: 127.0.0.1\n"
    "  max_connectors: 20\n";

static struct cloudsim_svc svc;
static X509 *client_cert;
static unsigned long runs;

/* The registered connector: its client certificate from the cloud CA. */
static void
fixture_connector(void)
{
	struct cloudsim_conn_certs certs = { 0 };
	char thumb[NDES_CRYPTO_HEX_MAX], serial[NDES_CRYPTO_HEX_MAX], err[512];
	X509_REQ *req = X509_REQ_new();
	uint8_t *crp_der = NULL;
	size_t crp_len = 0;

	FUZZ_CHECK(req != NULL && X509_REQ_set_pubkey(req, fuzz_key("client")) == 1 &&
	    X509_REQ_sign(req, fuzz_key("client"), EVP_sha256()) > 0);
	client_cert = cloudsim_pki_issue(svc.pki, req, CLOUDSIM_CERT_CLIENT,
	    FUZZ_CLOUD_CONNECTOR, FUZZ_CLOUD_TENANT, 86400 * 365, err, sizeof(err));
	FUZZ_CHECK(client_cert != NULL);
	FUZZ_CHECK(ndes_crypto_thumbprint(client_cert, EVP_sha1(), thumb, sizeof(thumb)) == 0 &&
	    ndes_crypto_serial_hex(client_cert, serial, sizeof(serial)) == 0 &&
	    ndes_crypto_cert_to_der(fuzz_cert("crp"), &crp_der, &crp_len) == 0);
	certs.client_thumbprint = thumb;
	certs.client_serial = serial;
	certs.client_not_after = time(NULL) + 86400 * 365;
	certs.crp_der = crp_der;
	certs.crp_len = crp_len;
	certs.crp_thumbprint = "00";
	FUZZ_CHECK(cloudsim_store_connector_add(svc.store, FUZZ_CLOUD_CONNECTOR, "fuzz", &certs,
	    time(NULL)) == 0);
	free(crp_der);
	X509_REQ_free(req);
}

/* A registration token and one request in each queue. */
static void
fixture_queues(void)
{
	char hash[NDES_CRYPTO_HEX_MAX];
	int64_t now = time(NULL);

	FUZZ_CHECK(ndes_crypto_digest_hex((const uint8_t *)"fuzz-token", 10, EVP_sha256(),
	    hash, sizeof(hash)) == 0);
	FUZZ_CHECK(cloudsim_store_token_add(svc.store, hash, now, now + 86400) == 0);
	FUZZ_CHECK(cloudsim_store_revocation_add(svc.store, "rev-1", "1A2B", "CN=Contoso CA",
	    "ca.contoso.com\\Contoso CA", now) == 0);
	FUZZ_CHECK(cloudsim_store_pkcs_add(svc.store, "pkcs-1", "dev-1", "alice@contoso.com",
	    "prof-1", "{\"requestId\":\"pkcs-1\"}", now) == 0);
}

static void
fixture_open(void)
{
	char err[1024], dir[600];

	log_init("fuzz_cloudsim_api", log_level_from_name("warn"));
	FUZZ_CHECK(cloudsim_config_load_string("fuzz.yaml", fixture_yaml, fuzz_tmpdir(),
	    &svc.config, err, sizeof(err)) == 0);
	snprintf(dir, sizeof(dir), "%s", svc.config->service.state_dir);
	FUZZ_CHECK(cloudsim_mkdirs(dir, 0700, err, sizeof(err)) == 0);
	FUZZ_CHECK((svc.pki = cloudsim_pki_open(&svc.config->service, FUZZ_CLOUD_TENANT, err,
	    sizeof(err))) != NULL);
	FUZZ_CHECK((svc.store = cloudsim_store_open(dir, err, sizeof(err))) != NULL);
	FUZZ_CHECK((svc.base = event_base_new()) != NULL);
	FUZZ_CHECK((svc.api = ndes_http_server_new(svc.base, "127.0.0.1", 0, NULL, NULL, err,
	    sizeof(err))) != NULL);
	svc.lease_s = CLOUDSIM_DEFAULT_LEASE_S;
	FUZZ_CHECK((svc.notify = cloudsim_notify_batch_new(&svc)) != NULL);
	FUZZ_CHECK(cloudsim_api_routes(&svc) == 0);
	fixture_connector();
	fixture_queues();
}

static void
fixture_close(void)
{
	char path[700];

	cloudsim_notify_batch_free(svc.notify);
	ndes_http_server_free(svc.api);
	event_base_free(svc.base);
	cloudsim_store_close(svc.store);
	snprintf(path, sizeof(path), "%s/cloud.db", svc.config->service.state_dir);
	remove(path);
	cloudsim_pki_free(svc.pki);
	cloudsim_config_free(svc.config);
	X509_free(client_cert);
	memset(&svc, 0, sizeof(svc));
}

static bool
documented_status(int status)
{
	static const int ok[] = { 200, 201, 204, 400, 401, 403, 404, 405, 409 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (status == ok[i])
			return true;
	return false;
}

static void
check_reply(const struct ndes_http_captured *out)
{
	json_t *body, *error;

	fuzz_note("%d %s", out->status, out->body != NULL ? out->body : "");
	FUZZ_CHECK(documented_status(out->status));
	if (out->len == 0) {
		FUZZ_CHECK(out->status == 204);
		return;
	}
	FUZZ_CHECK((body = json_loadb(out->body, out->len, 0, NULL)) != NULL);
	FUZZ_CHECK(json_is_object(body));
	if (out->status >= 400) {
		error = json_object_get(body, "error");
		FUZZ_CHECK(json_is_string(json_object_get(error, "code")) &&
		    json_is_string(json_object_get(error, "message")));
	}
	json_decref(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndes_http_captured out;
	struct ndes_http_request *req;
	const uint8_t *body;
	size_t body_len;
	char *line, *target, *anon;

	fuzz_split_line(data, size, &line, &body, &body_len);
	if (line == NULL || (target = strchr(line, ' ')) == NULL) {
		free(line);
		return 0;
	}
	*target++ = '\0';
	if ((anon = strstr(target, " anonymous")) != NULL)
		*anon = '\0';
	if (runs++ % FUZZ_CLOUD_RESET == 0) {
		if (svc.config != NULL)
			fixture_close();
		fixture_open();
	}
	req = ndes_http_request_local(line, target, body, body_len, NULL,
	    anon != NULL ? NULL : client_cert, &out);
	if (req != NULL) {
		ndes_http_server_dispatch(svc.api, req);
		/* notifications are answered after their group's commit, on
		 * the loop's next turn (cloudsim/notify_batch.c) */
		event_base_loop(svc.base, EVLOOP_NONBLOCK);
		FUZZ_CHECK(out.status != 0);
		check_reply(&out);
	}
	ndes_http_captured_clear(&out);
	free(line);
	return 0;
}
