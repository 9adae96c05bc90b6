/* ndes-cloud-sim: challenges minted by the admin endpoint, opened with
 * OpenSSL's CMS API directly (not with ndes_challenge_open): every
 * registered CRP key decrypts them, the signing certificate verifies them,
 * and they carry the expected claims. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "model.h"
#include "lib/json_expect.h"
#include "lib/testpki.h"
#include "test_cloudsim_svc_util.h"

TestSuite(challenge, .init = sim_default_setup, .fini = sim_default_teardown);

/* base64 with OpenSSL's own decoder. */
static CMS_ContentInfo *
cms_from_b64(const char *b64)
{
	BIO *mem = BIO_new_mem_buf(b64, (int)strlen(b64));
	BIO *dec = BIO_new(BIO_f_base64());
	CMS_ContentInfo *cms;

	BIO_set_flags(dec, BIO_FLAGS_BASE64_NO_NL);
	BIO_push(dec, mem);
	cms = d2i_CMS_bio(dec, NULL);
	BIO_free_all(dec);
	return cms;
}

/* Decrypt with one CRP key, verify against signing, parse: NULL when it
 * does not decrypt or verify. */
static json_t *
open_with(const char *b64, X509 *crp_cert, EVP_PKEY *crp_key, X509 *signing)
{
	CMS_ContentInfo *env = cms_from_b64(b64), *sd = NULL;
	BIO *plain = BIO_new(BIO_s_mem()), *content = BIO_new(BIO_s_mem());
	STACK_OF(X509) *certs = sk_X509_new_null();
	json_t *claims = NULL;
	char *data;
	long len;

	cr_assert(env != NULL, "the challenge is not base64 DER CMS");
	sk_X509_push(certs, signing);
	if (CMS_decrypt(env, crp_key, crp_cert, NULL, plain, CMS_BINARY) == 1 &&
	    (sd = d2i_CMS_bio(plain, NULL)) != NULL &&
	    CMS_verify(sd, certs, NULL, NULL, content,
	    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1) {
		len = BIO_get_mem_data(content, &data);
		claims = json_loadb(data, (size_t)len, 0, NULL);
		cr_assert(claims != NULL, "the signed content is not JSON");
	}
	ERR_clear_error();
	sk_X509_free(certs);
	CMS_ContentInfo_free(sd);
	CMS_ContentInfo_free(env);
	BIO_free(plain);
	BIO_free(content);
	return claims;
}

static X509 *
signing_cert(const struct conn *c)
{
	int status = 0;
	json_t *answer = sim_api(&sim, c, "GET", "/certificates/signing", NULL, &status);
	X509 *cert;

	cr_assert_eq(status, 200);
	cert = cert_b64(json_string_value(json_array_get(json_object_get(answer, "value"), 0)));
	json_decref(answer);
	return cert;
}

static json_t *
mint(const char *device, const char *profile, const char *user, int *status)
{
	json_t *body = json_pack("{s:s, s:s}", "device", device, "profile", profile), *answer;

	if (user != NULL)
		json_object_set_new(body, "user", json_string(user));
	answer = sim_admin(&sim, "POST", "/admin/challenges", body, status);
	json_decref(body);
	return answer;
}

static void
check_claims(json_t *claims, json_t *answer)
{
	json_t *sans = json_object_get(claims, "sans");

	cr_assert_str_eq(json_string_value(json_object_get(claims, "id")),
	    json_string_value(json_object_get(answer, "challengeId")));
	json_expect_strings(claims,
	    "tenant", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
	    "deviceId", "dev-ios-1",
	    "userId", "alice@contoso.com",
	    "profile", "wifi-user",
	    "certType", "user",
	    "subject", "CN=alice@contoso.com,O=Contoso,C=US",
	    "keyType", "RSA",
	    "hash", "sha256", NULL);
	json_expect_strings(answer,
	    "subject", "CN=alice@contoso.com,O=Contoso,C=US",
	    "subjectOpenssl", "/C=US/O=Contoso/CN=alice@contoso.com", NULL);
	cr_assert_eq(json_array_size(sans), 2);
	json_expect_strings(json_array_get(sans, 0), "value", "alice.smith@contoso.com", NULL);
	json_expect_strings(json_array_get(sans, 1), "type", "upn", NULL);
	cr_assert_eq(json_integer_value(json_object_get(claims, "minKeyBits")), 2048);
	cr_assert_eq(json_integer_value(json_object_get(claims, "exp")) -
	    json_integer_value(json_object_get(claims, "iat")), 3600);
	cr_assert(llabs((long long)json_integer_value(json_object_get(claims, "iat")) -
	    (long long)time(NULL)) < 60);
}

Test(challenge, every_registered_crp_key_opens_it)
{
	struct conn a, b, stranger;
	json_t *answer, *claims_a, *claims_b;
	const char *text;
	X509 *signing;
	int status = 0;

	conn_init(&a, "rsa-2048");
	conn_init(&b, "ec-p256");
	conn_init(&stranger, "rsa-2048");
	sim_register_ok(&sim, &a);
	sim_register_ok(&sim, &b);
	signing = signing_cert(&a);
	answer = mint("dev-ios-1", "wifi-user", "alice@contoso.com", &status);
	cr_assert_eq(status, 201, "%s", err_msg(answer));
	cr_assert_eq(json_integer_value(json_object_get(answer, "recipients")), 2);
	text = json_string_value(json_object_get(answer, "challenge"));
	cr_assert(text != NULL && strlen(text) < 6000);
	claims_a = open_with(text, a.crp_cert, a.crp_key, signing);
	claims_b = open_with(text, b.crp_cert, b.crp_key, signing);
	cr_assert(claims_a != NULL, "the RSA CRP key does not open the challenge");
	cr_assert(claims_b != NULL, "the EC CRP key does not open the challenge");
	cr_assert(json_equal(claims_a, claims_b));
	check_claims(claims_a, answer);
	/* A key that was never registered cannot open it: the stranger's key
	 * with a's certificate, i.e. the wrong private key for a recipient. */
	cr_assert_null(open_with(text, a.crp_cert, stranger.crp_key, signing));
	json_decref(claims_a);
	json_decref(claims_b);
	json_decref(answer);
	X509_free(signing);
	conn_free(&a);
	conn_free(&b);
	conn_free(&stranger);
}

/* A mint's recipients: whether the CRP key opens the challenge minted now. */
static void
assert_opens(const char *what, const struct conn *c, X509 *signing, int recipients,
    bool opens)
{
	int status = 0;
	json_t *answer = mint("dev-ios-1", "wifi-user", "alice@contoso.com", &status), *claims;

	cr_assert_eq(status, 201, "%s: %s", what, err_msg(answer));
	cr_assert_eq(json_integer_value(json_object_get(answer, "recipients")), recipients,
	    "%s", what);
	claims = open_with(json_string_value(json_object_get(answer, "challenge")), c->crp_cert,
	    c->crp_key, signing);
	cr_assert_eq(claims != NULL, opens, "%s", what);
	json_decref(claims);
	json_decref(answer);
}

/* The recipients are parsed once and cached in the service: every
 * registration, CRP renewal and unregistration shows in the next mint. */
Test(challenge, recipients_follow_register_renew_unregister)
{
	struct conn a, b, a_old;
	char *csr, *client_csr, *body;
	json_t *answer;
	X509 *signing;
	int status = 0;

	conn_init(&a, "rsa-2048");
	conn_init(&b, "ec-p256");
	sim_register_ok(&sim, &a);
	signing = signing_cert(&a);
	assert_opens("a alone", &a, signing, 1, true);
	sim_register_ok(&sim, &b);
	assert_opens("b registered", &b, signing, 2, true);
	/* a renews its CRP certificate: the new key opens, the old does not */
	a_old = (struct conn){ .crp_key = a.crp_key, .crp_cert = X509_dup(a.crp_cert) };
	a.crp_key = testpki_key("ec-p256");
	csr = csr_b64(a.crp_key);
	client_csr = csr_b64(a.client_key);
	cr_assert(asprintf(&body, "{\"clientCsr\":\"%s\",\"crpCsr\":\"%s\"}", client_csr,
	    csr) > 0);
	answer = sim_api(&sim, &a, "POST", "/connectors/renew", body, &status);
	cr_assert_eq(status, 200, "%s", err_msg(answer));
	X509_free(a.client_cert);
	a.client_cert = cert_b64(json_string_value(json_object_get(answer,
	    "clientCertificate")));
	X509_free(a.crp_cert);
	a.crp_cert = cert_b64(json_string_value(json_object_get(answer, "crpCertificate")));
	json_decref(answer);
	assert_opens("a renewed: new key", &a, signing, 2, true);
	assert_opens("a renewed: old key", &a_old, signing, 2, false);
	/* b unregisters: one recipient left, b's key no longer opens */
	json_decref(sim_api(&sim, &b, "POST", "/connectors/unregister", NULL, &status));
	cr_assert_eq(status, 204);
	assert_opens("b unregistered", &b, signing, 1, false);
	assert_opens("b unregistered: a", &a, signing, 1, true);
	free(csr);
	free(client_csr);
	free(body);
	X509_free(signing);
	conn_free(&a);
	conn_free(&a_old);
	conn_free(&b);
}

/* Whether the challenge ID is among the recorded challenges. */
static bool
challenge_recorded(const char *id)
{
	int status = 0;
	json_t *rows = sim_admin(&sim, "GET", "/admin/challenges", NULL, &status), *row;
	size_t i;
	bool found = false;

	cr_assert_eq(status, 200);
	json_array_foreach(json_object_get(rows, "value"), i, row)
		found = found || strcmp(json_string_value(json_object_get(row, "challengeId")),
		    id) == 0;
	json_decref(rows);
	return found;
}

/* A mint is answered only once its record is committed: killed (-9) right
 * after each answer, the service finds the challenge after a restart. */
Test(challenge, answered_mint_survives_kill_9)
{
	struct conn a;
	json_t *answer;
	char id[64];
	int status = 0;

	conn_init(&a, "ec-p256");
	sim_register_ok(&sim, &a);
	for (int i = 0; i < 5; i++) {
		answer = mint("dev-ios-1", "wifi-user", "alice@contoso.com", &status);
		cr_assert_eq(status, 201, "%s", err_msg(answer));
		snprintf(id, sizeof(id), "%s",
		    json_string_value(json_object_get(answer, "challengeId")));
		json_decref(answer);
		cr_assert_eq(kill(sim.pid, SIGKILL), 0);
		cr_assert_eq(waitpid(sim.pid, &status, 0), sim.pid);
		sim_start(&sim);
		cr_assert(challenge_recorded(id), "challenge %s lost by kill -9 after its answer",
		    id);
	}
	conn_free(&a);
}

Test(challenge, signature_does_not_verify_against_another_certificate)
{
	struct conn a;
	json_t *answer;
	X509 *ca = sim_ca(&sim);
	int status = 0;

	conn_init(&a, "rsa-2048");
	sim_register_ok(&sim, &a);
	answer = mint("dev-win-1", "workstation", NULL, &status);
	cr_assert_eq(status, 201);
	cr_assert_null(open_with(json_string_value(json_object_get(answer, "challenge")),
	    a.crp_cert, a.crp_key, ca));
	json_decref(answer);
	X509_free(ca);
	conn_free(&a);
}

Test(challenge, expires_in_may_mint_an_expired_challenge)
{
	struct conn a;
	json_t *body, *answer, *claims;
	X509 *signing;
	int status = 0;

	conn_init(&a, "ec-p256");
	sim_register_ok(&sim, &a);
	signing = signing_cert(&a);
	body = json_pack("{s:s, s:s, s:i}", "device", "dev-win-1", "profile", "workstation",
	    "expiresIn", -120);
	answer = sim_admin(&sim, "POST", "/admin/challenges", body, &status);
	cr_assert_eq(status, 201);
	claims = open_with(json_string_value(json_object_get(answer, "challenge")), a.crp_cert,
	    a.crp_key, signing);
	cr_assert(claims != NULL);
	cr_assert_eq(json_integer_value(json_object_get(claims, "exp")) -
	    json_integer_value(json_object_get(claims, "iat")), -120);
	cr_assert_str_eq(json_string_value(json_object_get(claims, "certType")), "device");
	cr_assert(json_is_null(json_object_get(answer, "userId")));
	json_decref(claims);
	json_decref(answer);
	json_decref(body);
	X509_free(signing);
	conn_free(&a);
}

Test(challenge, no_connector_gets_409)
{
	int status = 0;
	json_t *answer = mint("dev-win-1", "workstation", NULL, &status);

	cr_assert_eq(status, 409);
	cr_assert_str_eq(err_code(answer), "no_connector");
	json_decref(answer);
}

/* The refusal carries the model's message verbatim. */
static void
expect_refusal(const char *device, const char *profile, const char *user)
{
	struct cloudsim_config *config = NULL;
	struct ndes_challenge_claims claims;
	char err[CLOUDSIM_ERR_MAX], path[512];
	X509 *ca;
	json_t *answer;
	int status = 0;

	cr_assert_eq(cloudsim_config_load(sim.config, &config, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/ca.pem", sim.dir);
	ca = ndes_crypto_load_cert(path, err, sizeof(err));
	cr_assert_eq(cloudsim_plan(config, device, profile, user, ca, time(NULL), &claims, err,
	    sizeof(err)), -1);
	answer = mint(device, profile, user, &status);
	cr_assert_eq(status, 422);
	cr_assert_str_eq(err_code(answer), "profile_refused");
	cr_assert_str_eq(err_msg(answer), err);
	json_decref(answer);
	X509_free(ca);
	cloudsim_config_free(config);
}

/* The plan is made on a minting worker since issue 18; its refusal still
 * comes before the missing connector, as when the loop planned. */
Test(challenge, a_refused_plan_wins_over_no_connector)
{
	expect_refusal("dev-ios-1", "no-such-profile", NULL);
}

Test(challenge, refusals_carry_the_model_message)
{
	struct conn a;

	conn_init(&a, "ec-p256");
	sim_register_ok(&sim, &a);
	expect_refusal("dev-win-1", "wifi-user", "alice@contoso.com");
	expect_refusal("dev-ios-1", "no-such-profile", NULL);
	expect_refusal("no-such-device", "workstation", NULL);
	conn_free(&a);
}

Test(challenge, bad_admin_bodies_get_400)
{
	json_t *body = json_pack("{s:s, s:i}", "device", "dev-win-1", "profile", 5), *answer;
	int status = 0;

	answer = sim_admin(&sim, "POST", "/admin/challenges", body, &status);
	cr_assert_eq(status, 400);
	cr_assert_str_eq(err_msg(answer), "field \"profile\": expected a string");
	json_decref(answer);
	json_decref(body);
}

/* ---- the profile payload a device gets with its challenge (issue 16) ---- */

static void
payload_setup(void)
{
	sim_setup(&sim, "    scep_server_urls: [http://localhost:8080/scep]\n"
	    "    assignments: [Users]\0"
	    "    scep_server_urls: [https://ndes1.contoso.com/certsrv/mscep/mscep.dll, "
	    "http://localhost:8080/scep]\n    renewal_threshold_percent: 35\n"
	    "    assignments: [Users]", NULL);
}

/* The trusted root in the answer is the configured certificate itself. */
static void
check_payload_root(json_t *answer)
{
	const char *pem = json_string_value(json_object_get(answer, "trustedRootCertificate"));
	char path[600], err[256];
	X509 *want, *got;

	cr_assert_not_null(pem);
	cr_assert(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0, "%s", pem);
	snprintf(path, sizeof(path), "%s/ca.pem", sim.dir);
	cr_assert_not_null(want = ndes_crypto_load_cert(path, err, sizeof(err)), "%s", err);
	cr_assert_not_null(got = ndes_crypto_cert_from_pem(pem, strlen(pem)));
	cr_assert_eq(X509_cmp(want, got), 0);
	cr_assert_str_eq(json_string_value(json_object_get(answer, "trustedRootProfile")),
	    "Root iOS");
	X509_free(want);
	X509_free(got);
}

Test(challenge_payload, renewal_urls_in_order_root_and_settings, .init = payload_setup,
    .fini = sim_default_teardown)
{
	json_t *answer, *urls, *ku, *sans;
	struct conn a;
	int status = 0;

	conn_init(&a, "ec-p256");
	sim_register_ok(&sim, &a);
	answer = mint("dev-ios-1", "wifi-user", "alice@contoso.com", &status);
	cr_assert_eq(status, 201);
	cr_assert_eq(json_integer_value(json_object_get(answer, "renewalThresholdPercent")), 35);
	urls = json_object_get(answer, "scepServerUrls");
	cr_assert_eq(json_array_size(urls), 2);
	cr_assert_str_eq(json_string_value(json_array_get(urls, 0)),
	    "https://ndes1.contoso.com/certsrv/mscep/mscep.dll");
	cr_assert_str_eq(json_string_value(json_array_get(urls, 1)), "http://localhost:8080/scep");
	check_payload_root(answer);
	cr_assert(json_is_null(json_object_get(answer, "keyStorageProvider")));
	/* every certificate setting a device needs */
	ku = json_object_get(answer, "keyUsage");
	cr_assert_eq(json_array_size(ku), 2);
	cr_assert_str_eq(json_string_value(json_array_get(ku, 1)), "keyEncipherment");
	sans = json_object_get(answer, "sans");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(sans, 1), "value")),
	    "alice@contoso.com");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(answer,
	    "extendedKeyUsages"), 0)), "1.3.6.1.5.5.7.3.2");
	cr_assert_str_eq(json_string_value(json_object_get(answer, "keyType")), "RSA");
	cr_assert_eq(json_integer_value(json_object_get(answer, "keySize")), 2048);
	cr_assert_str_eq(json_string_value(json_object_get(answer, "hash")), "sha256");
	cr_assert_eq(json_integer_value(json_object_get(answer, "validityDays")), 730);
	json_decref(answer);
	conn_free(&a);
}

