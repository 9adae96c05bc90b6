/* The connection to the cloud: TLS context (TLS 1.2+, the cloud verified
 * against the configured CA and its host name, our registration
 * certificate for mutual TLS), proxy, api-version, timeout; and how
 * transport failures map to exit codes and event codes. */
#ifndef NDES_CONN_CLOUD_H
#define NDES_CONN_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http_client.h"

#define CONN_SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct conn_cloud {
	char				*url;
	char				*ca_path;
	SSL_CTX				*tls;
	char				*proxy_password;
	struct ndes_http_client_opts	 opts;	/* points into the members above */
};

/* url: the cloud's base URL; ca_path NULL: the system bundle; cert/key
 * NULL: no client certificate (registration). */
int conn_cloud_init(struct conn_cloud *c, const struct conn_cfg *cfg, const char *url,
    const char *ca_path, const char *cert, const char *key, char *err, size_t errlen);
void conn_cloud_clear(struct conn_cloud *c);

/* The cloud's JSON error {"error":{"code","message"}}: "code: message", or
 * the status line when the body is not that. */
void conn_cloud_error_text(int status, const char *body, size_t len, char *buf, size_t buflen);
/* The "code" of that error ("" when none). */
void conn_cloud_error_code(const char *body, size_t len, char *buf, size_t buflen);

/* Event code for a failed call: 0x1202 unreachable (also timeouts and the
 * proxy), 0x1203 untrusted (TLS), 0x1204 an error status. */
uint32_t conn_cloud_diag(enum ndes_http_err err, int status);

/* fips: true.  Loads OpenSSL's FIPS provider (and base) and makes FIPS
 * algorithms the default for every fetch, or -1 with the reason:
 *   "fips is true but OpenSSL's FIPS provider cannot be loaded (...): install
 *    and configure the FIPS module (openssl fipsinstall), or set fips: false" */
int conn_fips_enable(char *err, size_t errlen);

#endif
