/* Prometheus metrics: a small registry and the text exposition format
 * 0.0.4 (docs/metrics.md).
 *
 * A daemon makes one registry at start, registers its metrics once (on the
 * loop thread, before any other thread uses them) and updates them from any
 * thread: counters and histograms are lock-free atomics, cheap on a hot
 * path (a series is found by a scan of at most NDES_METRIC_MAX_SERIES label
 * values; a new series takes a mutex once).  Gauges are functions the
 * registry calls at scrape time, on the thread that renders.  Names and
 * label names are the caller's string literals; label values are copied.
 *
 * A counter or histogram has no labels or up to two (label_names "result"
 * or "result,code"); a series past NDES_METRIC_MAX_SERIES counts into one
 * series whose values are all "other". */
#ifndef NDES_METRICS_H
#define NDES_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define NDES_METRIC_MAX_SERIES 64
#define NDES_METRIC_MAX_BUCKETS 16

struct ndes_metrics;
struct ndes_metric;

struct ndes_metrics *ndes_metrics_new(void);
void ndes_metrics_free(struct ndes_metrics *m);

/* A counter named name (ending in _total), label_names NULL or "a" or
 * "a,b".  NULL when out of memory. */
struct ndes_metric *ndes_metric_counter(struct ndes_metrics *m, const char *name,
    const char *help, const char *label_names);
/* Add n to the series of the label values (NULL for labels it has not). */
void ndes_metric_add(struct ndes_metric *c, const char *v1, const char *v2, uint64_t n);

/* A histogram of seconds with the upper bounds (ascending, at most
 * NDES_METRIC_MAX_BUCKETS; +Inf is added). */
struct ndes_metric *ndes_metric_histogram(struct ndes_metrics *m, const char *name,
    const char *help, const double *bounds, size_t nbounds);
void ndes_metric_observe(struct ndes_metric *h, double seconds);

/* A gauge whose value fn returns at scrape time (NaN: the gauge is left
 * out, e.g. no registration certificate yet). */
typedef double (*ndes_metric_gauge_fn)(void *arg);
struct ndes_metric *ndes_metric_gauge(struct ndes_metrics *m, const char *name,
    const char *help, ndes_metric_gauge_fn fn, void *arg);

/* The whole registry in the text format (malloc'd, NUL-terminated; *len
 * without the NUL).  NULL when out of memory. */
char *ndes_metrics_render(struct ndes_metrics *m, size_t *len);

#endif
