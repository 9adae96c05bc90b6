/* ndes-crpd configuration: the YAML schema (docs/crpd.md, etc/crpd.example.yaml)
 * and the derived paths.  Shared by ndes-crpd and `ndes-connector diagnose`;
 * the names keep crpd's prefix (crpd_cfg, crpd_config_*): they are its file's. */
#ifndef CRPD_CONFIG_H
#define CRPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config_loader.h"
#include "events_config.h"
#include "ipc_config.h"
#include "metrics_config.h"
#include "crpd_store_config.h"

#define CRPD_DEFAULT_CONFIG NDES_SYSCONFDIR "/ndes/crpd.yaml"

struct crpd_paths_cfg {
	char	*crp_cert;		/* registration/crp.pem */
	char	*crp_key;		/* registration/crp.key */
	char	*crp_previous_cert;	/* registration/crp-previous.pem */
	char	*crp_previous_key;	/* registration/crp-previous.key */
	char	*signing_certs;		/* signing/signing-certs.pem */
	char	*issuing_ca_certs;	/* ca/issuing-ca.pem: the SCEP server's CA chain */
	char	*database;		/* crp/state.db */
};

struct crpd_connector_cfg {
	char	*socket;
	int64_t	 retry_interval;	/* seconds */
	int64_t	 max_in_flight;
};

struct crpd_tls_cfg {
	char	*cert;
	char	*key;
	char	*client_ca;		/* optional: require client certificates */
};

struct crpd_http_cfg {
	char			*address;
	int64_t			 port;
	struct crpd_tls_cfg	 tls;
	bool			 tls_present;
	int64_t			 max_connections;
	int64_t			 header_timeout;	/* seconds */
	int64_t			 body_timeout;		/* seconds */
};

/* When a verification's one-time use record reaches the disk (docs/crpd.md). */
enum crpd_sync_mode {
	CRPD_SYNC_INTERVAL = 0,	/* fsynced by the sync thread within interval_ms */
	CRPD_SYNC_COMMIT = 1,	/* fsynced before the answer */
};

/* What an issued certificate that differs from its profile leads to
 * (docs/crpd.md, "Conformance"). */
enum crpd_conformance_mode {
	CRPD_CONFORMANCE_WARN = 0,	/* 20601 per difference, the cloud told */
	CRPD_CONFORMANCE_REVOKE = 1,	/* ... and the connector revokes it at once */
};

struct crpd_state_sync_cfg {
	int	mode;			/* enum crpd_sync_mode */
	int64_t	interval_ms;
};

struct crpd_cfg {
	char			*tenant_id;
	char			*state_dir;
	struct crpd_paths_cfg	 paths;
	struct ndes_ipc_listen_cfg ipc;
	struct crpd_connector_cfg connector;
	struct crpd_http_cfg	 http;
	bool			 http_present;
	int64_t			 workers;	/* 0: one per CPU */
	int64_t			 max_queue;
	char			*ca_configuration;
	char			*certificate_authority;
	int64_t			 challenge_grace;	/* seconds */
	int64_t			 purge_interval;	/* seconds */
	int64_t			 purge_after;		/* seconds after expiry */
	struct crpd_state_sync_cfg state_sync;
	int			 conformance;	/* enum crpd_conformance_mode */
	struct crpd_store_cfg	 store;		/* store_config.h */
	struct ndes_events_cfg	 events;
	struct ndes_metrics_cfg	 metrics;	/* docs/metrics.md */
	char			*log_level;
};

extern const struct ndes_config_schema crpd_config_schema;

/* Load and check; 0 or -1 with the one-line message in err. */
int	crpd_config_load(const char *path, struct crpd_cfg *cfg, char *err, size_t errlen);
void	crpd_config_free(struct crpd_cfg *cfg);
/* A path from the config: absolute as is, else state_dir "/" rel.  malloc'd. */
char	*crpd_config_path(const struct crpd_cfg *cfg, const char *rel);

#endif
