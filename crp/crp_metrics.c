/* ndes-crpd's metrics (metrics.h, docs/metrics.md). */
#include "crp_metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "crpd.h"
#include "log.h"
#include "metrics_server.h"

struct crp_metrics {
	struct ndes_metrics		*reg;
	struct ndes_metric		*verifications;	/* {result, code} */
	struct ndes_metric		*latency;
	struct ndes_metrics_server	*srv;
};

/* From under a millisecond (a refusal before any crypto) to the 10 s a
 * stalled database can take. */
static const double crp_latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };

static double
crp_metrics_inflight(void *arg)
{
	return (double)((struct crpd *)arg)->inflight;
}

static int
crp_metrics_register(struct crpd *d, struct crp_metrics *cm)
{
	cm->verifications = ndes_metric_counter(cm->reg, "ndes_crpd_verifications_total",
	    "Verifications answered, by result (verified, warning, failed) and diagnostic code.",
	    "result,code");
	cm->latency = ndes_metric_histogram(cm->reg, "ndes_crpd_verification_duration_seconds",
	    "Time from a verification request taken to its answer.", crp_latency_bounds,
	    sizeof(crp_latency_bounds) / sizeof(crp_latency_bounds[0]));
	return cm->verifications != NULL && cm->latency != NULL &&
	    ndes_metric_gauge(cm->reg, "ndes_crpd_requests_in_flight",
	    "Requests taken and not answered yet (max_queue caps them).",
	    crp_metrics_inflight, d) != NULL ? 0 : -1;
}

int
crp_metrics_start(struct crpd *d)
{
	struct crp_metrics *cm;
	char err[512];

	if (d->cfg.metrics.listen == NULL)
		return 0;
	if ((cm = calloc(1, sizeof(*cm))) == NULL || (cm->reg = ndes_metrics_new()) == NULL ||
	    crp_metrics_register(d, cm) == -1) {
		snprintf(err, sizeof(err), "metrics: out of memory");
	} else if ((cm->srv = ndes_metrics_server_new(d->base, d->cfg.metrics.listen, cm->reg,
	    err, sizeof(err))) != NULL) {
		d->metrics = cm;
		return 0;
	}
	log_warnx("%s", err);
	if (cm != NULL)
		ndes_metrics_free(cm->reg);
	free(cm);
	return -1;
}

void
crp_metrics_stop(struct crpd *d)
{
	if (d->metrics == NULL)
		return;
	ndes_metrics_server_free(d->metrics->srv);
	ndes_metrics_free(d->metrics->reg);
	free(d->metrics);
	d->metrics = NULL;
}

void
crp_metrics_verified(struct crpd *d, enum ndes_event ev, uint32_t code,
    const struct timespec *started)
{
	struct crp_metrics *cm = d->metrics;
	struct timespec now;
	char hex[16];

	if (cm == NULL)
		return;
	snprintf(hex, sizeof(hex), "0x%08X", (unsigned)code);
	ndes_metric_add(cm->verifications, ev == NDES_EV_CRP_VERIFY_SUCCESS ? "verified" :
	    ev == NDES_EV_CRP_VERIFY_WARNING ? "warning" : "failed", hex, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ndes_metric_observe(cm->latency, (double)(now.tv_sec - started->tv_sec) +
	    (double)(now.tv_nsec - started->tv_nsec) / 1e9);
}
