/* The admin subcommands of ndes-cloud-sim: they talk to the running service
 * over its loopback admin endpoint (docs/cloud-api.md, "Command line"). */
#ifndef NDES_CLOUDSIM_CLI_H
#define NDES_CLOUDSIM_CLI_H

#include <stdio.h>
#include <jansson.h>

/* Exit codes every subcommand keeps. */
#define CLOUDSIM_EXIT_OK          0
#define CLOUDSIM_EXIT_REFUSED     1   /* the service answered with an error */
#define CLOUDSIM_EXIT_USAGE       2
#define CLOUDSIM_EXIT_UNREACHABLE 3   /* no answer from the admin endpoint */

#define CLOUDSIM_DEFAULT_ADMIN_URL "http://127.0.0.1:8444"

/* Whether cmd is one of the subcommands below. */
int cloudsim_cli_known(const char *cmd);
/* Run subcommand argv[0] ("token", "challenge", "revoke", "pkcs-request",
 * "pkcs-open", "show"); returns the exit code.  verbose: the -v given
 * before it, added to those after it (warnings only; -v info, -vv debug,
 * e.g. each request to the admin endpoint). */
int cloudsim_cli(int argc, char **argv, int verbose);
void cloudsim_usage(FILE *fp);

/* One call to the admin endpoint (cli_call.c) at admin_url, else at the
 * address of the configuration `config` (the port its running service
 * wrote to state_dir/ports.json, else admin_port), else at the default.
 * body may be NULL (not taken over).  On a 2xx answer *answer gets its
 * JSON; otherwise the error goes to stderr.  Returns an exit code. */
int cloudsim_cli_call(const char *admin_url, const char *config, const char *method,
    const char *path, json_t *body, json_t **answer);

#endif
