/* ndes-connectord configuration schema and helpers. */
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "log.h"

static const char *
url_validate(const void *value, char *buf, size_t buflen)
{
	const char *url = *(char *const *)value;

	if (url != NULL && strncmp(url, "https://", 8) != 0)
		return "the cloud URL must start with https://";
	return NULL;
}

static const struct ndes_config_field proxy_fields[] = {
	NDES_CFG_STRING("host", struct conn_proxy_cfg, host, NDES_CFG_REQUIRED),
	NDES_CFG_INT("port", struct conn_proxy_cfg, port, NDES_CFG_RANGE(1, 65535),
	    NDES_CFG_DEFAULT("3128")),
	NDES_CFG_STRING("username", struct conn_proxy_cfg, username),
	NDES_CFG_PATH("password_file", struct conn_proxy_cfg, password_file),
};
static const struct ndes_config_schema proxy_schema =
    NDES_CFG_SCHEMA(struct conn_proxy_cfg, proxy_fields);

static const struct ndes_config_field cloud_fields[] = {
	NDES_CFG_STRING("url", struct conn_cloud_cfg, url, NDES_CFG_VALIDATE(url_validate)),
	NDES_CFG_PATH("ca_cert", struct conn_cloud_cfg, ca_cert),
	NDES_CFG_STRING("api_version", struct conn_cloud_cfg, api_version,
	    NDES_CFG_DEFAULT("5019-05-05")),
	NDES_CFG_DURATION("timeout", struct conn_cloud_cfg, timeout, NDES_CFG_RANGE(1, 3600),
	    NDES_CFG_DEFAULT("30s")),
	NDES_CFG_MAP("proxy", struct conn_cloud_cfg, proxy, proxy_schema,
	    NDES_CFG_PRESENT(struct conn_cloud_cfg, proxy_present)),
};
static const struct ndes_config_schema cloud_schema =
    NDES_CFG_SCHEMA(struct conn_cloud_cfg, cloud_fields);

static const struct ndes_config_field ipc_fields[] = {
	NDES_IPC_LISTEN_CFG_FIELDS("/run/ndes/connector.sock"),
};
static const struct ndes_config_schema ipc_schema =
    NDES_CFG_SCHEMA(struct ndes_ipc_listen_cfg, ipc_fields);

static const struct ndes_config_field template_fields[] = {
	NDES_CFG_STRING("name", struct conn_template_cfg, name, NDES_CFG_REQUIRED),
	NDES_CFG_DURATION("validity", struct conn_template_cfg, validity,
	    NDES_CFG_RANGE(3600, 100LL * 365 * 86400), NDES_CFG_REQUIRED),
};
static const struct ndes_config_schema template_schema =
    NDES_CFG_SCHEMA(struct conn_template_cfg, template_fields);

static const char *
ca_validate(const void *value, char *buf, size_t buflen)
{
	const struct conn_ca_cfg *ca = value;

	if (ca->key_passphrase != NULL && ca->key_passphrase_file != NULL)
		return "give key_passphrase or key_passphrase_file, not both";
	return NULL;
}

