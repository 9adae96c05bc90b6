/* ndes-connectord / ndes-connector configuration (YAML, docs/connector.md).
 *
 * Relative paths (registration files, outbox, CA folder) are taken relative
 * to state_dir; conn_conf_path() resolves them. */
#ifndef NDES_CONN_CONF_H
#define NDES_CONN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config_loader.h"
#include "events_config.h"
#include "metrics_config.h"
#include "ipc_config.h"

#define CONN_DEFAULT_CONFIG NDES_SYSCONFDIR "/ndes/connector.yaml"

struct conn_proxy_cfg {
	char		*host;
	int64_t		 port;
	char		*username;
	char		*password_file;	/* the password, first line */
};

struct conn_cloud_cfg {
	char			*url;		/* NULL: the one registered */
	char			*ca_cert;	/* NULL: registration/cloud-ca.pem */
	char			*api_version;
	int64_t			 timeout;	/* seconds per call */
	struct conn_proxy_cfg	 proxy;
	bool			 proxy_present;
};

struct conn_template_cfg {
	char	*name;
	int64_t	 validity;		/* seconds */
};

struct conn_ca_cfg {
	char			*name;		/* caConfiguration */
	char			*folder;
	char			*key_passphrase;
	char			*key_passphrase_file;
	char			*issuer_name;	/* for downloadRevocationRequests */
	int64_t			 crl_days;
	bool			 may_revoke;
	char			*client_auth_cert;
	bool			 attribute_end_date;	/* EDITF_ATTRIBUTEENDDATE */
	int64_t			 default_validity;	/* seconds */
	struct conn_template_cfg *templates;
	size_t			 n_templates;
};

struct conn_downloads_cfg {
	int64_t	interval;
	int64_t	max_requests;
};

struct conn_outbox_cfg {
	int64_t	max_items;
	int64_t	batch_size;
	int64_t	backoff_initial;
	int64_t	backoff_max;
};

struct conn_renewal_cfg {
	int64_t	threshold_percent;
	int64_t	check_interval;
};

struct conn_cfg {
	char				*state_dir;
	struct conn_cloud_cfg		 cloud;
	struct ndes_ipc_listen_cfg	 ipc;
	char				*crp_socket;
	struct conn_ca_cfg		 ca;
	bool				 ca_present;
	struct conn_downloads_cfg	 downloads;
	struct conn_outbox_cfg		 outbox;
	struct conn_renewal_cfg		 renewal;
	bool				 fips;
	struct ndes_events_cfg		 events;
	struct ndes_metrics_cfg		 metrics;	/* docs/metrics.md */
	char				*log_level;
	int64_t				 drain_timeout;	/* seconds, on SIGTERM */
};

extern const struct ndes_config_schema conn_config_schema;

/* Load path; path NULL: the built-in defaults only.  0 or -1 with err. */
int conn_conf_load(const char *path, struct conn_cfg *cfg, char *err, size_t errlen);
void conn_conf_free(struct conn_cfg *cfg);
/* rel made absolute against state_dir (an absolute rel is copied); malloc'd. */
char *conn_conf_path(const struct conn_cfg *cfg, const char *rel);
/* The CA key passphrase (from the config or the first line of the file);
 * *out NULL when none.  0 or -1 with err. */
int conn_conf_ca_passphrase(const struct conn_cfg *cfg, char **out, char *err, size_t errlen);
/* The proxy password (first line of password_file); *out NULL when none. */
int conn_conf_proxy_password(const struct conn_cfg *cfg, char **out, char *err, size_t errlen);
/* The template's validity in seconds, or the default when templates are not
 * configured; -1 when templates are configured and name is not one. */
int64_t conn_conf_template_validity(const struct conn_cfg *cfg, const char *name);

#endif
