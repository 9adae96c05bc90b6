/* ndes-connector status: its parts (cli_status.c prints them). */
#ifndef NDES_CONN_CLI_STATUS_H
#define NDES_CONN_CLI_STATUS_H

#include <jansson.h>

struct cli;

/* How long status waits for each daemon, connection and answers together. */
#define CLI_STATUS_TIMEOUT_MS 1000

/* {"ndes-connectord": D, "ndes-crpd": D}, each D {socket, state ("answers",
 * "not running", "refused", "no answer"), reason (null when it answers), pid,
 * version, startedAt, uptimeSeconds (null when not said), errors (the
 * daemon's current errors as the top level's, {activity: {message, since,
 * last}}, when its reply carries them: ndes-crpd's)}; crpd's socket from
 * --crpd-config, else the default crpd.yaml when present, else the
 * connector's crp_socket.  *down: how many do not answer. */
json_t *cli_status_daemons(struct cli *c, int *down);

#endif