static const struct ndes_config_field ca_fields[] = {
	NDES_CFG_STRING("name", struct conn_ca_cfg, name, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("folder", struct conn_ca_cfg, folder, NDES_CFG_REQUIRED),
	NDES_CFG_STRING("key_passphrase", struct conn_ca_cfg, key_passphrase),
	NDES_CFG_PATH("key_passphrase_file", struct conn_ca_cfg, key_passphrase_file),
	NDES_CFG_STRING("issuer_name", struct conn_ca_cfg, issuer_name),
	NDES_CFG_INT("crl_days", struct conn_ca_cfg, crl_days, NDES_CFG_RANGE(1, 3650),
	    NDES_CFG_DEFAULT("7")),
	NDES_CFG_BOOL("may_revoke", struct conn_ca_cfg, may_revoke, NDES_CFG_DEFAULT("true")),
	NDES_CFG_PATH("client_auth_cert", struct conn_ca_cfg, client_auth_cert),
	NDES_CFG_BOOL("attribute_end_date", struct conn_ca_cfg, attribute_end_date,
	    NDES_CFG_DEFAULT("false")),
	NDES_CFG_DURATION("default_validity", struct conn_ca_cfg, default_validity,
	    NDES_CFG_RANGE(3600, 100LL * 365 * 86400), NDES_CFG_DEFAULT("365d")),
	NDES_CFG_MAP_LIST("templates", struct conn_ca_cfg, templates, n_templates,
	    template_schema),
};
static const struct ndes_config_schema ca_schema =
    NDES_CFG_SCHEMA(struct conn_ca_cfg, ca_fields, .validate = ca_validate);

static const struct ndes_config_field downloads_fields[] = {
	NDES_CFG_DURATION("interval", struct conn_downloads_cfg, interval,
	    NDES_CFG_RANGE(1, 86400), NDES_CFG_DEFAULT("60s")),
	NDES_CFG_INT("max_requests", struct conn_downloads_cfg, max_requests,
	    NDES_CFG_RANGE(1, 500), NDES_CFG_DEFAULT("100")),
};
static const struct ndes_config_schema downloads_schema =
    NDES_CFG_SCHEMA(struct conn_downloads_cfg, downloads_fields);

static const char *
outbox_validate(const void *value, char *buf, size_t buflen)
{
	const struct conn_outbox_cfg *o = value;

	if (o->backoff_max < o->backoff_initial)
		return "backoff_max must not be shorter than backoff_initial";
	return NULL;
}

static const struct ndes_config_field outbox_fields[] = {
	NDES_CFG_INT("max_items", struct conn_outbox_cfg, max_items,
	    NDES_CFG_RANGE(1, 100000000), NDES_CFG_DEFAULT("100000")),
	NDES_CFG_INT("batch_size", struct conn_outbox_cfg, batch_size,
	    NDES_CFG_RANGE(1, 500), NDES_CFG_DEFAULT("50")),
	NDES_CFG_DURATION("backoff_initial", struct conn_outbox_cfg, backoff_initial,
	    NDES_CFG_RANGE(1, 86400), NDES_CFG_DEFAULT("2s")),
	NDES_CFG_DURATION("backoff_max", struct conn_outbox_cfg, backoff_max,
	    NDES_CFG_RANGE(1, 86400), NDES_CFG_DEFAULT("5m")),
};
static const struct ndes_config_schema outbox_schema =
    NDES_CFG_SCHEMA(struct conn_outbox_cfg, outbox_fields, .validate = outbox_validate);

static const struct ndes_config_field renewal_fields[] = {
	NDES_CFG_INT("threshold_percent", struct conn_renewal_cfg, threshold_percent,
	    NDES_CFG_RANGE(1, 99), NDES_CFG_DEFAULT("20")),
	NDES_CFG_DURATION("check_interval", struct conn_renewal_cfg, check_interval,
	    NDES_CFG_RANGE(1, 86400), NDES_CFG_DEFAULT("1h")),
};
static const struct ndes_config_schema renewal_schema =
    NDES_CFG_SCHEMA(struct conn_renewal_cfg, renewal_fields);

static const char *
conn_validate(const void *value, char *buf, size_t buflen)
{
	const struct conn_cfg *cfg = value;

	if (cfg->state_dir[0] != '/')
		return "state_dir must be an absolute path";
	return NULL;
}

static const struct ndes_config_field conn_fields[] = {
	NDES_CFG_PATH("state_dir", struct conn_cfg, state_dir, NDES_CFG_DEFAULT("/var/lib/ndes")),
	NDES_CFG_MAP("cloud", struct conn_cfg, cloud, cloud_schema),
	NDES_CFG_MAP("ipc", struct conn_cfg, ipc, ipc_schema),
	NDES_CFG_PATH("crp_socket", struct conn_cfg, crp_socket,
	    NDES_CFG_DEFAULT("/run/ndes/crp.sock")),
	NDES_CFG_MAP("ca", struct conn_cfg, ca, ca_schema,
	    NDES_CFG_PRESENT(struct conn_cfg, ca_present)),
	NDES_CFG_MAP("downloads", struct conn_cfg, downloads, downloads_schema),
	NDES_CFG_MAP("outbox", struct conn_cfg, outbox, outbox_schema),
	NDES_CFG_MAP("renewal", struct conn_cfg, renewal, renewal_schema),
	NDES_CFG_BOOL("fips", struct conn_cfg, fips, NDES_CFG_DEFAULT("false")),
	NDES_CFG_MAP("events", struct conn_cfg, events, ndes_events_cfg_schema),
	NDES_CFG_MAP("metrics", struct conn_cfg, metrics, ndes_metrics_cfg_schema),
	NDES_CFG_ENUM_STRING("log_level", struct conn_cfg, log_level, log_level_names,
	    NDES_CFG_DEFAULT("info")),
	NDES_CFG_DURATION("drain_timeout", struct conn_cfg, drain_timeout,
	    NDES_CFG_RANGE(0, 600), NDES_CFG_DEFAULT("20s")),
};
const struct ndes_config_schema conn_config_schema =
    NDES_CFG_SCHEMA(struct conn_cfg, conn_fields, .validate = conn_validate);

int
conn_conf_load(const char *path, struct conn_cfg *cfg, char *err, size_t errlen)
{
	if (path == NULL)
		return ndes_config_load_string("(defaults)", "{}", &conn_config_schema, cfg,
		    err, errlen);
	return ndes_config_load(path, &conn_config_schema, cfg, err, errlen);
}

void
conn_conf_free(struct conn_cfg *cfg)
{
	ndes_config_free(&conn_config_schema, cfg);
}

char *
conn_conf_path(const struct conn_cfg *cfg, const char *rel)
{
	return ndes_config_path(cfg->state_dir, rel);
}

int
conn_conf_ca_passphrase(const struct conn_cfg *cfg, char **out, char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->ca.key_passphrase != NULL)
		return (*out = strdup(cfg->ca.key_passphrase)) == NULL ? -1 : 0;
	if (cfg->ca.key_passphrase_file != NULL)
		return ndes_secret_read(cfg->ca.key_passphrase_file, 0, out, err, errlen);
	return 0;
}

int
conn_conf_proxy_password(const struct conn_cfg *cfg, char **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->cloud.proxy_present || cfg->cloud.proxy.password_file == NULL)
		return 0;
	return ndes_secret_read(cfg->cloud.proxy.password_file, 0, out, err, errlen);
}

int64_t
conn_conf_template_validity(const struct conn_cfg *cfg, const char *name)
{
	if (cfg->ca.n_templates == 0)
		return cfg->ca.default_validity;
	for (size_t i = 0; i < cfg->ca.n_templates; i++)
		if (name != NULL && strcmp(cfg->ca.templates[i].name, name) == 0)
			return cfg->ca.templates[i].validity;
	return -1;
}
