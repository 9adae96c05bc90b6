/* ndes-connector: the operator's command line (docs/connector.md). */
#ifndef NDES_CONN_CLI_H
#define NDES_CONN_CLI_H

#include <stdbool.h>

#include "conf.h"
#include "http_client.h"
#include "state.h"

/* Exit codes (documented in docs/connector.md and in --help). */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,		/* anything else */
	CLI_USAGE = 2,
	CLI_TOKEN = 3,		/* registration token unknown, used or expired */
	CLI_UNREACHABLE = 4,	/* cloud (or proxy) unreachable, timeout */
	CLI_UNTRUSTED = 5,	/* cloud certificate not trusted (or ours refused) */
	CLI_PERMS = 6,		/* state folder or key file permissions */
	CLI_NOT_REGISTERED = 7,
	CLI_REFUSED = 8,	/* the cloud refused otherwise (e.g. too many connectors) */
	CLI_DIAGNOSE_FAILED = 9, /* diagnose: at least one check failed */
	CLI_DAEMON_DOWN = 10,	/* status: a daemon does not answer */
	CLI_ERROR_CURRENT = 11,	/* status: the daemons answer, an error is current */
};

struct cli {
	struct conn_cfg		 cfg;
	struct conn_state	 st;
	const char		*cloud, *token, *ca_cert, *name;
	const char		*config_path, *state_dir_opt;	/* --config, --state-dir */
	const char		*crpd_config;			/* --crpd-config */
	const char		*scep_user;			/* --scep-user */
	bool			 json, force;
	long			 limit;
	bool			 purge_rejected;		/* queue --purge-rejected */
	const char		*older_than;			/* --older-than DURATION */
};

int cli_register(struct cli *c);
int cli_renew(struct cli *c);
int cli_unregister(struct cli *c);
int cli_status(struct cli *c);
int cli_queue(struct cli *c);
/* Loads the configuration itself (a broken one is a failed check). */
int cli_diagnose(struct cli *c);

/* Print "ndes-connector: <msg>" on stderr, return code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A cloud call: POST path with body (NULL: no body), client certificate
 * when registered.  Exit code of a transport failure (message printed), or
 * CLI_OK with *status and *resp set. */
int cli_call(struct cli *c, bool mtls, const char *ca, const char *url, const char *path,
    const char *body, int *status, char **resp, size_t *resp_len);
/* Tell crpd to reload (RELOAD on crp_socket); a warning when it cannot. */
void cli_reload_crpd(struct cli *c);
/* crpd's configuration file as diagnose and status read it: --crpd-config,
 * else crpd's default file when it exists, else NULL. */
const char *cli_crpd_config_path(const struct cli *c);

#endif
