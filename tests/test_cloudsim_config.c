/* The configuration rules that do not depend on a device, each with its
 * exact message and position: cs_base() (50 lines) followed by one SCEP
 * profile written by prof_tail(), whose lines are:
 *   51 scep_profiles:
 *   52   - name: p
 *   53     platform:             (value at column 15)
 *   54     certificate_type:     (column 23)
 *   55     subject_name_format:  (column 26)
 *   56     custom_subject:       (column 21)
 *   57     key_usage:            (column 16)
 *   58     root_certificate:     (column 23)
 *   59     scep_server_urls:     (column 23)
 *   60     assignments:          (column 18)
 *   61...  extra lines */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_cloudsim_util.h"
#include "lib/testpki.h"

struct prof {
	const char *platform, *type, *format, *custom, *key_usage, *root, *urls, *assign;
	const char *extra;
};

static void
line(FILE *f, const char *key, const char *value)
{
	if (value != NULL && strcmp(value, "-") != 0)
		fprintf(f, "    %s: %s\n", key, value);
	else
		fprintf(f, "    # no %s\n", key);
}

static char *
prof_tail(struct prof p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fprintf(f, "scep_profiles:\n  - name: p\n");
	line(f, "platform", p.platform ? p.platform : "ios");
	line(f, "certificate_type", p.type ? p.type : "user");
	line(f, "subject_name_format", p.format ? p.format : "custom");
	line(f, "custom_subject", p.custom ? p.custom :
	    p.format == NULL ? "\"CN={{UserName}}\"" : NULL);
	line(f, "key_usage", p.key_usage ? p.key_usage : "[digitalSignature]");
	line(f, "root_certificate", p.root ? p.root : "root-ios");
	line(f, "scep_server_urls", p.urls ? p.urls : "[http://localhost:8080/scep]");
	line(f, "assignments", p.assign ? p.assign : "[users]");
	fputs(p.extra ? p.extra : "", f);
	fclose(f);
	return buf;
}


