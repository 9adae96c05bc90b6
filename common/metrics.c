/* The metrics registry and its text exposition (metrics.h). */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"

struct ndes_metrics *
ndes_metrics_new(void)
{
	struct ndes_metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->tail = &m->first;
	return m;
}

static void
metric_free(struct ndes_metric *c)
{
	for (size_t i = 0; i <= NDES_METRIC_MAX_SERIES; i++) {
		free(c->series[i].v1);
		free(c->series[i].v2);
	}
	free(c->label1);
	free(c->label2);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
ndes_metrics_free(struct ndes_metrics *m)
{
	struct ndes_metric *c, *next;

	if (m == NULL)
		return;
	for (c = m->first; c != NULL; c = next) {
		next = c->next;
		metric_free(c);
	}
	free(m);
}

/* A new metric appended to m; its label names split from "a" or "a,b". */
static struct ndes_metric *
metric_new(struct ndes_metrics *m, enum metric_kind kind, const char *name, const char *help,
    const char *label_names)
{
	struct ndes_metric *c = calloc(1, sizeof(*c));
	const char *comma = label_names != NULL ? strchr(label_names, ',') : NULL;

	if (c == NULL)
		return NULL;
	c->kind = kind;
	c->name = name;
	c->help = help;
	pthread_mutex_init(&c->lock, NULL);
	if (label_names != NULL) {
		c->label1 = comma != NULL ? strndup(label_names, (size_t)(comma - label_names)) :
		    strdup(label_names);
		c->label2 = comma != NULL ? strdup(comma + 1) : NULL;
		if (c->label1 == NULL || (comma != NULL && c->label2 == NULL)) {
			metric_free(c);
			return NULL;
		}
	}
	*m->tail = c;
	m->tail = &c->next;
	return c;
}

struct ndes_metric *
ndes_metric_counter(struct ndes_metrics *m, const char *name, const char *help,
    const char *label_names)
{
	return metric_new(m, METRIC_COUNTER, name, help, label_names);
}

struct ndes_metric *
ndes_metric_histogram(struct ndes_metrics *m, const char *name, const char *help,
    const double *bounds, size_t nbounds)
{
	struct ndes_metric *h;

	if (nbounds > NDES_METRIC_MAX_BUCKETS || (h = metric_new(m, METRIC_HISTOGRAM, name,
	    help, NULL)) == NULL)
		return NULL;
	memcpy(h->bounds, bounds, nbounds * sizeof(*bounds));
	h->nbounds = nbounds;
	h->nseries = 1;
	return h;
}

struct ndes_metric *
ndes_metric_gauge(struct ndes_metrics *m, const char *name, const char *help,
    ndes_metric_gauge_fn fn, void *arg)
{
	struct ndes_metric *g = metric_new(m, METRIC_GAUGE, name, help, NULL);

	if (g != NULL) {
		g->fn = fn;
		g->arg = arg;
	}
	return g;
}

static bool
same_value(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static struct metric_series *
series_scan(struct ndes_metric *c, size_t n, const char *v1, const char *v2)
{
	for (size_t i = 0; i < n; i++)
		if (same_value(c->series[i].v1, v1) && same_value(c->series[i].v2, v2))
			return &c->series[i];
	return NULL;
}

/* The series of (v1, v2), added when new (the "other" one when full or out
 * of memory). */
static struct metric_series *
series_of(struct ndes_metric *c, const char *v1, const char *v2)
{
	struct metric_series *s;
	size_t n = __atomic_load_n(&c->nseries, __ATOMIC_ACQUIRE);

	if ((s = series_scan(c, n, v1, v2)) != NULL)
		return s;
	pthread_mutex_lock(&c->lock);
	n = c->nseries;
	if ((s = series_scan(c, n, v1, v2)) == NULL) {
		s = &c->series[n < NDES_METRIC_MAX_SERIES ? n : NDES_METRIC_MAX_SERIES];
		if (n < NDES_METRIC_MAX_SERIES && (v1 == NULL || (s->v1 = strdup(v1)) != NULL) &&
		    (v2 == NULL || (s->v2 = strdup(v2)) != NULL))
			__atomic_store_n(&c->nseries, n + 1, __ATOMIC_RELEASE);
		else {
			free(s->v1);
			s->v1 = s->v2 = NULL;
			s = &c->series[NDES_METRIC_MAX_SERIES];
		}
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}

void
ndes_metric_add(struct ndes_metric *c, const char *v1, const char *v2, uint64_t n)
{
	if (c == NULL)
		return;
	__atomic_fetch_add(&series_of(c, c->label1 != NULL ? v1 : NULL,
	    c->label2 != NULL ? v2 : NULL)->count, n, __ATOMIC_RELAXED);
}

void
ndes_metric_observe(struct ndes_metric *h, double seconds)
{
	struct metric_series *s;
	size_t b = 0;

	if (h == NULL || !(seconds >= 0))
		return;
	s = &h->series[0];
	while (b < h->nbounds && seconds > h->bounds[b])
		b++;
	__atomic_fetch_add(&s->buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->sum_ns, (uint64_t)(seconds * 1e9), __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
}
