/* `ndes-cloud-sim serve`: load the configuration and the state, listen,
 * run until SIGTERM or SIGINT (service.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <event2/thread.h>

#include "crypto.h"
#include "log.h"
#include "mint.h"
#include "notify_batch.h"
#include "pki.h"
#include "resources.h"
#include "service.h"
#include "storage.h"
#include "store.h"
#include "tls.h"

#define SERVE_ERR_MAX 1024

static void
serve_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(arg, NULL);
}

static int
serve_state(struct cloudsim_svc *svc, char *err, size_t errlen)
{
	const struct cloudsim_service *s = &svc->config->service;

	if (cloudsim_mkdirs(s->state_dir, 0700, err, errlen) != 0 ||
	    (svc->pki = cloudsim_pki_open(s, svc->config->tenant_id, err, errlen)) == NULL ||
	    (svc->store = cloudsim_store_open(s->state_dir, err, errlen)) == NULL)
		return -1;
	if (s->issuing_ca_cert != NULL &&
	    (svc->issuing_ca = ndes_crypto_load_cert(s->issuing_ca_cert, err, errlen)) == NULL)
		return -1;
	svc->tls = ndes_tls_server_ctx_mem(svc->pki->server_cert, svc->pki->server_chain,
	    svc->pki->server_key, svc->pki->client_cas, NDES_TLS_CLIENT_AUTH_OPTIONAL, err, errlen);
	return svc->tls ? 0 : -1;
}

/* The limits of both listeners, their connection caps fitted under the
 * descriptor limit (raised first; common/resources.h). */
static int
serve_limits(const struct cloudsim_service *s, struct ndes_http_limits *api,
    struct ndes_http_limits *admin, char *err, size_t errlen)
{
	int64_t api_cap = s->max_connections, admin_cap = s->max_connections;
	struct ndes_fd_claim claims[] = {
		{ "service.max_connections (connector API)", &api_cap },
		{ "service.max_connections (admin)", &admin_cap },
	};

	if (ndes_fd_budget_fit(ndes_nofile_raise(), NDES_FD_RESERVE, claims, 2) == -1) {
		snprintf(err, errlen, "the descriptor limit is too low");
		return -1;
	}
	*api = (struct ndes_http_limits){ .max_body_size = 4 * 1024 * 1024,
	    .max_connections = (size_t)api_cap, .header_timeout_ms =
	    (int)s->header_timeout_s * 1000, .body_timeout_ms = (int)s->body_timeout_s * 1000 };
	*admin = *api;
	admin->max_body_size = 0;
	admin->max_connections = (size_t)admin_cap;
	return 0;
}

static int
serve_listen(struct cloudsim_svc *svc, const struct cloudsim_overrides *ov, char *err,
    size_t errlen)
{
	const struct cloudsim_service *s = &svc->config->service;
	struct ndes_http_limits lim, admin_lim;
	int port = ov->listen_port >= 0 ? ov->listen_port : (int)s->listen_port;
	int aport = ov->admin_port >= 0 ? ov->admin_port : (int)s->admin_port;
	char admin_addr[64];

	if (!cloudsim_loopback_address(s->admin_address, admin_addr, sizeof(admin_addr))) {
		snprintf(err, errlen, "service.admin_address \"%s\" is not a loopback address: "
		    "the admin endpoint has no authentication", s->admin_address);
		return -1;
	}
	if (serve_limits(s, &lim, &admin_lim, err, errlen) == -1)
		return -1;
	if (evthread_use_pthreads() == -1 || (svc->base = event_base_new()) == NULL ||
	    (svc->mint = cloudsim_mint_new(svc, (int)sysconf(_SC_NPROCESSORS_ONLN))) == NULL ||
	    (svc->notify = cloudsim_notify_batch_new(svc)) == NULL) {
		snprintf(err, errlen, "cannot make the event loop and the minting threads");
		return -1;
	}
	svc->api = ndes_http_server_new(svc->base, s->listen_address, (uint16_t)port, svc->tls,
	    &lim, err, errlen);
	if (svc->api == NULL)
		return -1;
	svc->admin = ndes_http_server_new(svc->base, admin_addr, (uint16_t)aport, NULL,
	    &admin_lim, err, errlen);
	if (svc->admin == NULL)
		return -1;
	if (cloudsim_api_routes(svc) != 0 || cloudsim_admin_routes(svc) != 0) {
		snprintf(err, errlen, "cannot set up the routes");
		return -1;
	}
	return cloudsim_metrics_start(svc, err, errlen);
}

static char *
serve_ports_path(const struct cloudsim_svc *svc)
{
	char *path;

	return asprintf(&path, "%s/ports.json", svc->config->service.state_dir) == -1 ?
	    NULL : path;
}

