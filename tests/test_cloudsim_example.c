/* etc/cloud-sim.example.yaml: the example the demo and the end-to-end
 * tests use loads (next to a depot/ca.pem, as micromdm's scepserver makes
 * it) and plans what its comments promise; etc/connector.example.yaml agrees
 * with it (templates, issuer name, the depot's key). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "crypto.h"
#include "lib/testpki.h"
#include "test_cloudsim_util.h"

#define IPHONE "0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30"
#define MACBOOK "5e9a1d27-3c84-4f0b-b2e6-7a1c9d4f8e12"
#define WORKSTATION "9f3b6c81-2d5e-4a79-8b04-c1e2f3a4b5d6"
#define PIXEL "2a4c6e80-1b3d-4f5a-8c7e-9d0f1a2b3c4d"

static char dir[512];
static struct cloudsim_config *cfg;
static X509 *ca;

static void
copy_example(const char *to)
{
	const char *top = getenv("top_srcdir");
	char from[1024], buf[4096];
	FILE *in, *out;
	size_t n;

	snprintf(from, sizeof(from), "%s/etc/cloud-sim.example.yaml", top && *top ? top : ".");
	cr_assert_not_null(in = fopen(from, "r"), "%s", from);
	cr_assert_not_null(out = fopen(to, "w"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[600], err[CLOUDSIM_ERR_MAX] = "";
	EVP_PKEY *key = testpki_key("ec-p256");

	snprintf(dir, sizeof(dir), "%s/ndes-cloudsim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/depot", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	ca = testpki_cert(key, "SCEP CA", NULL, NULL, 0, 3650);
	EVP_PKEY_free(key);
	snprintf(path, sizeof(path), "%s/depot/ca.pem", dir);
	cr_assert_eq(ndes_crypto_write_cert(path, ca, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/cloud-sim.yaml", dir);
	copy_example(path);
	cr_assert_eq(cloudsim_config_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	char cmd[600];

	cloudsim_config_free(cfg);
	X509_free(ca);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(example, .init = setup, .fini = teardown);

static void
plan_ok(const char *device, const char *profile, const char *user,
    struct ndes_challenge_claims *claims)
{
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(cloudsim_plan(cfg, device, profile, user, ca, time(NULL), claims, err,
	    sizeof(err)), 0, "%s", err);
}

static void
plan_refused(const char *device, const char *profile, const char *user, const char *msg)
{
	struct ndes_challenge_claims claims;
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(cloudsim_plan(cfg, device, profile, user, ca, time(NULL), &claims, err,
	    sizeof(err)), -1);
	cr_expect_str_eq(err, msg);
}

Test(example, tenant)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/depot/ca.pem", dir);
	cr_expect_str_eq(cfg->tenant_id, "6d2f4a8e-3b1c-4f7a-9e2d-5c8b0a1f3e47");
	cr_expect_str_eq(cfg->service.issuing_ca_cert, path);
	cr_expect_eq(cfg->n_templates, 3);
	cr_expect_eq(cfg->n_users, 3);
	cr_expect_eq(cfg->n_devices, 4);
	cr_expect_eq(cfg->n_trusted_profiles, 4);
	cr_expect_eq(cfg->n_profiles, 5);
}

Test(example, wifi_user_on_the_iphone)
{
	struct ndes_challenge_claims c;

	/* only what micromdm's scepserver issues (docs/policy.md) */
	plan_ok(IPHONE, "Contoso Wi-Fi User (iOS)", "alice@contoso.com", &c);
	cr_expect_str_eq(c.subject, "CN=alice@contoso.com,OU=Mobile,O=Contoso,L=Redmond,"
	    "ST=Washington,C=US");
	cr_assert_eq(c.n_sans, 1);
	cr_expect_str_eq(c.sans[0].type, "email");
	cr_expect_str_eq(c.sans[0].value, "alice.smith@contoso.com");
	cr_expect_str_eq(c.template_name, "ContosoSCEPSignature");
	cr_expect_eq(c.validity_days, 365);
	cr_expect_eq(c.key_usage, KU_DIGITAL_SIGNATURE);
	ndes_challenge_claims_clear(&c);
}

Test(example, vpn_user_on_the_mac)
{
	struct ndes_challenge_claims c;

	plan_ok(MACBOOK, "Contoso VPN User (macOS)", "bob@contoso.com", &c);
	cr_expect_str_eq(c.subject, "CN=bob@contoso.com,emailAddress=bob.jones@contoso.com");
	cr_assert_eq(c.n_sans, 1);
	cr_expect_str_eq(c.sans[0].type, "upn");
	cr_expect_str_eq(c.sans[0].value, "bob@contoso.com");
	cr_expect_str_eq(c.template_name, "ContosoSCEPSignature");
	ndes_challenge_claims_clear(&c);
}

