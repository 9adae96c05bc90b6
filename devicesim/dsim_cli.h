/* ndes-device-sim's commands (main.c parses, device*.c, show.c and
 * fleet*.c run them; docs/devicesim.md). */
#ifndef NDES_DEVICESIM_DSIM_CLI_H
#define NDES_DEVICESIM_DSIM_CLI_H

#include <stdbool.h>

#define DSIM_EXIT_OK 0
#define DSIM_EXIT_FAILED 1	/* the enrollment (or a report) failed */
#define DSIM_EXIT_USAGE 2

enum dsim_mode {
	DSIM_MODE_ENROLL,	/* enroll; renew instead when a certificate is due */
	DSIM_MODE_RENEW,	/* renew when due, say why not otherwise */
};

struct dsim_device_opts {
	const char	*cloud;		/* admin URL, "http://127.0.0.1:PORT" */
	const char	*device;	/* name or ID */
	const char	*profile;
	const char	*user;		/* NULL: the device's owner for user profiles */
	const char	*state;		/* state folder */
	const char	*payload_file;	/* use this saved payload, no fetch (tests) */
	enum dsim_mode	mode;
	bool		force;		/* renew even when not due */
};

int	dsim_device_run(const struct dsim_device_opts *o);
int	dsim_show(const char *state_root, const char *device, const char *profile);

#endif
