/* Test helpers for the ndes-cloud-sim service: start the real program on
 * ephemeral ports in a fresh folder, talk to its admin endpoint (plain HTTP)
 * and its connector API (HTTPS, optionally with a client certificate), make
 * connector keys and CSRs, register connectors. */
#ifndef NDES_TEST_CLOUDSIM_SVC_UTIL_H
#define NDES_TEST_CLOUDSIM_SVC_UTIL_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "http_client.h"

struct sim {
	char dir[256];               /* the folder with service.yaml and ca.pem */
	char config[300];
	char state[300];
	pid_t pid;
	int api_port;
	int admin_port;
	char args[256];              /* extra serve arguments */
};

/* A registered (or to be registered) connector. */
struct conn {
	EVP_PKEY *client_key;
	EVP_PKEY *crp_key;
	X509 *client_cert;
	X509 *crp_cert;
	char id[64];
};

/* Fixture folder with the configuration (replace: NULL or "old\0new" text
 * substitution in service.yaml) and start the service (serve_args: extra
 * arguments, may be NULL). */
void sim_setup(struct sim *s, const char *replace, const char *serve_args);
void sim_start(struct sim *s);
/* SIGTERM, and expect a clean exit 0. */
void sim_stop(struct sim *s);
void sim_teardown(struct sim *s);

/* The service of the current test (each test runs in a process of its own). */
extern struct sim sim;
/* Suite fixtures for tests that need the default service only:
 * TestSuite(x, .init = sim_default_setup, .fini = sim_default_teardown). */
void sim_default_setup(void);
void sim_default_teardown(void);

/* Admin call; body may be NULL; returns the JSON answer (NULL if none). */
json_t *sim_admin(struct sim *s, const char *method, const char *path, json_t *body,
    int *status);
/* The same, the answer's text as it came (NULL if none). */
char *sim_admin_text(struct sim *s, const char *method, const char *path, json_t *body,
    int *status);
/* Connector API call with conn's client certificate (conn NULL: none). */
json_t *sim_api(struct sim *s, const struct conn *conn, const char *method, const char *path,
    const char *body, int *status);
/* The same returning the transport error kind (for refused handshakes). */
enum ndes_http_err sim_api_raw(struct sim *s, X509 *cert, EVP_PKEY *key, const char *method,
    const char *path, const char *body, int *status, char **answer);

/* A fresh registration token. */
char *sim_token(struct sim *s, long long lifetime);
/* Keys: client "ec-p256", CRP crp_alg ("rsa-2048" or "ec-p256"). */
void conn_init(struct conn *c, const char *crp_alg);
void conn_free(struct conn *c);
/* base64 DER CSR of key (malloc'd). */
char *csr_b64(EVP_PKEY *key);
/* POST /connectors/register; on 201 the certificates land in c.  Returns
 * the status; *answer (may be NULL) gets the JSON. */
int sim_register(struct sim *s, const char *token, struct conn *c, json_t **answer);
/* Token + register, expecting 201. */
void sim_register_ok(struct sim *s, struct conn *c);
/* Suite fixtures for tests of a registered connector: the service started
 * with serve_args (may be NULL), c made with crp_alg and registered;
 * sim_registered_teardown frees c and stops the service. */
void sim_registered_setup(struct conn *c, const char *serve_args, const char *crp_alg);
void sim_registered_teardown(struct conn *c);

/* The cloud CA (state/pki/ca.pem). */
X509 *sim_ca(struct sim *s);
/* Decode one base64 DER certificate. */
X509 *cert_b64(const char *b64);
/* The error code of an error answer ("" when none). */
const char *err_code(json_t *answer);
const char *err_msg(json_t *answer);

#endif
