/* ndes-connectord's metrics (docs/metrics.md): the outbox (depth, age of
 * the oldest item), uploads and downloads by result, the registration
 * certificate's time left and the CRL's next update.  Served on
 * metrics.listen when set; every function takes NULL (no metrics). */
#ifndef NDES_CONND_METRICS_H
#define NDES_CONND_METRICS_H

#include <stddef.h>
#include <time.h>

struct connd_env;
struct connd_metrics;

/* After the state and the loop are set up: 0, NULL in *out without
 * metrics.listen; -1 with err when the listener cannot be set up. */
int	connd_metrics_start(struct connd_env *env, struct connd_metrics **out, char *err,
	    size_t errlen);
void	connd_metrics_free(struct connd_metrics *m);
/* n items of kind uploaded with result "ok", "failed" or "rejected". */
void	connd_metrics_uploaded(struct connd_metrics *m, const char *kind, const char *result,
	    size_t n);
/* One download round's result: "ok" or "failed". */
void	connd_metrics_downloaded(struct connd_metrics *m, const char *result);
/* The CRL in place has this nextUpdate (0: unknown). */
void	connd_metrics_crl(struct connd_metrics *m, time_t next_update);

#endif