static int
serve_ports_file(const struct cloudsim_svc *svc, char *err, size_t errlen)
{
	char *path = serve_ports_path(svc), text[128];
	int rc, n;

	n = snprintf(text, sizeof(text), "{\"listenPort\": %u, \"adminPort\": %u, \"pid\": %ld}\n",
	    (unsigned)ndes_http_server_port(svc->api), (unsigned)ndes_http_server_port(svc->admin),
	    (long)getpid());
	rc = path ? ndes_crypto_write_file(path, text, (size_t)n, 0644, err, errlen) : -1;
	free(path);
	return rc;
}

/* Once a second: keep cloud.db's WAL small (docs/storage.md). */
static void
serve_maintain(evutil_socket_t fd, short what, void *arg)
{
	cloudsim_store_maintain(arg);
}

static struct event *
serve_maintain_timer(struct cloudsim_svc *svc)
{
	struct timeval tv = { NDES_DB_MAINTAIN_MS / 1000, NDES_DB_MAINTAIN_MS % 1000 * 1000 };
	struct event *ev = event_new(svc->base, -1, EV_PERSIST, serve_maintain, svc->store);

	if (ev != NULL && event_add(ev, &tv) != 0) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

/* Signal handlers are in place before ports.json tells anyone we run. */
static int
serve_run(struct cloudsim_svc *svc)
{
	struct event *term = evsignal_new(svc->base, SIGTERM, serve_signal, svc->base);
	struct event *intr = evsignal_new(svc->base, SIGINT, serve_signal, svc->base);
	struct event *maint = serve_maintain_timer(svc);
	const struct cloudsim_service *s = &svc->config->service;
	char *ports = serve_ports_path(svc), err[SERVE_ERR_MAX] = "";
	int rc = 1;

	if (term == NULL || intr == NULL || maint == NULL || event_add(term, NULL) != 0 ||
	    event_add(intr, NULL) != 0 || serve_ports_file(svc, err, sizeof(err)) != 0) {
		log_warnx("%s", err[0] ? err : "cannot catch signals");
		goto out;
	}
	printf("ndes-cloud-sim: connectors on https://%s:%u, admin on http://%s:%u\n",
	    s->listen_address, (unsigned)ndes_http_server_port(svc->api), s->admin_address,
	    (unsigned)ndes_http_server_port(svc->admin));
	fflush(stdout);
	log_info("listening: connectors on %s port %u (TLS), admin on %s port %u",
	    s->listen_address, (unsigned)ndes_http_server_port(svc->api), s->admin_address,
	    (unsigned)ndes_http_server_port(svc->admin));
	sd_notify(0, "READY=1");
	event_base_dispatch(svc->base);
	sd_notify(0, "STOPPING=1");
	rc = 0;
out:
	if (ports != NULL)
		unlink(ports);
	free(ports);
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	if (maint != NULL)
		event_free(maint);
	return rc;
}

static void
serve_cleanup(struct cloudsim_svc *svc)
{
	cloudsim_mint_free(svc->mint);	/* its late replies before the servers go */
	cloudsim_notify_batch_free(svc->notify);
	cloudsim_metrics_stop(svc);
	ndes_http_server_free(svc->api);
	ndes_http_server_free(svc->admin);
	if (svc->base != NULL) {
		event_base_loop(svc->base, EVLOOP_NONBLOCK);
		event_base_free(svc->base);
	}
	SSL_CTX_free(svc->tls);
	X509_free(svc->issuing_ca);
	cloudsim_store_close(svc->store);
	cloudsim_pki_free(svc->pki);
	cloudsim_config_free(svc->config);
	log_flush_suppressed();
}

static int
serve_override(struct cloudsim_svc *svc, const struct cloudsim_overrides *ov)
{
	if (ov->cert_lifetime_s > 0)
		svc->config->service.connector_cert_lifetime_s = ov->cert_lifetime_s;
	return 0;
}

int
cloudsim_serve(const char *config_path, const struct cloudsim_overrides *ov)
{
	struct cloudsim_svc svc = { 0 };
	char err[SERVE_ERR_MAX];
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	svc.lease_s = ov->lease_s > 0 ? ov->lease_s : CLOUDSIM_DEFAULT_LEASE_S;
	if (cloudsim_config_load(config_path, &svc.config, err, sizeof(err)) != 0 ||
	    serve_override(&svc, ov) != 0 || serve_state(&svc, err, sizeof(err)) != 0 ||
	    serve_listen(&svc, ov, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto out;
	}
	rc = serve_run(&svc);
out:
	serve_cleanup(&svc);
	return rc;
}