static struct cloudsim_config *
load_prof(struct prof p)
{
	char err[CLOUDSIM_ERR_MAX] = "", *tail = prof_tail(p), *yaml;
	struct cloudsim_config *c;

	cr_assert_neq(asprintf(&yaml, "%s%s", cs_base(), tail), -1);
	c = cs_load_yaml(yaml, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	free(yaml);
	free(tail);
	return c;
}

/* The base with `from` replaced by `to` (same number of lines), plus tail. */
static void
expect_base_error(const char *from, const char *to, const char *tail, const char *msg)
{
	const char *base = cs_base(), *at = strstr(base, from);
	char err[CLOUDSIM_ERR_MAX] = "", *yaml;

	cr_assert_not_null(at, "%s not in the base", from);
	cr_assert_neq(asprintf(&yaml, "%.*s%s%s%s", (int)(at - base), base, to,
	    at + strlen(from), tail), -1);
	cr_assert_null(cs_load_yaml(yaml, err, sizeof(err)), "loaded:\n%s", yaml);
	cr_expect_str_eq(err, msg);
	free(yaml);
}

/* The base with the profile p: refused with msg. */
static void
expect_profile_error(const char *msg, struct prof p)
{
	char *tail = prof_tail(p);

	cs_expect_error(tail, msg);
	free(tail);
}

/* The base with `from` replaced by `to`, then the profile p: refused with msg. */
static void
expect_base_profile_error(const char *from, const char *to, struct prof p, const char *msg)
{
	char *tail = prof_tail(p);

	expect_base_error(from, to, tail, msg);
	free(tail);
}

/* The refusals below are tables: one row, one test (one TAP result).
 *   PROFILE_REFUSED(suite, test, message, profile settings...)
 *   BASE_REFUSED(test, text of the base, replaced by, message)
 *   SERVICE_REFUSED(test, YAML after the base, message) */
#define PROFILE_REFUSED(suite, name, msg, ...) \
	Test(suite, name) { expect_profile_error((msg), (struct prof){ __VA_ARGS__ }); }
#define BASE_REFUSED(name, from, to, msg) \
	Test(inventory, name) { expect_base_error((from), (to), "", (msg)); }
#define SERVICE_REFUSED(name, yaml, msg) \
	Test(inventory, name) { cs_expect_error((yaml), (msg)); }

/* ---- a valid profile and what the load derives ---- */

Test(config, valid_profile_and_defaults)
{
	struct cloudsim_config *c = load_prof((struct prof){ 0 });
	const struct cloudsim_scep_profile *p = cloudsim_find_profile(c, "p");

	cr_assert_not_null(p);
	cr_expect_str_eq(p->template_name, "sig");
	cr_expect_eq(p->key_usage, KU_DIGITAL_SIGNATURE);
	cr_expect_eq(p->validity_days, 365);
	cr_expect_str_eq(p->key_type, "RSA");
	cr_expect_eq(p->key_size, 2048);
	cr_expect_str_eq(p->hash_algorithm, "sha256");
	cr_assert_eq(p->n_extended_key_usages, 1);
	cr_expect_str_eq(p->extended_key_usages[0], "1.3.6.1.5.5.7.3.2");
	cr_expect_eq(p->renewal_threshold_percent, 20);
	cr_expect_eq(c->service.listen_port, 8443);
	cr_expect_eq(c->service.challenge_lifetime_s, 3600);
	cr_expect_eq(c->service.connector_cert_lifetime_s, 365 * 86400);
	cr_expect_eq(c->service.max_connectors, 100);
	cr_expect(cloudsim_find_group(c, "devices")->is_device_group);
	cr_expect_not(cloudsim_find_group(c, "users")->is_device_group);
	cr_expect_not_null(cloudsim_find_trusted_profile(c, "root-ios")->certificate);
	cr_expect_str_eq(cloudsim_template_purpose_name(cloudsim_find_template(c,
	    "gp")->purpose), "GeneralPurposeTemplate");
	cloudsim_config_free(c);
}

Test(config, template_chosen_by_key_usage)
{
	struct cloudsim_config *c = load_prof((struct prof){
	    .key_usage = "[keyEncipherment, digitalSignature]" });

	cr_expect_str_eq(cloudsim_find_profile(c, "p")->template_name, "gp");
	cr_expect_eq(cloudsim_find_profile(c, "p")->validity_days, 730);
	cloudsim_config_free(c);
}

Test(config, key_usage_from_the_template)
{
	struct cloudsim_config *c = load_prof((struct prof){ .key_usage = "-",
	    .extra = "    template: enc\n" });

	cr_expect_eq(cloudsim_find_profile(c, "p")->key_usage, KU_KEY_ENCIPHERMENT);
	cloudsim_config_free(c);
}

Test(config, eku_names_and_oids)
{
	struct cloudsim_config *c = load_prof((struct prof){ .extra =
	    "    extended_key_usages: [serverAuth, smartcardLogon, 1.3.6.1.5.5.7.3.17]\n" });
	const struct cloudsim_scep_profile *p = cloudsim_find_profile(c, "p");

	cr_assert_eq(p->n_extended_key_usages, 3);
	cr_expect_str_eq(p->extended_key_usages[0], "1.3.6.1.5.5.7.3.1");
	cr_expect_str_eq(p->extended_key_usages[1], "1.3.6.1.4.1.311.20.2.2");
	cr_expect_str_eq(p->extended_key_usages[2], "1.3.6.1.5.5.7.3.17");
	cloudsim_config_free(c);
}

Test(config, no_eku)
{
	struct cloudsim_config *c = load_prof((struct prof){ .extra =
	    "    extended_key_usages: []\n" });

	cr_expect_eq(cloudsim_find_profile(c, "p")->n_extended_key_usages, 0);
	cloudsim_config_free(c);
}

/* ---- item 2: subject text ---- */

PROFILE_REFUSED(subject, braces_that_do_not_enclose_a_variable,
    "t.yaml:56:21: scep_profiles[0].custom_subject: braces in static text "
    "must enclose a variable: \"{DeviceName}\"", .custom = "\"CN={DeviceName}\"")
PROFILE_REFUSED(subject, extra_brace_after_a_variable,
    "t.yaml:56:21: scep_profiles[0].custom_subject: braces in static text "
    "must enclose a variable: \"{{UserName}}}\"", .custom = "\"CN={{UserName}}}\"")
PROFILE_REFUSED(subject, unknown_variable,
    "t.yaml:56:21: scep_profiles[0].custom_subject: unknown variable "
    "{{UserNme}}", .custom = "\"CN={{UserNme}}\"")
PROFILE_REFUSED(subject, variables_are_case_sensitive,
    "t.yaml:56:21: scep_profiles[0].custom_subject: unknown variable {{imei}}",
    .custom = "\"CN={{imei}}\"")
PROFILE_REFUSED(subject, user_variable_in_a_device_certificate,
    "t.yaml:56:21: scep_profiles[0].custom_subject: {{UserName}} is available "
    "only in user certificates", .type = "device")
PROFILE_REFUSED(subject, variables_only_in_cn_and_e,
    "t.yaml:56:21: scep_profiles[0].custom_subject: variables are supported "
    "only in CN and E, not in OU", .custom = "\"CN=x,OU={{UserName}}\"")
PROFILE_REFUSED(subject, country_code,
    "t.yaml:56:21: scep_profiles[0].custom_subject: C must be a two-letter "
    "country code, got \"USA\"", .custom = "\"CN={{UserName}},C=USA\"")
PROFILE_REFUSED(subject, unknown_attribute,
    "t.yaml:56:21: scep_profiles[0].custom_subject: unknown attribute \"T\" "
    "(expected CN, E, OU, O, L, ST, C or DC)", .custom = "\"CN=x,T=y\"")
PROFILE_REFUSED(subject, empty_value,
    "t.yaml:56:21: scep_profiles[0].custom_subject: empty value for O",
    .custom = "\"CN={{UserName}},O=\"")
PROFILE_REFUSED(subject, custom_subject_missing,
    "t.yaml:52:5: scep_profiles[0].custom_subject: missing required key "
    "(subject_name_format is custom)", .custom = "-")
PROFILE_REFUSED(subject, custom_subject_without_custom_format,
    "t.yaml:56:21: scep_profiles[0].custom_subject: only used with "
    "subject_name_format: custom", .format = "common_name", .custom = "\"CN=x\"")
PROFILE_REFUSED(subject, user_format_in_a_device_certificate,
    "t.yaml:55:26: scep_profiles[0].subject_name_format: \"common_name\" is "
    "for user certificates (device certificates: not_configured, imei, "
    "serial_number or custom)", .type = "device", .format = "common_name")

/* ---- item 2: SAN text ---- */

#define SAN(v) "    subject_alternative_names:\n      - type: uri\n        value: " v "\n"

PROFILE_REFUSED(san, opening_brace,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: \"{\" "
    "is not allowed in the static text of a subject alternative name",
    .extra = SAN("\"urn:{x\""))
PROFILE_REFUSED(san, closing_brace,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: \"}\" "
    "is not allowed in the static text of a subject alternative name",
    .extra = SAN("\"urn:{{UserName}}}\""))
PROFILE_REFUSED(san, pipe,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: \"|\" "
    "is not allowed in the static text of a subject alternative name",
    .extra = SAN("\"urn:a|b\""))
PROFILE_REFUSED(san, semicolon,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: \";\" "
    "is not allowed in the static text of a subject alternative name",
    .extra = SAN("\"urn:a;b\""))
PROFILE_REFUSED(san, unknown_variable,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: "
    "unknown variable {{DeviceID}}", .extra = SAN("\"{{DeviceID}}.contoso.com\""))
PROFILE_REFUSED(san, user_variable_in_a_device_certificate,
    "t.yaml:63:16: scep_profiles[0].subject_alternative_names[0].value: "
    "{{EmailAddress}} is available only in user certificates", .type = "device",
    .custom = "\"CN={{DeviceName}}\"", .extra = SAN("\"mailto:{{EmailAddress}}\""))
PROFILE_REFUSED(san, dns_in_a_user_certificate,
    "t.yaml:62:15: scep_profiles[0].subject_alternative_names[0].type: \"dns\" "
    "is not available in user certificates (email, upn or uri)", .extra =
    "    subject_alternative_names:\n      - type: dns\n        value: x.contoso.com\n")
PROFILE_REFUSED(san, upn_in_a_device_certificate,
    "t.yaml:62:15: scep_profiles[0].subject_alternative_names[0].type: \"upn\" "
    "is not available in device certificates (dns or uri)", .type = "device",
    .custom = "\"CN={{DeviceName}}\"",
    .extra = "    subject_alternative_names:\n      - type: upn\n")
PROFILE_REFUSED(san, dns_needs_a_value,
    "t.yaml:62:9: scep_profiles[0].subject_alternative_names[0].value: missing "
    "required key (for type dns)", .type = "device",
    .custom = "\"CN={{DeviceName}}\"",
    .extra = "    subject_alternative_names:\n      - type: dns\n")

Test(san, email_and_upn_default_to_their_variables)
{
	struct cloudsim_config *c = load_prof((struct prof){ .extra =
	    "    subject_alternative_names:\n      - type: email\n      - type: upn\n" });
	const struct cloudsim_scep_profile *p = cloudsim_find_profile(c, "p");

	cr_assert_eq(p->n_sans, 2);
	cr_expect_str_eq(p->sans[0].value, "{{EmailAddress}}");
	cr_expect_str_eq(p->sans[1].value, "{{UserName}}");
	cloudsim_config_free(c);
}

/* ---- item 2: validity ---- */

PROFILE_REFUSED(validity, exceeds_the_template,
    "t.yaml:61:20: scep_profiles[0].validity_days: 400 days exceeds the "
    "validity of template \"sig\" (365 days)", .extra = "    validity_days: 400\n")

Test(validity, equal_to_the_template)
{
	struct cloudsim_config *c = load_prof((struct prof){ .platform = "windows_10",
	    .root = "root-w10", .extra = "    validity_days: 365\n" });

	cr_expect_eq(cloudsim_find_profile(c, "p")->validity_days, 365);
	cloudsim_config_free(c);
}

/* ---- the other settings of the reference ---- */

PROFILE_REFUSED(settings, device_certificate_on_android,
    "t.yaml:54:23: scep_profiles[0].certificate_type: device certificates are "
    "not available for Android (only for Android Enterprise, iOS, macOS, Windows "
    "8.1 and later and Windows 10 and later)", .platform = "android",
    .type = "device", .custom = "\"CN={{DeviceName}}\"", .root = "root-android")
PROFILE_REFUSED(settings, device_certificate_on_windows_phone,
    "t.yaml:54:23: scep_profiles[0].certificate_type: device certificates are "
    "not available for Windows Phone 8.1 (only for Android Enterprise, iOS, macOS, "
    "Windows 8.1 and later and Windows 10 and later)", .platform = "windows_phone_81",
    .type = "device", .custom = "\"CN={{DeviceName}}\"", .root = "root-wp81")
PROFILE_REFUSED(settings, key_usage_does_not_match_the_template,
    "t.yaml:57:16: scep_profiles[0].key_usage: digitalSignature does not match "
    "template \"enc\": its purpose encryption (EncryptionTemplate) means "
    "keyEncipherment", .extra = "    template: enc\n")
PROFILE_REFUSED(settings, unknown_template,
    "t.yaml:61:15: scep_profiles[0].template: unknown template \"nope\"",
    .extra = "    template: nope\n")
PROFILE_REFUSED(settings, key_usage_or_template_required,
    "t.yaml:52:5: scep_profiles[0].key_usage: missing required key (or name a "
    "template)", .key_usage = "-")

Test(settings, no_template_for_the_key_usage)
{
	expect_base_profile_error("purpose: encryption}", "purpose: signature}",
	    (struct prof){ .key_usage = "[keyEncipherment]" },
	    "t.yaml:57:16: scep_profiles[0].key_usage: no template has the purpose "
	    "encryption (EncryptionTemplate) that keyEncipherment needs");
}

Test(settings, several_templates_for_the_key_usage)
{
	expect_base_profile_error("purpose: encryption}", "purpose: signature}",
	    (struct prof){ 0 },
	    "t.yaml:57:16: scep_profiles[0].key_usage: several templates have the purpose "
	    "signature (SignatureTemplate) that digitalSignature needs: name one with "
	    "template");
}

PROFILE_REFUSED(settings, key_storage_provider_on_ios,
    "t.yaml:61:27: scep_profiles[0].key_storage_provider: only for Windows "
    "Phone 8.1, Windows 8.1 and later and Windows 10 and later profiles",
    .extra = "    key_storage_provider: software\n")
PROFILE_REFUSED(settings, passport_before_windows_10,
    "t.yaml:61:27: scep_profiles[0].key_storage_provider: \"passport_or_fail\" "
    "is only for Windows 10 and later profiles", .platform = "windows_81",
    .root = "root-w81", .extra = "    key_storage_provider: passport_or_fail\n")
PROFILE_REFUSED(settings, hash_algorithm_on_macos,
    "t.yaml:61:21: scep_profiles[0].hash_algorithm: only for Android, Android "
    "Enterprise, Windows Phone 8.1, Windows 8.1 and later and Windows 10 and later "
    "profiles", .platform = "macos", .root = "root-mac",
    .extra = "    hash_algorithm: sha256\n")
PROFILE_REFUSED(settings, rsa_key_size,
    "t.yaml:61:15: scep_profiles[0].key_size: RSA keys are 1024, 2048, 3072 or "
    "4096 bits, got 512", .extra = "    key_size: 512\n")
PROFILE_REFUSED(settings, ec_key_size,
    "t.yaml:62:15: scep_profiles[0].key_size: EC keys are 256, 384 or 521 bits, "
    "got 2048", .extra = "    key_type: EC\n    key_size: 2048\n")
PROFILE_REFUSED(settings, unknown_root_certificate,
    "t.yaml:58:23: scep_profiles[0].root_certificate: unknown trusted "
    "certificate profile \"nope\"", .root = "nope")
PROFILE_REFUSED(settings, root_certificate_of_another_platform,
    "t.yaml:58:23: scep_profiles[0].root_certificate: trusted certificate "
    "profile \"root-mac\" is for macOS, this profile is for iOS", .root = "root-mac")
PROFILE_REFUSED(settings, unknown_extended_key_usage,
    "t.yaml:61:39: scep_profiles[0].extended_key_usages[1]: unknown extended "
    "key usage \"fooAuth\" (a name such as clientAuth, or a dotted OID)",
    .extra = "    extended_key_usages: [clientAuth, fooAuth]\n")
PROFILE_REFUSED(settings, no_scep_server_url,
    "t.yaml:59:23: scep_profiles[0].scep_server_urls: at least one SCEP server "
    "URL is required", .urls = "[]")
PROFILE_REFUSED(settings, scep_server_url_not_http,
    "t.yaml:59:24: scep_profiles[0].scep_server_urls[0]: \"ftp://ndes\" is not "
    "an http:// or https:// URL", .urls = "[ftp://ndes]")
PROFILE_REFUSED(settings, renewal_threshold,
    "t.yaml:61:32: scep_profiles[0].renewal_threshold_percent: expected an "
    "integer between 1 and 99, got \"100\"",
    .extra = "    renewal_threshold_percent: 100\n")
PROFILE_REFUSED(settings, unknown_group,
    "t.yaml:60:26: scep_profiles[0].assignments[1]: unknown group \"nope\"",
    .assign = "[users, nope]")

Test(settings, duplicate_profile)
{
	char *tail = prof_tail((struct prof){ 0 }), *yaml, err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_neq(asprintf(&yaml, "%s%s%s", cs_base(), tail,
	    strstr(tail, "  - name: p")), -1);
	cr_assert_null(cs_load_yaml(yaml, err, sizeof(err)));
	cr_expect_str_eq(err, "t.yaml:61:11: scep_profiles[1].name: duplicate name \"p\" "
	    "(first in scep_profiles[0])");
	free(yaml);
	free(tail);
}

/* ---- the inventory: users, devices, groups, trusted profiles, service ---- */

BASE_REFUSED(upn_format, "  - upn: bob@contoso.com", "  - upn: bob",
    "t.yaml:9:10: users[1].upn: \"bob\" is not a user principal name (user@domain)")
BASE_REFUSED(duplicate_user, "  - upn: bob@contoso.com", "  - upn: alice@contoso.com",
    "t.yaml:9:10: users[1].upn: duplicate upn \"alice@contoso.com\" (first in "
    "users[0])")
BASE_REFUSED(unknown_owner, "    owner: alice@contoso.com", "    owner: eve@contoso.com",
    "t.yaml:14:12: devices[0].owner: unknown user \"eve@contoso.com\"")
BASE_REFUSED(domain_joined_only_on_windows, "    owner: alice@contoso.com",
    "    domain_joined: true",
    "t.yaml:14:20: devices[0].domain_joined: only Windows 8.1 and Windows 10 "
    "devices join a domain")
BASE_REFUSED(unknown_user_in_a_user_group, "[alice@contoso.com, bob@contoso.com]",
    "[alice@contoso.com, carol@contoso.com]",
    "t.yaml:23:34: groups[0].members[1]: unknown user \"carol@contoso.com\"")
BASE_REFUSED(unknown_device_in_a_device_group, "[d-ios, d-win]", "[d-ios, d-mac]",
    "t.yaml:26:22: groups[1].members[1]: unknown device \"d-mac\"")
BASE_REFUSED(a_device_id_is_not_a_user, "[alice@contoso.com, bob@contoso.com]",
    "[alice@contoso.com, d-ios]",
    "t.yaml:23:34: groups[0].members[1]: unknown user \"d-ios\"")

Test(inventory, trusted_certificate_missing)
{
	char msg[2048];

	snprintf(msg, sizeof(msg), "t.yaml:30:18: trusted_certificate_profiles[0]."
	    "certificate: %s: No such file or directory", cs_data("missing.pem"));
	expect_base_error("    certificate: root-ca.pem", "    certificate: missing.pem",
	    "", msg);
}

BASE_REFUSED(trusted_profile_unknown_group, "[users, devices]", "[users, nobody]",
    "t.yaml:31:26: trusted_certificate_profiles[0].assignments[1]: unknown "
    "group \"nobody\"")

SERVICE_REFUSED(tls_pair, "service:\n  tls_cert: server.pem\n",
    "t.yaml:52:13: service.tls_cert: tls_key is missing (give both or neither)")
SERVICE_REFUSED(signing_pair, "service:\n  signing_key: signing.key\n",
    "t.yaml:52:16: service.signing_key: signing_cert is missing (give both or "
    "neither)")
SERVICE_REFUSED(admin_address_on_loopback, "service:\n  admin_address: 0.0.0.0\n",
    "t.yaml:52:18: service.admin_address: \"0.0.0.0\" is not a loopback address "
    "(the admin endpoint has no authentication)")
SERVICE_REFUSED(schema_errors_from_the_loader, "scep_profile: []\n",
    "t.yaml:51:1: unknown key \"scep_profile\" "
    "(expected one of: tenant_id, service, templates, users, devices, groups, "
    "trusted_certificate_profiles, scep_profiles, metrics)")

Test(inventory, relative_paths_against_the_config_folder)
{
	char err[CLOUDSIM_ERR_MAX] = "", *yaml, dir[1100];
	struct cloudsim_config *c;

	cr_assert_neq(asprintf(&yaml, "%sservice:\n  state_dir: state\n  tls_cert: tls/s.pem\n"
	    "  tls_key: /etc/s.key\n", cs_base()), -1);
	cr_assert_not_null(c = cs_load_yaml(yaml, err, sizeof(err)), "%s", err);
	snprintf(dir, sizeof(dir), "%s", cs_data(""));
	dir[strlen(dir) - 1] = '\0';
	cr_expect_str_eq(c->service.state_dir, strcat(strcpy(err, dir), "/state"));
	cr_expect_str_eq(c->service.tls_cert, strcat(strcpy(err, dir), "/tls/s.pem"));
	cr_expect_str_eq(c->service.tls_key, "/etc/s.key");
	cr_expect_str_eq(c->trusted_profiles[0].certificate_path,
	    strcat(strcpy(err, dir), "/root-ca.pem"));
	cloudsim_config_free(c);
	free(yaml);
}

/* ---- files and --check-config ---- */

Test(file, position_of_a_rule_error_in_a_file)
{
	char err[CLOUDSIM_ERR_MAX] = "", msg[2048];
	struct cloudsim_config *c = NULL;

	cr_assert_eq(cloudsim_config_load(cs_data("bad-template.yaml"), &c, err,
	    sizeof(err)), -1);
	cr_assert_null(c);
	snprintf(msg, sizeof(msg), "%s:24:15: scep_profiles[0].template: unknown template "
	    "\"ContosoUser\"", cs_data("bad-template.yaml"));
	cr_expect_str_eq(err, msg);
}

Test(file, check_config_ok, .init = cr_redirect_stdout)
{
	char expected[2048];

	cr_assert_eq(cloudsim_config_check(cs_data("tenant.yaml"), false), 0);
	fflush(stdout);
	snprintf(expected, sizeof(expected), "%s: OK\n", cs_data("tenant.yaml"));
	cr_assert_stdout_eq_str(expected);
}

Test(file, check_config_error, .init = cr_redirect_stderr)
{
	char expected[2048];

	cr_assert_eq(cloudsim_config_check(cs_data("bad-template.yaml"), false), 1);
	fflush(stderr);
	snprintf(expected, sizeof(expected), "%s:24:15: scep_profiles[0].template: unknown "
	    "template \"ContosoUser\"\n", cs_data("bad-template.yaml"));
	cr_assert_stderr_eq_str(expected);
}

Test(file, check_config_missing_file, .init = cr_redirect_stderr)
{
	cr_assert_eq(cloudsim_config_check("/nonexistent/cloud-sim.yaml", false), 1);
	fflush(stderr);
	cr_assert_stderr_eq_str("/nonexistent/cloud-sim.yaml: cannot open: No such file "
	    "or directory\n");
}

Test(plan_bounds, subject_value_too_long_for_x509)
{
	struct cloudsim_config *c = load_prof((struct prof){ .custom =
	    "\"CN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{UserName}}\"" });

	cs_plan_refused(c, "d-ios", "p", "alice@contoso.com", "profile \"p\" is not "
	    "installed on device \"d-ios\": the value of CN is not valid (string too "
	    "long): \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxalice@contoso.com\"");
	cloudsim_config_free(c);
}

/* ---- the trusted root against the issuing CA (issue 16) ---- */

static char root_dir[256];

/* A CA certificate (basicConstraints CA:TRUE) for key, signed by issuer
 * (self-signed when NULL), written to root_dir/file. */
static X509 *
root_ca(const char *file, EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *c = testpki_cert(key, cn, issuer, ikey, 0, 3650);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
	    "critical,CA:TRUE");
	char path[512];
	FILE *f;

	cr_assert(c != NULL && ext != NULL && X509_add_ext(c, ext, -1) == 1);
	cr_assert(X509_sign(c, ikey != NULL ? ikey : key, EVP_sha256()) > 0);
	X509_EXTENSION_free(ext);
	snprintf(path, sizeof(path), "%s/%s", root_dir, file);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert_eq(PEM_write_X509(f, c), 1);
	fclose(f);
	return c;
}

