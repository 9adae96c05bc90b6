/* Internal to the metrics registry (metrics.c, metrics_text.c). */
#ifndef NDES_METRICS_INT_H
#define NDES_METRICS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

enum metric_kind { METRIC_COUNTER, METRIC_HISTOGRAM, METRIC_GAUGE };

struct metric_series {
	char		*v1, *v2;	/* label values (NULL: none) */
	uint64_t	 count;		/* counter value; histogram observations */
	uint64_t	 sum_ns;	/* histogram: the sum, in nanoseconds */
	uint64_t	 buckets[NDES_METRIC_MAX_BUCKETS + 1];	/* per bucket, last +Inf */
};

struct ndes_metric {
	struct ndes_metric	*next;
	enum metric_kind	 kind;
	const char		*name, *help;
	char			*label1, *label2;	/* names (NULL: none) */
	double			 bounds[NDES_METRIC_MAX_BUCKETS];
	size_t			 nbounds;
	ndes_metric_gauge_fn	 fn;
	void			*arg;
	pthread_mutex_t		 lock;		/* adding a series */
	size_t			 nseries;	/* published with release */
	struct metric_series	 series[NDES_METRIC_MAX_SERIES + 1];	/* last: "other" */
};

struct ndes_metrics {
	struct ndes_metric	*first, **tail;
};

#endif
