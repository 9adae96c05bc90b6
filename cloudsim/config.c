/* The configuration schema of ndes-cloud-sim (docs/cloud-sim.md), its
 * loading (schema, then the rules of rules.c with positions found by
 * locate.c) and `--check-config`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "model_int.h"

/* ---- Value checks run by the loader, reported at the value ---- */

static const char *
check_nonempty(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	return s[0] == '\0' ? "must not be empty" : NULL;
}

static bool
is_address(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	    strpbrk(s, " \t,;<>\"") == NULL;
}

static const char *
check_upn(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	if (is_address(s))
		return NULL;
	snprintf(buf, len, "\"%s\" is not a user principal name (user@domain)", s);
	return buf;
}

static const char *
check_email(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	if (is_address(s))
		return NULL;
	snprintf(buf, len, "\"%s\" is not an email address", s);
	return buf;
}

static const char *
check_loopback(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	if (strncmp(s, "127.", 4) == 0 || strcmp(s, "::1") == 0 ||
	    strcmp(s, "localhost") == 0)
		return NULL;
	snprintf(buf, len, "\"%s\" is not a loopback address (the admin endpoint "
	    "has no authentication)", s);
	return buf;
}

static const char *
check_url(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	if ((strncmp(s, "https://", 8) == 0 && s[8] != '\0' && s[8] != '/') ||
	    (strncmp(s, "http://", 7) == 0 && s[7] != '\0' && s[7] != '/'))
		return NULL;
	snprintf(buf, len, "\"%s\" is not an http:// or https:// URL", s);
	return buf;
}

static const char *
check_subject(const void *value, char *buf, size_t len)
{
	struct cloudsim_subject_tmpl t;

	if (cloudsim_subject_parse(*(char *const *)value, &t, buf, len) == -1)
		return buf;
	cloudsim_subject_tmpl_clear(&t);
	return NULL;
}

static const char *
check_san_value(const void *value, char *buf, size_t len)
{
	const char *s = *(char *const *)value;

	if (s[0] == '\0')
		return "must not be empty";
	return cloudsim_text_check(s, CLOUDSIM_TEXT_SAN, buf, len) == -1 ? buf : NULL;
}

/* ---- The schema ---- */

static const char *const purpose_names[] = {
	"signature", "encryption", "signature_and_encryption", NULL,
};
static const char *const group_kind_names[] = { "users", "devices", NULL };
static const char *const cert_type_names[] = { "user", "device", NULL };
static const char *const san_type_names[] = { "email", "upn", "dns", "uri", NULL };
static const char *const ksp_names[] = {
	"tpm_if_present_else_software", "tpm_or_fail", "passport_or_fail",
	"software", NULL,
};
static const char *const key_usage_names[] = {
	"digitalSignature", "keyEncipherment", NULL,
};
static const char *const key_type_names[] = { "RSA", "EC", NULL };
static const char *const hash_names[] = { "sha1", "sha256", "sha384", "sha512", NULL };

