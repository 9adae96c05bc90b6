/* ndes-crpd's configuration schema.  In common/ (not crp/) because two
 * processes read that file: ndes-crpd, and `ndes-connector diagnose`, which
 * checks it by the same rules. */
#include "crpd_config.h"

#include "log.h"

static const struct ndes_config_field paths_fields[] = {
	NDES_CFG_PATH("crp_cert", struct crpd_paths_cfg, crp_cert,
	    NDES_CFG_DEFAULT("registration/crp.pem")),
	NDES_CFG_PATH("crp_key", struct crpd_paths_cfg, crp_key,
	    NDES_CFG_DEFAULT("registration/crp.key")),
	NDES_CFG_PATH("crp_previous_cert", struct crpd_paths_cfg, crp_previous_cert,
	    NDES_CFG_DEFAULT("registration/crp-previous.pem")),
	NDES_CFG_PATH("crp_previous_key", struct crpd_paths_cfg, crp_previous_key,
	    NDES_CFG_DEFAULT("registration/crp-previous.key")),
	NDES_CFG_PATH("signing_certs", struct crpd_paths_cfg, signing_certs,
	    NDES_CFG_DEFAULT("signing/signing-certs.pem")),
	NDES_CFG_PATH("issuing_ca_certs", struct crpd_paths_cfg, issuing_ca_certs,
	    NDES_CFG_DEFAULT("ca/issuing-ca.pem")),
	NDES_CFG_PATH("database", struct crpd_paths_cfg, database,
	    NDES_CFG_DEFAULT("crp/state.db")),
};
static const struct ndes_config_schema paths_schema =
    NDES_CFG_SCHEMA(struct crpd_paths_cfg, paths_fields);

static const struct ndes_config_field ipc_fields[] = {
	NDES_IPC_LISTEN_CFG_FIELDS("/run/ndes/crp.sock"),
};
static const struct ndes_config_schema ipc_schema =
    NDES_CFG_SCHEMA(struct ndes_ipc_listen_cfg, ipc_fields);

static const struct ndes_config_field connector_fields[] = {
	NDES_CFG_PATH("socket", struct crpd_connector_cfg, socket,
	    NDES_CFG_DEFAULT("/run/ndes/connector.sock")),
	NDES_CFG_DURATION("retry_interval", struct crpd_connector_cfg, retry_interval,
	    NDES_CFG_RANGE(1, 3600), NDES_CFG_DEFAULT("5s")),
	NDES_CFG_INT("max_in_flight", struct crpd_connector_cfg, max_in_flight,
	    NDES_CFG_RANGE(1, 1024), NDES_CFG_DEFAULT("32")),
};
static const struct ndes_config_schema connector_schema =
    NDES_CFG_SCHEMA(struct crpd_connector_cfg, connector_fields);

