/* The `metrics:` section every daemon's YAML configuration embeds
 * (docs/metrics.md):
 *
 *	metrics:
 *	  listen: 127.0.0.1:9464	# or [::1]:9464, localhost:9464, or a Unix
 *					# socket path (/run/ndes/crpd-metrics.sock)
 *
 * Absent (the default): no listener.  An address that is not loopback is
 * refused when the file loads: the metrics say what runs where, and have
 * no authentication. */
#ifndef NDES_METRICS_CONFIG_H
#define NDES_METRICS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config_loader.h"

struct ndes_metrics_cfg {
	char	*listen;	/* NULL: off */
};

extern const struct ndes_config_schema ndes_metrics_cfg_schema;

/* Split a TCP listen value into host (without brackets) and port; false
 * when it is not HOST:PORT with a loopback host and a port 0..65535 (0:
 * any free port, logged). */
bool ndes_metrics_listen_tcp(const char *listen, char *host, size_t hostlen,
    unsigned *port);

#endif