Test(example, workstation)
{
	struct ndes_challenge_claims c;
	json_t *j;

	plan_ok(WORKSTATION, "Contoso Workstation (Windows 10)", NULL, &c);
	cr_expect_str_eq(c.subject, "CN=CONTOSO-WS042,OU=Workstations,O=Contoso,C=US");
	cr_assert_eq(c.n_sans, 2);
	cr_expect_str_eq(c.sans[0].value, WORKSTATION ".contoso.com");
	cr_expect_str_eq(c.sans[1].value, "ws042.corp.contoso.com");
	cr_expect_eq(c.validity_days, 365);
	j = cloudsim_subject_to_json(c.subject);
	cr_expect(json_is_array(json_object_get(j, "scepclient")));
	json_decref(j);
	ndes_challenge_claims_clear(&c);
}

Test(example, android_still_enrolling)
{
	plan_refused(PIXEL, "Contoso Device (Android Enterprise)", NULL, "profile \"Contoso "
	    "Device (Android Enterprise)\" does not reach device \"" PIXEL "\": the "
	    "device's enrollment is not complete");
}

Test(example, iphone_device_certificate)
{
	struct ndes_challenge_claims c;

	plan_ok(IPHONE, "Contoso Device (iOS)", NULL, &c);
	cr_expect_str_eq(c.subject, "CN=356938035643809,O=Contoso,C=US");
	ndes_challenge_claims_clear(&c);
}

Test(example, mac_is_not_an_iphone)
{
	plan_refused(MACBOOK, "Contoso Device (iOS)", NULL, "profile \"Contoso Device "
	    "(iOS)\" does not reach device \"" MACBOOK "\": the profile is for iOS, the "
	    "device runs macOS");
}

static void
load_connector_example(struct conn_cfg *cc)
{
	const char *top = getenv("top_srcdir");
	char path[1024], err[512] = "";

	snprintf(path, sizeof(path), "%s/etc/connector.example.yaml", top && *top ? top : ".");
	cr_assert_eq(conn_conf_load(path, cc, err, sizeof(err)), 0, "%s", err);
}

Test(example, the_connector_example_serves_every_template_a_profile_names)
{
	struct conn_cfg cc;

	load_connector_example(&cc);
	for (size_t i = 0; i < cfg->n_profiles; i++)
		cr_expect_geq(conn_conf_template_validity(&cc, cfg->profiles[i].template_name), 0,
		    "%s: template %s", cfg->profiles[i].name, cfg->profiles[i].template_name);
	for (size_t i = 0; i < cfg->n_templates; i++)
		cr_expect_eq(conn_conf_template_validity(&cc, cfg->templates[i].name),
		    cfg->templates[i].validity_days * 86400, "%s", cfg->templates[i].name);
	conn_conf_free(&cc);
}

/* The depot the connector example's comments make with scepserver: its key
 * opens with the example's passphrase, and its subject is the issuer name
 * the example shows (and the connector takes by default). */
Test(example, the_connector_example_fits_the_scepserver_depot)
{
	struct conn_cfg cc;
	char cmd[1200], path[600];
	FILE *f;
	X509 *depot_ca;
	char *subject;

	if (system("command -v scepserver >/dev/null") != 0)
		cr_skip_test("micromdm's scepserver is not installed");
	snprintf(cmd, sizeof(cmd), "cd '%s' && scepserver ca -init -depot scep -organization "
	    "Contoso -organizational_unit 'Contoso Issuing CA' >/dev/null 2>&1", dir);
	cr_assert_eq(system(cmd), 0);
	load_connector_example(&cc);
	cr_expect_null(cc.ca.issuer_name, "issuer_name is left to its default");
	cr_assert_not_null(cc.ca.key_passphrase);
	snprintf(cmd, sizeof(cmd), "\"${OPENSSL:-openssl}\" pkey -in '%s/scep/ca.key' -passin "
	    "'pass:%s' -noout 2>/dev/null", dir, cc.ca.key_passphrase);
	cr_expect_eq(system(cmd), 0, "the key opens with ca.key_passphrase");
	snprintf(path, sizeof(path), "%s/scep/ca.pem", dir);
	cr_assert_not_null(f = fopen(path, "r"));
	cr_assert_not_null(depot_ca = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	subject = ndes_crypto_name_to_string(X509_get_subject_name(depot_ca));
	snprintf(cmd, sizeof(cmd), "grep -qxF '  # issuer_name: \"%s\"' "
	    "\"${top_srcdir:-.}/etc/connector.example.yaml\"", subject);
	cr_expect_eq(system(cmd), 0, "the example shows issuer_name: \"%s\"", subject);
	free(subject);
	X509_free(depot_ca);
	conn_conf_free(&cc);
}