#define SVC struct cloudsim_service
static const struct ndes_config_field service_fields[] = {
	NDES_CFG_PATH("state_dir", SVC, state_dir, NDES_CFG_DEFAULT("/var/lib/ndes-cloud-sim")),
	NDES_CFG_STRING("listen_address", SVC, listen_address, NDES_CFG_DEFAULT("127.0.0.1"),
	    NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_INT("listen_port", SVC, listen_port, NDES_CFG_RANGE(1, 65535),
	    NDES_CFG_DEFAULT("8443")),
	NDES_CFG_STRING("admin_address", SVC, admin_address, NDES_CFG_DEFAULT("127.0.0.1"),
	    NDES_CFG_VALIDATE(check_loopback)),
	NDES_CFG_INT("admin_port", SVC, admin_port, NDES_CFG_RANGE(1, 65535),
	    NDES_CFG_DEFAULT("8444")),
	NDES_CFG_STRING("public_host", SVC, public_host, NDES_CFG_DEFAULT("localhost"),
	    NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_PATH("tls_cert", SVC, tls_cert),
	NDES_CFG_PATH("tls_key", SVC, tls_key),
	NDES_CFG_PATH("tls_ca", SVC, tls_ca),
	NDES_CFG_PATH("signing_cert", SVC, signing_cert),
	NDES_CFG_PATH("signing_key", SVC, signing_key),
	NDES_CFG_PATH("issuing_ca_cert", SVC, issuing_ca_cert),
	NDES_CFG_DURATION("challenge_lifetime", SVC, challenge_lifetime_s,
	    NDES_CFG_RANGE(60, 30 * 86400), NDES_CFG_DEFAULT("60m")),
	NDES_CFG_DURATION("registration_token_lifetime", SVC,
	    registration_token_lifetime_s, NDES_CFG_RANGE(60, 30 * 86400),
	    NDES_CFG_DEFAULT("60m")),
	NDES_CFG_DURATION("connector_cert_lifetime", SVC, connector_cert_lifetime_s,
	    NDES_CFG_RANGE(3600, 3650 * 86400LL), NDES_CFG_DEFAULT("365d")),
	NDES_CFG_INT("max_connectors", SVC, max_connectors, NDES_CFG_RANGE(1, 100000),
	    NDES_CFG_DEFAULT("100")),
	NDES_CFG_STRING("api_version", SVC, api_version, NDES_CFG_DEFAULT("5019-05-05"),
	    NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_INT("max_connections", SVC, max_connections, NDES_CFG_RANGE(1, 1000000),
	    NDES_CFG_DEFAULT("1024")),
	NDES_CFG_DURATION("header_timeout", SVC, header_timeout_s, NDES_CFG_RANGE(1, 3600),
	    NDES_CFG_DEFAULT("10s")),
	NDES_CFG_DURATION("body_timeout", SVC, body_timeout_s, NDES_CFG_RANGE(1, 3600),
	    NDES_CFG_DEFAULT("30s")),
};
static const struct ndes_config_schema service_schema =
    NDES_CFG_SCHEMA(SVC, service_fields);

#define TPL struct cloudsim_template
static const struct ndes_config_field template_fields[] = {
	NDES_CFG_STRING("name", TPL, name, NDES_CFG_REQUIRED,
	    NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_INT("validity_days", TPL, validity_days, NDES_CFG_REQUIRED,
	    NDES_CFG_RANGE(1, 36500)),
	NDES_CFG_ENUM("purpose", TPL, purpose, purpose_names, NDES_CFG_REQUIRED),
};
static const struct ndes_config_schema template_schema =
    NDES_CFG_SCHEMA(TPL, template_fields);

#define USR struct cloudsim_user
static const struct ndes_config_field user_fields[] = {
	NDES_CFG_STRING("upn", USR, upn, NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_upn)),
	NDES_CFG_STRING("email", USR, email, NDES_CFG_VALIDATE(check_email)),
	NDES_CFG_STRING("display_name", USR, display_name),
	NDES_CFG_STRING("on_premises_sam_account_name", USR, on_premises_sam_account_name),
	NDES_CFG_STRING("on_premises_distinguished_name", USR,
	    on_premises_distinguished_name),
};
static const struct ndes_config_schema user_schema = NDES_CFG_SCHEMA(USR, user_fields);

#define DEV struct cloudsim_device
static const struct ndes_config_field device_fields[] = {
	NDES_CFG_STRING("id", DEV, id, NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_STRING("name", DEV, name),
	NDES_CFG_ENUM("platform", DEV, platform, cloudsim_platform_keys, NDES_CFG_REQUIRED),
	NDES_CFG_STRING("serial_number", DEV, serial_number),
	NDES_CFG_STRING("imei", DEV, imei),
	NDES_CFG_STRING("meid", DEV, meid),
	NDES_CFG_STRING("wifi_mac", DEV, wifi_mac),
	NDES_CFG_STRING("fqdn", DEV, fqdn),
	NDES_CFG_BOOL("domain_joined", DEV, domain_joined, NDES_CFG_DEFAULT("false")),
	NDES_CFG_STRING("owner", DEV, owner),
	NDES_CFG_BOOL("enrollment_complete", DEV, enrollment_complete,
	    NDES_CFG_DEFAULT("true")),
};
static const struct ndes_config_schema device_schema = NDES_CFG_SCHEMA(DEV, device_fields);

#define GRP struct cloudsim_group
static const struct ndes_config_field group_fields[] = {
	NDES_CFG_STRING("name", GRP, name, NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_ENUM("type", GRP, kind, group_kind_names, NDES_CFG_REQUIRED),
	NDES_CFG_STRING_LIST("members", GRP, members, n_members),
};
static const struct ndes_config_schema group_schema = NDES_CFG_SCHEMA(GRP, group_fields);

#define TRU struct cloudsim_trusted_profile
static const struct ndes_config_field trusted_fields[] = {
	NDES_CFG_STRING("name", TRU, name, NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_ENUM("platform", TRU, platform, cloudsim_platform_keys, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("certificate", TRU, certificate_path, NDES_CFG_REQUIRED),
	NDES_CFG_STRING_LIST("assignments", TRU, assignments, n_assignments),
};
static const struct ndes_config_schema trusted_schema = NDES_CFG_SCHEMA(TRU, trusted_fields);

#define SAN struct cloudsim_san_setting
static const struct ndes_config_field san_fields[] = {
	NDES_CFG_ENUM_STRING("type", SAN, type, san_type_names, NDES_CFG_REQUIRED),
	NDES_CFG_STRING("value", SAN, value, NDES_CFG_VALIDATE(check_san_value)),
};
static const struct ndes_config_schema san_schema = NDES_CFG_SCHEMA(SAN, san_fields);

#define PRO struct cloudsim_scep_profile
static const struct ndes_config_field profile_fields[] = {
	NDES_CFG_STRING("name", PRO, name, NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_ENUM("platform", PRO, platform, cloudsim_platform_keys, NDES_CFG_REQUIRED),
	NDES_CFG_ENUM("certificate_type", PRO, certificate_type, cert_type_names,
	    NDES_CFG_REQUIRED),
	NDES_CFG_ENUM("subject_name_format", PRO, subject_name_format,
	    cloudsim_subject_format_keys, NDES_CFG_REQUIRED),
	NDES_CFG_STRING("custom_subject", PRO, custom_subject,
	    NDES_CFG_VALIDATE(check_subject)),
	NDES_CFG_MAP_LIST("subject_alternative_names", PRO, sans, n_sans, san_schema),
	NDES_CFG_INT("validity_days", PRO, validity_days, NDES_CFG_RANGE(1, 36500),
	    NDES_CFG_PRESENT(PRO, validity_given)),
	NDES_CFG_ENUM_STRING("key_storage_provider", PRO, key_storage_provider, ksp_names),
	NDES_CFG_ENUM_STRING_LIST("key_usage", PRO, key_usage_names, n_key_usage_names,
	    key_usage_names),
	NDES_CFG_ENUM_STRING("key_type", PRO, key_type, key_type_names,
	    NDES_CFG_DEFAULT("RSA")),
	NDES_CFG_INT("key_size", PRO, key_size, NDES_CFG_RANGE(1, 16384)),
	NDES_CFG_ENUM_STRING("hash_algorithm", PRO, hash_algorithm, hash_names),
	NDES_CFG_STRING("root_certificate", PRO, root_certificate, NDES_CFG_REQUIRED),
	NDES_CFG_STRING_LIST("extended_key_usages", PRO, extended_key_usages,
	    n_extended_key_usages, NDES_CFG_PRESENT(PRO, extended_key_usages_given)),
	NDES_CFG_INT("renewal_threshold_percent", PRO, renewal_threshold_percent,
	    NDES_CFG_RANGE(1, 99), NDES_CFG_DEFAULT("20")),
	NDES_CFG_STRING_LIST("scep_server_urls", PRO, scep_server_urls, n_scep_server_urls,
	    NDES_CFG_REQUIRED, NDES_CFG_VALIDATE(check_url)),
	NDES_CFG_STRING("template", PRO, template_name),
	NDES_CFG_STRING_LIST("assignments", PRO, assignments, n_assignments),
};
static const struct ndes_config_schema profile_schema = NDES_CFG_SCHEMA(PRO, profile_fields);

#define CFG struct cloudsim_config
static const struct ndes_config_field config_fields[] = {
	NDES_CFG_STRING("tenant_id", CFG, tenant_id, NDES_CFG_REQUIRED,
	    NDES_CFG_VALIDATE(check_nonempty)),
	NDES_CFG_MAP("service", CFG, service, service_schema),
	NDES_CFG_MAP_LIST("templates", CFG, templates, n_templates, template_schema),
	NDES_CFG_MAP_LIST("users", CFG, users, n_users, user_schema),
	NDES_CFG_MAP_LIST("devices", CFG, devices, n_devices, device_schema),
	NDES_CFG_MAP_LIST("groups", CFG, groups, n_groups, group_schema),
	NDES_CFG_MAP_LIST("trusted_certificate_profiles", CFG, trusted_profiles,
	    n_trusted_profiles, trusted_schema),
	NDES_CFG_MAP_LIST("scep_profiles", CFG, profiles, n_profiles, profile_schema),
	NDES_CFG_MAP("metrics", CFG, metrics, ndes_metrics_cfg_schema),
};
static const struct ndes_config_schema config_schema = NDES_CFG_SCHEMA(CFG, config_fields);

/* ---- Loading ---- */

void
cloudsim_config_free(struct cloudsim_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_trusted_profiles; i++) {
		X509_free(c->trusted_profiles[i].certificate);
		free(c->trusted_profiles[i].certificate_pem);
		free(c->trusted_profiles[i].sha256_hex);
	}
	sk_X509_pop_free(c->issuing_chain, X509_free);
	ndes_config_free(&config_schema, c);
	free(c);
}

/* The whole file for locating an error; NULL if it cannot be read again. */
static char *
read_text(const char *path, size_t *len)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t cap = 0, n;

	*len = 0;
	if ((fp = fopen(path, "re")) == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			if (cap >= 16 * 1024 * 1024 || (nb = realloc(buf, cap + 65536)) == NULL)
				break;
			buf = nb;
			cap += 65536;
		}
		if ((n = fread(buf + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	fclose(fp);
	return buf;
}

/* A relative path made absolute against the configuration's folder. */
static int
resolve_path(char **path, const char *base_dir)
{
	char *abs;

	if (*path == NULL || (*path)[0] == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", base_dir, *path) == -1)
		return -1;
	free(*path);
	*path = abs;
	return 0;
}

static int
resolve_paths(struct cloudsim_config *c, const char *base_dir, const char *name,
    char *err, size_t errlen)
{
	struct cloudsim_service *s = &c->service;
	char **paths[] = { &s->state_dir, &s->tls_cert, &s->tls_key, &s->tls_ca,
	    &s->signing_cert, &s->signing_key, &s->issuing_ca_cert };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (resolve_path(paths[i], base_dir) == -1)
			return cloudsim_errf(err, errlen, "%s: out of memory", name);
	for (size_t i = 0; i < c->n_trusted_profiles; i++)
		if (resolve_path(&c->trusted_profiles[i].certificate_path, base_dir) == -1)
			return cloudsim_errf(err, errlen, "%s: out of memory", name);
	return 0;
}

static int
config_finish(const char *name, const char *yaml, size_t yaml_len,
    struct cloudsim_config *c, char *err, size_t errlen)
{
	struct cloudsim_check chk = { .config = c };
	char *text = NULL;
	size_t len = yaml_len;

	if (cloudsim_rules_check(c, &chk) == 0)
		return 0;
	if (yaml == NULL)
		yaml = text = read_text(name, &len);
	if (yaml != NULL)
		cloudsim_locate(name, yaml, len, chk.path, chk.msg, err, errlen);
	else
		cloudsim_errf(err, errlen, "%s: %s: %s", name, chk.path, chk.msg);
	free(text);
	return -1;
}

static int
config_load(const char *name, const char *yaml, const char *base_dir,
    struct cloudsim_config **out, char *err, size_t errlen)
{
	struct cloudsim_config *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cloudsim_errf(err, errlen, "%s: out of memory", name);
	if (yaml != NULL)
		rc = ndes_config_load_string(name, yaml, &config_schema, c, err, errlen);
	else
		rc = ndes_config_load(name, &config_schema, c, err, errlen);
	if (rc == 0 && resolve_paths(c, base_dir, name, err, errlen) == -1)
		rc = -1;
	if (rc == 0)
		rc = config_finish(name, yaml, yaml ? strlen(yaml) : 0, c, err, errlen);
	if (rc == -1) {
		cloudsim_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int
cloudsim_config_load(const char *path, struct cloudsim_config **out, char *err,
    size_t errlen)
{
	char *dir, *slash;
	int rc;

	if ((dir = strdup(path)) == NULL)
		return cloudsim_errf(err, errlen, "%s: out of memory", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	rc = config_load(path, NULL, dir, out, err, errlen);
	free(dir);
	return rc;
}

int
cloudsim_config_load_string(const char *name, const char *yaml, const char *base_dir,
    struct cloudsim_config **out, char *err, size_t errlen)
{
	return config_load(name, yaml != NULL ? yaml : "", base_dir ? base_dir : ".",
	    out, err, errlen);
}

int
cloudsim_config_check(const char *path, bool keys)
{
	struct cloudsim_config *c;
	char err[CLOUDSIM_ERR_MAX];

	if (cloudsim_config_load(path, &c, err, sizeof(err)) == -1)
		return ndes_config_check_report(path, err, keys);
	cloudsim_config_free(c);
	return ndes_config_check_report(path, NULL, keys);
}
