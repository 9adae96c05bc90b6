/* ndes-cloud-sim: connector registration, mutual TLS, renewal and
 * unregistration over real HTTPS against the running program. */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/x509v3.h>

#include "lib/testpki.h"
#include "test_cloudsim_svc_util.h"

TestSuite(register, .init = sim_default_setup, .fini = sim_default_teardown);

/* cert chains to ca for the given purpose. */
static int
chains(X509 *cert, X509 *ca, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, cert, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

Test(register, good_token_gives_both_certificates_and_the_chains)
{
	struct conn c;
	json_t *answer = NULL, *signing;
	char *token = sim_token(&sim, 0);
	X509 *ca = sim_ca(&sim), *chain0, *sign0, *sign1;
	int status;

	conn_init(&c, "rsa-2048");
	cr_assert_eq(sim_register(&sim, token, &c, &answer), 201);
	cr_assert_str_eq(json_string_value(json_object_get(answer, "tenantId")),
	    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(strlen(c.id), 36);
	/* Both certificates are for our keys and chain to the cloud CA. */
	cr_assert_eq(EVP_PKEY_eq(X509_get0_pubkey(c.client_cert), c.client_key), 1);
	cr_assert_eq(EVP_PKEY_eq(X509_get0_pubkey(c.crp_cert), c.crp_key), 1);
	cr_assert_eq(chains(c.client_cert, ca, X509_PURPOSE_SSL_CLIENT), 1);
	cr_assert_eq(chains(c.crp_cert, ca, X509_PURPOSE_ANY), 1);
	cr_assert(X509_get_extended_key_usage(c.client_cert) & XKU_SSL_CLIENT);
	cr_assert_eq(X509_get_key_usage(c.crp_cert), KU_KEY_ENCIPHERMENT);
	cr_assert_eq(json_array_size(json_object_get(answer, "caChain")), 1);
	chain0 = cert_b64(json_string_value(json_array_get(json_object_get(answer, "caChain"), 0)));
	cr_assert_eq(X509_cmp(chain0, ca), 0);
	/* The signing certificate of the answer is the one the download gives. */
	sign0 = cert_b64(json_string_value(json_array_get(json_object_get(answer,
	    "signingCertificates"), 0)));
	signing = sim_api(&sim, &c, "GET", "/certificates/signing", NULL, &status);
	cr_assert_eq(status, 200);
	sign1 = cert_b64(json_string_value(json_array_get(json_object_get(signing, "value"), 0)));
	cr_assert_eq(X509_cmp(sign0, sign1), 0);
	X509_free(ca);
	X509_free(chain0);
	X509_free(sign0);
	X509_free(sign1);
	json_decref(signing);
	json_decref(answer);
	conn_free(&c);
	free(token);
}

Test(register, ec_crp_key_gets_key_agreement)
{
	struct conn c;

	conn_init(&c, "ec-p256");
	sim_register_ok(&sim, &c);
	cr_assert_eq(X509_get_key_usage(c.crp_cert), KU_KEY_AGREEMENT);
	conn_free(&c);
}

static void
expect_token_refused(const char *token, const char *code, const char *msg)
{
	struct conn c;
	json_t *answer = NULL;

	conn_init(&c, "ec-p256");
	cr_assert_eq(sim_register(&sim, token, &c, &answer), 401);
	cr_assert_str_eq(err_code(answer), code);
	cr_assert_str_eq(err_msg(answer), msg);
	json_decref(answer);
	conn_free(&c);
}

Test(register, used_token_is_refused)
{
	struct conn c;
	char *token = sim_token(&sim, 0);

	conn_init(&c, "ec-p256");
	cr_assert_eq(sim_register(&sim, token, &c, NULL), 201);
	expect_token_refused(token, "token_used", "the registration token was used already");
	conn_free(&c);
	free(token);
}

Test(register, expired_token_is_refused)
{
	char *token = sim_token(&sim, -1);

	expect_token_refused(token, "token_expired", "the registration token expired");
	free(token);
}

Test(register, forged_token_is_refused)
{
	char *token = sim_token(&sim, 0);

	/* Same length and alphabet, one character changed. */
	token[0] = token[0] == 'A' ? 'B' : 'A';
	expect_token_refused(token, "token_unknown", "the registration token is not known");
	expect_token_refused("forged", "token_unknown", "the registration token is not known");
	free(token);
}

Test(register, bad_bodies_get_400_naming_the_field)
{
	static const struct { const char *body, *code, *msg; } cases[] = {
		{ "{\"token\":", "invalid_json", NULL },
		{ "[1]", "invalid_json", "request body must be a JSON object" },
		{ "{}", "invalid_request", "field \"token\": required" },
		{ "{\"token\":5}", "invalid_request", "field \"token\": expected a string" },
		{ "{\"token\":\"t\",\"name\":\"n\",\"clientCsr\":\"!!\",\"crpCsr\":\"x\"}",
		    "invalid_request", "field \"clientCsr\": not base64" },
		{ "{\"token\":\"t\",\"name\":\"n\",\"clientCsr\":\"AAAA\",\"crpCsr\":\"x\"}",
		    "invalid_request",
		    "field \"clientCsr\": not a DER PKCS#10 certificate request" },
		{ "{\"token\":\"t\",\"name\":\"\",\"clientCsr\":\"AAAA\"}",
		    "invalid_request", "field \"name\": must not be empty" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0;
		json_t *answer = sim_api(&sim, NULL, "POST", "/connectors/register", cases[i].body,
		    &status);

		cr_assert_eq(status, 400, "case %zu", i);
		cr_assert_str_eq(err_code(answer), cases[i].code, "case %zu", i);
		if (cases[i].msg != NULL)
			cr_assert_str_eq(err_msg(answer), cases[i].msg, "case %zu", i);
		json_decref(answer);
	}
}

Test(register, at_most_100_active_connectors)
{
	struct conn c, extra, first = { 0 };
	char *token;
	json_t *answer = NULL;
	int status;

	conn_init(&c, "ec-p256");
	for (int i = 0; i < 100; i++) {
		sim_register_ok(&sim, &c);
		if (i == 0) {
			first.client_key = c.client_key;
			first.client_cert = X509_dup(c.client_cert);
		}
	}
	conn_init(&extra, "ec-p256");
	token = sim_token(&sim, 0);
	cr_assert_eq(sim_register(&sim, token, &extra, &answer), 409);
	cr_assert_str_eq(err_code(answer), "too_many_connectors");
	cr_assert_str_eq(err_msg(answer), "the tenant has 100 active connectors (at most 100)");
	json_decref(answer);
	/* One leaves: the same token (not used up by the refusal) now works. */
	json_decref(sim_api(&sim, &first, "POST", "/connectors/unregister", NULL, &status));
	cr_assert_eq(status, 204);
	cr_assert_eq(sim_register(&sim, token, &extra, NULL), 201);
	X509_free(first.client_cert);
	conn_free(&extra);
	conn_free(&c);
	free(token);
}
