/* ndes-connector diagnose: what the checks of cli_diagnose*.c share.
 *
 * cli_diagnose.c loads the configuration and the registration once
 * (struct diag), runs the table of checks in order and prints one line per
 * check (or a JSON array).  Each check is one small function that fills a
 * struct diag_result: OK, WARN or FAIL with a diagnostic code of
 * common/events.def and a fix, or SKIP when it does not apply. */
#ifndef NDES_CONN_CLI_DIAGNOSE_H
#define NDES_CONN_CLI_DIAGNOSE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "cli.h"
#include "crpd_config.h"

#define DIAG_SKEW_MAX		300	/* seconds the clocks may differ */
#define DIAG_CA_WARN_DAYS	30	/* CA certificate: warn this many days before */
#define DIAG_CLOUD_PATH		"/certificates/signing"	/* the harmless GET */

enum diag_status { DIAG_OK, DIAG_WARN, DIAG_FAIL, DIAG_SKIP };

struct diag_result {
	enum diag_status	 status;
	uint32_t		 code;		/* WARN and FAIL */
	char			 detail[1536];
	char			 fix[512];	/* WARN and FAIL */
};

/* One GET of DIAG_CLOUD_PATH. */
struct diag_call {
	bool			 tried;
	enum ndes_http_err	 err;
	int			 status;
	char			 errmsg[512];	/* transport failure */
	char			 text[512];	/* "HTTP 403 code: message" */
	char			 code[64];	/* the cloud's error code, "" */
	char			 date[64];	/* the Date header, "" */
	time_t			 local;		/* local time of the answer */
};

struct diag {
	struct cli		*c;
	const char		*conf_path;	/* NULL: built-in defaults */
	bool			 conf_ok;
	char			 conf_err[NDES_CONFIG_ERR_MAX];
	const char		*crpd_path;	/* NULL: not given */
	int			 crpd_state;	/* 1 loaded, 0 none, -1 failed */
	char			 crpd_err[NDES_CONFIG_ERR_MAX];
	struct crpd_cfg		 crpd;
	int			 reg_state;	/* conn_registration_load(): 0, 1, -1 */
	char			 reg_err[1024];
	struct conn_registration reg;
	X509			*client;	/* registration/client.pem or NULL */
	char			 client_err[1024];
	bool			 key_ok;	/* client.key loads */
	const char		*cloud_url;	/* cloud.url or the registered one */
	const char		*cloud_ca;	/* as the daemon picks it */
	struct diag_call	 anon, mtls;	/* without / with our certificate */
};

typedef void (*diag_fn)(struct diag *d, struct diag_result *r);

/* Fill r; fmt is the detail.  The fix is left as it is: a check may set it
 * first (it is printed only with WARN and FAIL). */
void diag_ok(struct diag_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_skip(struct diag_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_fail(struct diag_result *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warn(struct diag_result *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The fix of a WARN or FAIL. */
void diag_fix(struct diag_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Shared helpers (cli_diagnose_files.c). */
/* "2026-01-31T12:00:00Z" of an ASN1_TIME (and its time_t in *t). */
const char *diag_time(const ASN1_TIME *at, time_t *t, char *buf, size_t len);
/* A key file: owned by us (unless we are root), mode and content through
 * ndes_crypto_load_key.  0, or -1 with r failed (missing: missing_code). */
int diag_key_file(const char *path, const char *pass, uint32_t missing_code,
    EVP_PKEY **out, struct diag_result *r);

/* cli_diagnose_files.c */
void diag_config(struct diag *d, struct diag_result *r);
void diag_crpd_config(struct diag *d, struct diag_result *r);
void diag_state_dir(struct diag *d, struct diag_result *r);
void diag_registration(struct diag *d, struct diag_result *r);
void diag_reg_keys(struct diag *d, struct diag_result *r);
/* cli_diagnose_certs.c */
void diag_reg_cert(struct diag *d, struct diag_result *r);
void diag_reg_chain(struct diag *d, struct diag_result *r);
void diag_crp_cert(struct diag *d, struct diag_result *r);
void diag_signing(struct diag *d, struct diag_result *r);
/* cli_diagnose_net.c */
void diag_connector_socket(struct diag *d, struct diag_result *r);
void diag_crpd_socket(struct diag *d, struct diag_result *r);
void diag_cloud_reachable(struct diag *d, struct diag_result *r);
void diag_cloud_trusted(struct diag *d, struct diag_result *r);
void diag_cloud_auth(struct diag *d, struct diag_result *r);
void diag_clock(struct diag *d, struct diag_result *r);
/* cli_diagnose_ca.c */
/* folder/name (name NULL: the folder), malloc'd; NULL (r skipped) when no CA
 * is configured. */
char *diag_ca_path(struct diag *d, const char *name, struct diag_result *r);
void diag_ca_folder(struct diag *d, struct diag_result *r);
void diag_ca_key(struct diag *d, struct diag_result *r);
void diag_ca_cert(struct diag *d, struct diag_result *r);
void diag_ca_crl(struct diag *d, struct diag_result *r);
/* cli_diagnose_scep.c */
void diag_ca_issuer(struct diag *d, struct diag_result *r);
void diag_cloud_templates(struct diag *d, struct diag_result *r);
void diag_scep_user(struct diag *d, struct diag_result *r);

#endif
