/* Configuration schema, the example file, the state folder checks and the
 * distinguished name parser. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "crypto.h"
#include "dn.h"
#include "state.h"
#include "test_connector_util.h"

TestSuite(conf, .init = tc_setup, .fini = workdir_leave);

static int
load(const char *yaml, struct conn_cfg *cfg, char *err, size_t errlen)
{
	return ndes_config_load_string("c.yaml", yaml, &conn_config_schema, cfg, err, errlen);
}

Test(conf, defaults)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_eq(conn_conf_load(NULL, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.state_dir, "/var/lib/ndes");
	cr_assert_str_eq(cfg.ipc.socket, "/run/ndes/connector.sock");
	cr_assert_eq(cfg.ipc.mode, 0660);
	cr_assert_eq(cfg.downloads.max_requests, 100);
	cr_assert_eq(cfg.outbox.backoff_initial, 2);
	cr_assert_eq(cfg.renewal.threshold_percent, 20);
	cr_assert_not(cfg.fips);
	cr_assert_not(cfg.ca_present);
	cr_assert_str_eq(cfg.cloud.api_version, "5019-05-05");
	conn_conf_free(&cfg);
}

/* EDITF_ATTRIBUTEENDDATE is off unless configured, as on a Windows CA. */
Test(conf, attribute_end_date_off_by_default)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_eq(load("ca: {name: ca01, folder: /tmp}\n", &cfg, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_not(cfg.ca.attribute_end_date);
	conn_conf_free(&cfg);
	cr_assert_eq(load("ca: {name: ca01, folder: /tmp, attribute_end_date: true}\n", &cfg,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.ca.attribute_end_date);
	conn_conf_free(&cfg);
}

Test(conf, example_file_loads)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX], path[1024];

	snprintf(path, sizeof(path), "%s/etc/connector.example.yaml",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : "..");
	cr_assert_eq(conn_conf_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.ca_present);
	cr_assert_eq(cfg.ca.n_templates, 3);
	cr_assert_eq(conn_conf_template_validity(&cfg, "ContosoSCEPGeneral"), 730 * 86400);
	cr_assert_eq(conn_conf_template_validity(&cfg, "User"), -1);
	cr_assert_str_eq(cfg.ca.name, "ca01.contoso.com\\Contoso Issuing CA");
	cr_assert_null(cfg.ca.issuer_name, "the default: ca.pem's subject");
	cr_assert_str_eq(cfg.ca.key_passphrase, "", "scepserver's CA key");
	conn_conf_free(&cfg);
}

