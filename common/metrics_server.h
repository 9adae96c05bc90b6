/* The metrics listener: GET /metrics on a loopback address or a Unix
 * socket (metrics_config.h), answered from a registry (metrics.h) in the
 * text format 0.0.4.  Anything else gets 404 (405 for another method).
 * Runs on the daemon's event loop. */
#ifndef NDES_METRICS_SERVER_H
#define NDES_METRICS_SERVER_H

#include <stddef.h>

struct event_base;
struct ndes_metrics;
struct ndes_metrics_server;

/* Listen on listen (a checked metrics.listen value); logs "metrics:
 * listening on ...".  NULL with err on failure. */
struct ndes_metrics_server *ndes_metrics_server_new(struct event_base *base,
    const char *listen, struct ndes_metrics *m, char *err, size_t errlen);
/* Stop listening (the Unix socket file removed).  NULL is fine. */
void ndes_metrics_server_free(struct ndes_metrics_server *s);

#endif
