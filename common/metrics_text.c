/* The text exposition format 0.0.4 of a registry (metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics_int.h"

/* A label value, escaped as the format asks (\\, \", \n). */
static void
text_label_value(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* {a="x",b="y"} of a series (nothing without labels); extra: one more
 * label already formatted (le="0.5"), or NULL. */
static void
text_labels(FILE *f, const struct ndes_metric *c, const struct metric_series *s,
    const char *extra)
{
	bool any = false;

	if (c->label1 == NULL && extra == NULL)
		return;
	fputc('{', f);
	if (c->label1 != NULL) {
		fprintf(f, "%s=\"", c->label1);
		text_label_value(f, s->v1 != NULL ? s->v1 : "other");
		fputc('"', f);
		any = true;
	}
	if (c->label2 != NULL) {
		fprintf(f, ",%s=\"", c->label2);
		text_label_value(f, s->v2 != NULL ? s->v2 : "other");
		fputc('"', f);
	}
	if (extra != NULL)
		fprintf(f, "%s%s", any ? "," : "", extra);
	fputc('}', f);
}

static void
text_histogram(FILE *f, const struct ndes_metric *h)
{
	const struct metric_series *s = &h->series[0];
	uint64_t cumulative = 0;
	char le[48];

	for (size_t b = 0; b <= h->nbounds; b++) {
		cumulative += __atomic_load_n(&s->buckets[b], __ATOMIC_RELAXED);
		if (b < h->nbounds)
			snprintf(le, sizeof(le), "le=\"%g\"", h->bounds[b]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		fprintf(f, "%s_bucket", h->name);
		text_labels(f, h, s, le);
		fprintf(f, " %llu\n", (unsigned long long)cumulative);
	}
	fprintf(f, "%s_sum %.9f\n", h->name,
	    (double)__atomic_load_n(&s->sum_ns, __ATOMIC_RELAXED) / 1e9);
	fprintf(f, "%s_count %llu\n", h->name, (unsigned long long)cumulative);
}

static void
text_counter(FILE *f, const struct ndes_metric *c)
{
	size_t n = __atomic_load_n(&c->nseries, __ATOMIC_ACQUIRE);
	const struct metric_series *s;

	for (size_t i = 0; i <= NDES_METRIC_MAX_SERIES; i++) {
		if (i >= n && i < NDES_METRIC_MAX_SERIES)
			continue;
		s = &c->series[i];
		if (i == NDES_METRIC_MAX_SERIES && __atomic_load_n(&s->count,
		    __ATOMIC_RELAXED) == 0)
			continue;
		fputs(c->name, f);
		text_labels(f, c, s, NULL);
		fprintf(f, " %llu\n", (unsigned long long)__atomic_load_n(&s->count,
		    __ATOMIC_RELAXED));
	}
}

static void
text_metric(FILE *f, const struct ndes_metric *c)
{
	static const char *const types[] = { "counter", "histogram", "gauge" };
	double v = 0;

	if (c->kind == METRIC_GAUGE && isnan(v = c->fn(c->arg)))
		return;
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", c->name, c->help, c->name, types[c->kind]);
	if (c->kind == METRIC_GAUGE)
		fprintf(f, "%s %.17g\n", c->name, v);
	else if (c->kind == METRIC_HISTOGRAM)
		text_histogram(f, c);
	else
		text_counter(f, c);
}

char *
ndes_metrics_render(struct ndes_metrics *m, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f == NULL)
		return NULL;
	for (const struct ndes_metric *c = m->first; c != NULL; c = c->next)
		text_metric(f, c);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