static const struct ndes_config_field tls_fields[] = {
	NDES_CFG_PATH("cert", struct crpd_tls_cfg, cert, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("key", struct crpd_tls_cfg, key, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("client_ca", struct crpd_tls_cfg, client_ca),
};
static const struct ndes_config_schema tls_schema =
    NDES_CFG_SCHEMA(struct crpd_tls_cfg, tls_fields);

static const struct ndes_config_field http_fields[] = {
	NDES_CFG_STRING("address", struct crpd_http_cfg, address,
	    NDES_CFG_DEFAULT("127.0.0.1")),
	NDES_CFG_INT("port", struct crpd_http_cfg, port, NDES_CFG_RANGE(0, 65535),
	    NDES_CFG_DEFAULT("8444")),
	NDES_CFG_MAP("tls", struct crpd_http_cfg, tls, tls_schema,
	    NDES_CFG_PRESENT(struct crpd_http_cfg, tls_present)),
	NDES_CFG_INT("max_connections", struct crpd_http_cfg, max_connections,
	    NDES_CFG_RANGE(1, 1000000), NDES_CFG_DEFAULT("1024")),
	NDES_CFG_DURATION("header_timeout", struct crpd_http_cfg, header_timeout,
	    NDES_CFG_RANGE(1, 3600), NDES_CFG_DEFAULT("10s")),
	NDES_CFG_DURATION("body_timeout", struct crpd_http_cfg, body_timeout,
	    NDES_CFG_RANGE(1, 3600), NDES_CFG_DEFAULT("30s")),
};
static const struct ndes_config_schema http_schema =
    NDES_CFG_SCHEMA(struct crpd_http_cfg, http_fields);

static const char *const sync_mode_names[] = { "interval", "commit", NULL };

static const struct ndes_config_field state_sync_fields[] = {
	NDES_CFG_ENUM("mode", struct crpd_state_sync_cfg, mode, sync_mode_names,
	    NDES_CFG_DEFAULT("interval")),
	NDES_CFG_INT("interval_ms", struct crpd_state_sync_cfg, interval_ms,
	    NDES_CFG_RANGE(1, 10000), NDES_CFG_DEFAULT("50")),
};
static const struct ndes_config_schema state_sync_schema =
    NDES_CFG_SCHEMA(struct crpd_state_sync_cfg, state_sync_fields);

static const char *const conformance_names[] = { "warn", "revoke", NULL };

static const char *
crpd_validate(const void *value, char *buf, size_t buflen)
{
	const struct crpd_cfg *cfg = value;

	if (cfg->state_dir[0] != '/')
		return "state_dir must be an absolute path";
	if (cfg->purge_after < cfg->challenge_grace)
		return "purge_after must not be shorter than challenge_grace";
	return NULL;
}

static const struct ndes_config_field crpd_fields[] = {
	NDES_CFG_STRING("tenant_id", struct crpd_cfg, tenant_id, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("state_dir", struct crpd_cfg, state_dir,
	    NDES_CFG_DEFAULT("/var/lib/ndes")),
	NDES_CFG_MAP("paths", struct crpd_cfg, paths, paths_schema),
	NDES_CFG_MAP("ipc", struct crpd_cfg, ipc, ipc_schema),
	NDES_CFG_MAP("connector", struct crpd_cfg, connector, connector_schema),
	NDES_CFG_MAP("http", struct crpd_cfg, http, http_schema,
	    NDES_CFG_PRESENT(struct crpd_cfg, http_present)),
	NDES_CFG_INT("workers", struct crpd_cfg, workers, NDES_CFG_RANGE(0, 256),
	    NDES_CFG_DEFAULT("0")),
	NDES_CFG_INT("max_queue", struct crpd_cfg, max_queue, NDES_CFG_RANGE(1, 1000000),
	    NDES_CFG_DEFAULT("4096")),
	NDES_CFG_STRING("ca_configuration", struct crpd_cfg, ca_configuration,
	    NDES_CFG_DEFAULT("")),
	NDES_CFG_STRING("certificate_authority", struct crpd_cfg, certificate_authority,
	    NDES_CFG_DEFAULT("")),
	NDES_CFG_DURATION("challenge_grace", struct crpd_cfg, challenge_grace,
	    NDES_CFG_RANGE(0, 3600), NDES_CFG_DEFAULT("0s")),
	NDES_CFG_DURATION("purge_interval", struct crpd_cfg, purge_interval,
	    NDES_CFG_RANGE(1, 86400), NDES_CFG_DEFAULT("10m")),
	NDES_CFG_DURATION("purge_after", struct crpd_cfg, purge_after,
	    NDES_CFG_RANGE(0, 365 * 86400), NDES_CFG_DEFAULT("24h")),
	NDES_CFG_MAP("state_sync", struct crpd_cfg, state_sync, state_sync_schema),
	NDES_CFG_ENUM("conformance", struct crpd_cfg, conformance, conformance_names,
	    NDES_CFG_DEFAULT("warn")),
	NDES_CFG_MAP("store", struct crpd_cfg, store, crpd_store_schema),
	NDES_CFG_MAP("events", struct crpd_cfg, events, ndes_events_cfg_schema),
	NDES_CFG_MAP("metrics", struct crpd_cfg, metrics, ndes_metrics_cfg_schema),
	NDES_CFG_ENUM_STRING("log_level", struct crpd_cfg, log_level, log_level_names,
	    NDES_CFG_DEFAULT("info")),
};
const struct ndes_config_schema crpd_config_schema =
    NDES_CFG_SCHEMA(struct crpd_cfg, crpd_fields, .validate = crpd_validate);

int
crpd_config_load(const char *path, struct crpd_cfg *cfg, char *err, size_t errlen)
{
	return ndes_config_load(path, &crpd_config_schema, cfg, err, errlen);
}

void
crpd_config_free(struct crpd_cfg *cfg)
{
	ndes_config_free(&crpd_config_schema, cfg);
}

char *
crpd_config_path(const struct crpd_cfg *cfg, const char *rel)
{
	return ndes_config_path(cfg->state_dir, rel);
}