Test(conf, refusals_name_the_key)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_eq(load("downloads:\n  max_requests: 501\n", &cfg, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "c.yaml:2:17: downloads.max_requests: expected an integer between "
	    "1 and 500, got \"501\"");
	cr_assert_eq(load("cloud:\n  url: http://x\n", &cfg, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "c.yaml:2:8: cloud.url: the cloud URL must start with https://");
	cr_assert_eq(load("ca:\n  folder: /x\n", &cfg, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "c.yaml:2:3: ca.name: missing required key");
	cr_assert_eq(load("state_dir: rel\n", &cfg, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "c.yaml:1:1: state_dir must be an absolute path");
}

Test(conf, passphrase_file_first_line)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX], yaml[512], *pass;

	cr_assert_eq(tc_sh("printf 'p4ss\\nignored\\n' > pass && chmod 600 pass"), 0);
	snprintf(yaml, sizeof(yaml), "ca:\n  name: c\n  folder: /x\n  key_passphrase_file: %s\n",
	    workdir_path("pass"));
	cr_assert_eq(load(yaml, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(conn_conf_ca_passphrase(&cfg, &pass, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pass, "p4ss");
	free(pass);
	conn_conf_free(&cfg);
}

/* The first line read strictly, and the messages never show the secret. */
Test(conf, passphrase_file_refused_not_cut)
{
	static const char *const cases[][2] = {
		{ "p4\\000ss\\n", "pass:1: a NUL byte" },
		{ "p\\3514ss\\n", "pass:1: not UTF-8" },
		{ "", "pass: empty file" },
	};
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX], yaml[512], want[600], *pass = NULL;

	snprintf(yaml, sizeof(yaml), "ca:\n  name: c\n  folder: /x\n  key_passphrase_file: %s\n",
	    workdir_path("pass"));
	cr_assert_eq(tc_sh("printf 'x\\n' > pass && chmod 600 pass"), 0);
	cr_assert_eq(load(yaml, &cfg, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(tc_sh("printf '%s' > pass", cases[i][0]), 0);
		cr_assert_eq(conn_conf_ca_passphrase(&cfg, &pass, err, sizeof(err)), -1, "%zu", i);
		snprintf(want, sizeof(want), "%s%s", workdir_path(""), cases[i][1]);
		cr_assert_str_eq(err, want);
	}
	cr_assert_eq(tc_sh("head -c 5000 /dev/zero | tr '\\0' a > pass"), 0);
	cr_assert_eq(conn_conf_ca_passphrase(&cfg, &pass, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%spass:1: longer than 4096 bytes", workdir_path(""));
	cr_assert_str_eq(err, want);
	cr_assert_eq(tc_sh("printf 'p4ss\\r\\n' > pass"), 0);
	cr_assert_eq(conn_conf_ca_passphrase(&cfg, &pass, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pass, "p4ss", "CRLF from a Windows editor");
	free(pass);
	conn_conf_free(&cfg);
}

Test(conf, state_folder_permissions)
{
	char err[512], want[600];
	struct conn_state st;

	cr_assert_eq(conn_state_check_dir(workdir_path("new"), true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tc_sh("test \"$(stat -c %%a new)\" = 750"), 0);
	cr_assert_eq(tc_sh("chmod 777 new"), 0);
	cr_assert_eq(conn_state_check_dir(workdir_path("new"), false, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: state folder is writable by group or others (mode 0777); "
	    "chmod go-w it", workdir_path("new"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(conn_state_check_dir(workdir_path("none"), false, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", workdir_path("none"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(tc_sh("chmod 700 new"), 0);
	cr_assert_eq(conn_state_init(&st, workdir_path("new")), 0);
	cr_assert_eq(conn_state_prepare(&st, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tc_sh("test -d new/registration && test -d new/signing && "
	    "test -d new/connector"), 0);
	snprintf(want, sizeof(want), "%s/registration/crp-previous.key", workdir_path("new"));
	cr_assert_str_eq(st.crp_prev_key, want);
	conn_state_clear(&st);
}

Test(conf, registration_json_round_trip)
{
	struct conn_registration a = { .connector_id = "c-1", .tenant_id = "t-1",
	    .cloud_url = "https://127.0.0.1:8443", .name = "node1",
	    .client_thumbprint = "AB12", .registered_at = 1800000000 }, b;
	char err[256];

	cr_assert_eq(conn_registration_load(workdir_path("reg.json"), &b, err, sizeof(err)), 1);
	cr_assert_eq(conn_registration_save(workdir_path("reg.json"), &a, err, sizeof(err)), 0);
	cr_assert_eq(conn_registration_load(workdir_path("reg.json"), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(b.connector_id, "c-1");
	cr_assert_str_eq(b.client_thumbprint, "AB12");
	cr_assert_eq(b.registered_at, 1800000000);
	conn_registration_clear(&b);
}

static void
dn_round_trip(const char *text)
{
	char err[256], *back;
	X509_NAME *name = conn_dn_parse(text, err, sizeof(err));

	cr_assert_not_null(name, "%s: %s", text, err);
	back = ndes_crypto_name_to_string(name);
	cr_assert_str_eq(back, text);
	free(back);
	X509_NAME_free(name);
}

Test(conf, dn_parse_round_trips)
{
	char err[256], *one;
	X509_NAME *name;

	dn_round_trip("CN=alice,OU=Sales,O=Contoso,C=US");
	dn_round_trip("CN=a\\,b\\+c,O=x");
	dn_round_trip("CN=ann+UID=42,O=Contoso");
	dn_round_trip("emailAddress=alice@contoso.com,CN=Ålice");
	dn_round_trip("");
	name = conn_dn_parse("CN=alice,OU=Sales,O=Contoso,C=US", err, sizeof(err));
	one = conn_dn_oneline(name);
	cr_assert_str_eq(one, "/C=US/O=Contoso/OU=Sales/CN=alice");
	free(one);
	X509_NAME_free(name);
	cr_assert_null(conn_dn_parse("XX=1", err, sizeof(err)));
	cr_assert_str_eq(err, "unknown attribute type \"XX\"");
	cr_assert_null(conn_dn_parse("CN", err, sizeof(err)));
	cr_assert_str_eq(err, "\"CN\" is not type=value");
	cr_assert_null(conn_dn_parse("C=USA", err, sizeof(err)));
}