/* A real root A, the issuing CA I under it, and an impostor B: self-signed,
 * with A's very name. */
static void
root_setup(void)
{
	EVP_PKEY *ka = testpki_key("ec-p256"), *ki = testpki_key("ec-p256");
	EVP_PKEY *kb = testpki_key("ec-p256");
	X509 *a, *i, *b;

	snprintf(root_dir, sizeof(root_dir), "/tmp/ndes-cloudsim-root-XXXXXX");
	cr_assert_not_null(mkdtemp(root_dir));
	a = root_ca("root.pem", ka, "Contoso Root CA", NULL, NULL);
	i = root_ca("issuing.pem", ki, "Contoso Issuing CA", a, ka);
	b = root_ca("impostor.pem", kb, "Contoso Root CA", NULL, NULL);
	X509_free(a);
	X509_free(i);
	X509_free(b);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(ki);
	EVP_PKEY_free(kb);
}

static void
root_teardown(void)
{
	const char *files[] = { "root.pem", "issuing.pem", "impostor.pem", "t.yaml" };
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root_dir, files[i]);
		unlink(path);
	}
	rmdir(root_dir);
}

TestSuite(root, .init = root_setup, .fini = root_teardown);

/* Load root_dir/t.yaml: the issuing CA file and the root profile's file. */
static int
root_load(const char *issuing, const char *root, char *err, size_t errlen)
{
	struct cloudsim_config *c = NULL;
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/t.yaml", root_dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fprintf(f, "tenant_id: 0c1d2e3f-aaaa-bbbb-cccc-000000000001\n"
	    "service:\n  state_dir: state\n  issuing_ca_cert: %s\n"
	    "templates:\n  - {name: sig, validity_days: 365, purpose: signature}\n"
	    "users:\n  - {upn: alice@contoso.com}\n"
	    "groups:\n  - {name: users, type: users, members: [alice@contoso.com]}\n"
	    "trusted_certificate_profiles:\n"
	    "  - {name: wifi, platform: ios, certificate: impostor.pem}\n"
	    "  - name: root\n    platform: ios\n    certificate: %s\n"
	    "    assignments: [users]\n"
	    "scep_profiles:\n  - name: p\n    platform: ios\n    certificate_type: user\n"
	    "    subject_name_format: common_name\n    key_usage: [digitalSignature]\n"
	    "    root_certificate: root\n    scep_server_urls: [http://localhost/scep]\n"
	    "    assignments: [users]\n", issuing, root);
	fclose(f);
	rc = cloudsim_config_load(path, &c, err, errlen);
	cloudsim_config_free(c);
	return rc;
}

