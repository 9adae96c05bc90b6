/* ndes-cloud-sim's metrics (docs/metrics.md): challenges minted by result,
 * active connectors, devices in the inventory. */
#include "service.h"

#include <math.h>
#include <stdio.h>

#include "metrics.h"
#include "metrics_server.h"
#include "store.h"

static double
cs_connectors_active(void *arg)
{
	struct cloudsim_svc *svc = arg;
	int64_t n = 0;

	return cloudsim_store_connector_active_count(svc->store, &n) == 0 ? (double)n : NAN;
}

static double
cs_devices(void *arg)
{
	return (double)((struct cloudsim_svc *)arg)->config->n_devices;
}

static int
cs_metrics_register(struct cloudsim_svc *svc)
{
	struct ndes_metrics *m = svc->metrics;

	svc->challenges = ndes_metric_counter(m, "ndes_cloudsim_challenges_total",
	    "Challenges sealed and recorded (ok) or that could not be (failed).", "result");
	return svc->challenges != NULL &&
	    ndes_metric_gauge(m, "ndes_cloudsim_connectors_active", "Registered connectors "
	    "whose certificate has not expired.", cs_connectors_active, svc) != NULL &&
	    ndes_metric_gauge(m, "ndes_cloudsim_devices", "Devices in the inventory.",
	    cs_devices, svc) != NULL ? 0 : -1;
}

int
cloudsim_metrics_start(struct cloudsim_svc *svc, char *err, size_t errlen)
{
	const char *listen = svc->config->metrics.listen;

	if (listen == NULL)
		return 0;
	if ((svc->metrics = ndes_metrics_new()) == NULL || cs_metrics_register(svc) == -1) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	svc->metrics_srv = ndes_metrics_server_new(svc->base, listen, svc->metrics, err, errlen);
	return svc->metrics_srv != NULL ? 0 : -1;
}

void
cloudsim_metrics_stop(struct cloudsim_svc *svc)
{
	ndes_metrics_server_free(svc->metrics_srv);
	ndes_metrics_free(svc->metrics);
	svc->metrics_srv = NULL;
	svc->metrics = NULL;
	svc->challenges = NULL;
}
