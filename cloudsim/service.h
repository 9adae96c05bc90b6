/* ndes-cloud-sim service: the HTTPS API for connectors, the loopback admin
 * endpoint and the state they share (docs/cloud-api.md).
 *
 * One process, one event loop thread: every handler runs on it, so the
 * store handle and the PKI are used without locks.  Only the minting runs on
 * threads of its own (mint.h): workers that read the PKI's signing pair and
 * touch nothing else, and a committer that records the minted challenges
 * on a connection of its own.  Notifications are recorded in
 * groups on the loop (notify_batch.h). */
#ifndef NDES_CLOUDSIM_SERVICE_H
#define NDES_CLOUDSIM_SERVICE_H

#include <stdint.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "http.h"
#include "model.h"

struct ndes_metrics;
struct ndes_metric;
struct ndes_metrics_server;

struct cloudsim_mint;
struct cloudsim_notify_batch;
struct cloudsim_pki;
struct cloudsim_store;

/* Command-line overrides of the configuration (serve). */
struct cloudsim_overrides {
	int listen_port;             /* -1: from the configuration; 0: ephemeral */
	int admin_port;
	int64_t lease_s;             /* download lease; 0: CLOUDSIM_DEFAULT_LEASE_S */
	int64_t cert_lifetime_s;     /* connector certificates; 0: the configuration's */
};

#define CLOUDSIM_DEFAULT_LEASE_S 300
#define CLOUDSIM_MAX_DOWNLOAD 500

struct cloudsim_svc {
	struct cloudsim_config *config;
	struct cloudsim_pki *pki;
	struct cloudsim_store *store;
	X509 *issuing_ca;            /* service.issuing_ca_cert, may be NULL */
	int64_t lease_s;
	struct event_base *base;
	SSL_CTX *tls;
	struct ndes_http_server *api;
	struct ndes_http_server *admin;
	struct cloudsim_mint *mint;      /* sealing threads (mint.h) */
	struct cloudsim_notify_batch *notify;	/* notifications in groups (notify_batch.h) */
	struct ndes_metrics *metrics;            /* serve_metrics.c; NULL: no metrics.listen */
	struct ndes_metric *challenges;          /* ndes_cloudsim_challenges_total{result} */
	struct ndes_metrics_server *metrics_srv;
};

/* serve_metrics.c: the metrics listener (docs/metrics.md), 0 or -1 with
 * err; and its end. */
int cloudsim_metrics_start(struct cloudsim_svc *svc, char *err, size_t errlen);
void cloudsim_metrics_stop(struct cloudsim_svc *svc);

/* main.c: `serve`. */
int cloudsim_serve(const char *config_path, const struct cloudsim_overrides *ov);

/* api.c: the connector API (mutual TLS) on svc->api. */
int cloudsim_api_routes(struct cloudsim_svc *svc);
/* admin.c: the admin endpoint on svc->admin. */
int cloudsim_admin_routes(struct cloudsim_svc *svc);
/* Whether an address ("127.0.0.1", "::1", "localhost") is loopback; the
 * numeric address to bind is written to out. */
int cloudsim_loopback_address(const char *addr, char *out, size_t outlen);

/* Small shared helpers (api.c). */
/* ISO 8601 UTC, "2025-01-31T12:00:00Z". */
void cloudsim_time_iso(int64_t t, char *buf, size_t len);
/* json_t string or null. */
json_t *cloudsim_json_str(const char *s);

#endif