static void
root_refused(const char *issuing, const char *root, const char *why)
{
	char err[CLOUDSIM_ERR_MAX] = "", msg[2048];

	cr_assert_eq(root_load(issuing, root, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s/t.yaml:15:18: trusted_certificate_profiles[1]."
	    "certificate: the certificate of trusted certificate profile \"root\" (%s) is not "
	    "the root of the issuing CA's chain (service.issuing_ca_cert: CN=Contoso Issuing "
	    "CA): %s; SCEP profile \"p\" names it as its root certificate", root_dir,
	    strcmp(root, "issuing.pem") == 0 ? "CN=Contoso Issuing CA" : "CN=Contoso Root CA",
	    why);
	cr_expect_str_eq(err, msg);
}

Test(root, the_root_of_the_issuing_chain_loads)
{
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_expect_eq(root_load("issuing.pem", "root.pem", err, sizeof(err)), 0, "%s", err);
	/* a root that issues itself is its own chain */
	cr_expect_eq(root_load("root.pem", "root.pem", err, sizeof(err)), 0, "%s", err);
}

Test(root, an_unrelated_root_with_the_same_name_is_refused)
{
	root_refused("issuing.pem", "impostor.pem", "the issuing CA does not chain to it "
	    "(certificate signature failure)");
}

Test(root, the_issuing_ca_itself_is_no_root)
{
	root_refused("issuing.pem", "issuing.pem", "it is not a self-signed root certificate");
}

Test(root, the_issuing_ca_must_load)
{
	char err[CLOUDSIM_ERR_MAX] = "", msg[2048];

	cr_assert_eq(root_load("missing.pem", "root.pem", err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s/t.yaml:4:20: service.issuing_ca_cert: %s/missing.pem: "
	    "No such file or directory", root_dir, root_dir);
	cr_expect_str_eq(err, msg);
}
