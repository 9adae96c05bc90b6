/* ndes-connectord's metrics (d_metrics.h). */
#include "d_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "conf.h"
#include "conn_outbox.h"
#include "crypto.h"
#include "d_env.h"
#include "metrics.h"
#include "metrics_server.h"
#include "state.h"

struct connd_metrics {
	struct connd_env		*env;
	struct ndes_metrics		*reg;
	struct ndes_metric		*uploads, *downloads;
	struct ndes_metrics_server	*srv;
	time_t				 crl_next_update;	/* 0: unknown */
};

static double
m_outbox_items(void *arg)
{
	struct connd_metrics *m = arg;

	return (double)conn_outbox_count(m->env->ob);
}

static double
m_outbox_oldest_age(void *arg)
{
	struct connd_metrics *m = arg;
	int64_t oldest = conn_outbox_oldest(m->env->ob);

	if (oldest < 0)
		return NAN;
	return oldest == 0 ? 0 : (double)(m->env->now() - (time_t)oldest);
}

/* Seconds until the registration certificate expires (negative once it
 * has); left out while there is none. */
static double
m_registration_expiry(void *arg)
{
	struct connd_metrics *m = arg;
	X509 *cert = ndes_crypto_load_cert(m->env->st->client_cert, NULL, 0);
	time_t not_after = 0;
	double v = NAN;

	if (cert != NULL && ndes_crypto_asn1_time(X509_get0_notAfter(cert), &not_after) == 0)
		v = (double)(not_after - (int64_t)m->env->now());
	X509_free(cert);
	return v;
}

static double
m_crl_next_update(void *arg)
{
	struct connd_metrics *m = arg;

	return m->crl_next_update > 0 ? (double)m->crl_next_update : NAN;
}

static int
m_register(struct connd_metrics *m)
{
	struct ndes_metrics *r = m->reg;

	m->uploads = ndes_metric_counter(r, "ndes_connector_uploads_total", "Items uploaded to "
	    "the cloud, by kind and result (ok, failed, rejected).", "kind,result");
	m->downloads = ndes_metric_counter(r, "ndes_connector_downloads_total", "Download calls "
	    "to the cloud, by result (ok, failed).", "result");
	return m->uploads != NULL && m->downloads != NULL &&
	    ndes_metric_gauge(r, "ndes_connector_outbox_items", "Items in the outbox (waiting "
	    "and rejected).", m_outbox_items, m) != NULL &&
	    ndes_metric_gauge(r, "ndes_connector_outbox_oldest_item_age_seconds", "Age of the "
	    "oldest item still to upload (0: none).", m_outbox_oldest_age, m) != NULL &&
	    ndes_metric_gauge(r, "ndes_connector_registration_certificate_expiry_seconds",
	    "Seconds until the registration certificate expires.", m_registration_expiry,
	    m) != NULL &&
	    ndes_metric_gauge(r, "ndes_connector_crl_next_update_timestamp_seconds", "The "
	    "nextUpdate of the CA's CRL in place (seconds since the epoch).", m_crl_next_update,
	    m) != NULL ? 0 : -1;
}

int
connd_metrics_start(struct connd_env *env, struct connd_metrics **out, char *err,
    size_t errlen)
{
	struct connd_metrics *m;

	*out = NULL;
	if (env->cfg->metrics.listen == NULL)
		return 0;
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->reg = ndes_metrics_new()) == NULL ||
	    (m->env = env, m_register(m)) == -1) {
		snprintf(err, errlen, "metrics: out of memory");
		connd_metrics_free(m);
		return -1;
	}
	if ((m->srv = ndes_metrics_server_new(env->base, env->cfg->metrics.listen, m->reg, err,
	    errlen)) == NULL) {
		connd_metrics_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void
connd_metrics_free(struct connd_metrics *m)
{
	if (m == NULL)
		return;
	ndes_metrics_server_free(m->srv);
	ndes_metrics_free(m->reg);
	free(m);
}

void
connd_metrics_uploaded(struct connd_metrics *m, const char *kind, const char *result,
    size_t n)
{
	if (m != NULL && n > 0)
		ndes_metric_add(m->uploads, kind, result, n);
}

void
connd_metrics_downloaded(struct connd_metrics *m, const char *result)
{
	if (m != NULL)
		ndes_metric_add(m->downloads, result, NULL, 1);
}

void
connd_metrics_crl(struct connd_metrics *m, time_t next_update)
{
	if (m != NULL)
		m->crl_next_update = next_update;
}
