/* ndes-cloud-sim: which client certificates the connector routes accept. */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "lib/testpki.h"
#include "test_cloudsim_svc_util.h"

TestSuite(mtls, .init = sim_default_setup, .fini = sim_default_teardown);

static const struct { const char *method, *path; } connector_routes[] = {
	{ "POST", "/connectors/renew" },
	{ "POST", "/connectors/unregister" },
	{ "GET", "/certificates/signing" },
	{ "POST", "/ScepActions/successNotification" },
	{ "POST", "/ScepActions/failureNotification" },
	{ "POST", "/CertificateAuthorityRequests/downloadRevocationRequests" },
	{ "POST", "/CertificateAuthorityRequests/uploadRevocationResults" },
	{ "POST", "/PkcsRequests/download" },
	{ "POST", "/PkcsRequests/uploadResults" },
};

Test(mtls, no_client_certificate_gets_401_everywhere)
{
	for (size_t i = 0; i < sizeof(connector_routes) / sizeof(connector_routes[0]); i++) {
		int status = 0;
		json_t *answer = sim_api(&sim, NULL, connector_routes[i].method,
		    connector_routes[i].path, "{}", &status);

		cr_assert_eq(status, 401, "%s", connector_routes[i].path);
		cr_assert_str_eq(err_code(answer), "client_certificate_required");
		json_decref(answer);
	}
}

Test(mtls, certificate_of_another_ca_fails_the_handshake)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = testpki_cert(key, "intruder", NULL, NULL, -60, 30);
	char *answer = NULL;
	int status = 0;

	cr_assert_eq(sim_api_raw(&sim, cert, key, "GET", "/certificates/signing", NULL, &status,
	    &answer), NDES_HTTP_ERR_TLS);
	free(answer);
	X509_free(cert);
	EVP_PKEY_free(key);
}

Test(mtls, renewal_replaces_the_client_certificate)
{
	struct conn c, old = { 0 };
	char *csr, *body;
	json_t *answer;
	X509 *crp_before;
	int status = 0;

	conn_init(&c, "rsa-2048");
	sim_register_ok(&sim, &c);
	old.client_key = c.client_key;
	old.client_cert = X509_dup(c.client_cert);
	crp_before = X509_dup(c.crp_cert);
	/* A new client key; no crpCsr: the CRP certificate stays. */
	c.client_key = testpki_key("ec-p256");
	csr = csr_b64(c.client_key);
	cr_assert(asprintf(&body, "{\"clientCsr\":\"%s\"}", csr) > 0);
	answer = sim_api(&sim, &old, "POST", "/connectors/renew", body, &status);
	cr_assert_eq(status, 200, "%s", err_msg(answer));
	cr_assert_str_eq(json_string_value(json_object_get(answer, "connectorId")), c.id);
	X509_free(c.client_cert);
	c.client_cert = cert_b64(json_string_value(json_object_get(answer, "clientCertificate")));
	cr_assert_eq(EVP_PKEY_eq(X509_get0_pubkey(c.client_cert), c.client_key), 1);
	X509_free(c.crp_cert);
	c.crp_cert = cert_b64(json_string_value(json_object_get(answer, "crpCertificate")));
	cr_assert_eq(X509_cmp(c.crp_cert, crp_before), 0);
	json_decref(answer);
	/* The old certificate stops working, the new one works. */
	answer = sim_api(&sim, &old, "GET", "/certificates/signing", NULL, &status);
	cr_assert_eq(status, 403);
	cr_assert_str_eq(err_code(answer), "certificate_superseded");
	json_decref(answer);
	json_decref(sim_api(&sim, &c, "GET", "/certificates/signing", NULL, &status));
	cr_assert_eq(status, 200);
	X509_free(old.client_cert);
	EVP_PKEY_free(old.client_key);
	X509_free(crp_before);
	free(csr);
	free(body);
	conn_free(&c);
}

Test(mtls, renewal_with_a_crp_csr_replaces_the_crp_certificate)
{
	struct conn c;
	char *client, *crp, *body;
	EVP_PKEY *new_crp = testpki_key("ec-p256");
	json_t *answer;
	X509 *cert;
	int status = 0;

	conn_init(&c, "rsa-2048");
	sim_register_ok(&sim, &c);
	client = csr_b64(c.client_key);
	crp = csr_b64(new_crp);
	cr_assert(asprintf(&body, "{\"clientCsr\":\"%s\",\"crpCsr\":\"%s\"}", client, crp) > 0);
	answer = sim_api(&sim, &c, "POST", "/connectors/renew", body, &status);
	cr_assert_eq(status, 200);
	cert = cert_b64(json_string_value(json_object_get(answer, "crpCertificate")));
	cr_assert_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), new_crp), 1);
	X509_free(cert);
	json_decref(answer);
	EVP_PKEY_free(new_crp);
	free(client);
	free(crp);
	free(body);
	conn_free(&c);
}

Test(mtls, unregistered_connector_gets_403)
{
	struct conn c;
	json_t *answer, *req;
	int status = 0;

	conn_init(&c, "rsa-2048");
	sim_register_ok(&sim, &c);
	answer = sim_api(&sim, &c, "POST", "/connectors/unregister", NULL, &status);
	cr_assert_eq(status, 204);
	json_decref(answer);
	answer = sim_api(&sim, &c, "GET", "/certificates/signing", NULL, &status);
	cr_assert_eq(status, 403);
	cr_assert_str_eq(err_code(answer), "connector_unregistered");
	json_decref(answer);
	/* Its CRP certificate is no recipient any more: no connector is left. */
	req = json_pack("{s:s, s:s}", "device", "dev-win-1", "profile", "workstation");
	answer = sim_admin(&sim, "POST", "/admin/challenges", req, &status);
	cr_assert_eq(status, 409);
	cr_assert_str_eq(err_code(answer), "no_connector");
	json_decref(answer);
	json_decref(req);
	conn_free(&c);
}

Test(mtls, expired_client_certificate_fails_the_handshake)
{
	struct conn c;
	char *answer = NULL;
	json_t *list, *req;
	int status = 0;

	/* Connector certificates valid until 3 seconds after they are issued. */
	sim_teardown(&sim);
	sim_setup(&sim, NULL, "--connector-cert-lifetime 3");
	conn_init(&c, "ec-p256");
	sim_register_ok(&sim, &c);
	cr_assert_eq(sim_api_raw(&sim, c.client_cert, c.client_key, "GET",
	    "/certificates/signing", NULL, &status, &answer), NDES_HTTP_OK);
	cr_assert_eq(status, 200);
	free(answer);
	sleep(4);
	cr_assert_eq(sim_api_raw(&sim, c.client_cert, c.client_key, "GET",
	    "/certificates/signing", NULL, &status, &answer), NDES_HTTP_ERR_TLS);
	free(answer);
	/* It is shown as expired and its CRP certificate is no recipient. */
	list = sim_admin(&sim, "GET", "/admin/connectors", NULL, &status);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(list,
	    "value"), 0), "status")), "expired");
	json_decref(list);
	req = json_pack("{s:s, s:s}", "device", "dev-win-1", "profile", "workstation");
	list = sim_admin(&sim, "POST", "/admin/challenges", req, &status);
	cr_assert_eq(status, 409);
	json_decref(list);
	json_decref(req);
	conn_free(&c);
}