/* The answer is put together from pieces on the worker (admin_mint_answer:
 * the payload dumped once, the base64 challenge as it is): byte for byte
 * the compact text jansson dumps for it, its fields in the documented
 * order, the recipe carrying the challenge of the answer. */
Test(challenge, answer_is_compact_json_in_the_documented_order)
{
	static const char *const keys[] = { "deviceId", "userId", "profile",
	    "certificateType", "subject", "subjectOpenssl", "scepclientArgs", "sans", "keyType",
	    "keySize", "keyUsage", "extendedKeyUsages", "hash", "validityDays", "templateName",
	    "challenge", "challengeId", "tenantId", "issuedAt", "expiresAt", "recipients",
	    "opensslCnf", "renewalThresholdPercent", "scepServerUrls", "trustedRootProfile",
	    "trustedRootCertificate", "keyStorageProvider" };
	json_t *body = json_pack("{s:s, s:s, s:s}", "device", "dev-ios-1", "profile", "wifi-user",
	    "user", "alice@contoso.com"), *answer, *value;
	char *text, *again, password[4096];
	const char *key;
	struct conn a;
	size_t i = 0;
	int status = 0;

	conn_init(&a, "rsa-2048");
	sim_register_ok(&sim, &a);
	text = sim_admin_text(&sim, "POST", "/admin/challenges", body, &status);
	cr_assert_eq(status, 201, "%s", text);
	cr_assert_not_null(answer = json_loads(text, 0, NULL), "%s", text);
	again = json_dumps(answer, JSON_COMPACT);
	cr_assert_str_eq(text, again);
	json_object_foreach(answer, key, value) {
		cr_assert_lt(i, sizeof(keys) / sizeof(keys[0]), "field %s is not documented", key);
		cr_assert_str_eq(key, keys[i], "field %zu", i);
		i++;
	}
	cr_assert_eq(i, sizeof(keys) / sizeof(keys[0]));
	snprintf(password, sizeof(password), "\nchallengePassword = %s\n",
	    json_string_value(json_object_get(answer, "challenge")));
	cr_assert_not_null(strstr(json_string_value(json_object_get(answer, "opensslCnf")),
	    password));
	json_decref(answer);
	json_decref(body);
	free(text);
	free(again);
	conn_free(&a);
}
