/* The fleet's counts, its progress line and its summary (dsim_fleet.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "dsim_fleet.h"

double
dsim_fleet_clock(void)
{
	return (double)ndes_clock_ns(CLOCK_MONOTONIC) / 1e9;
}

void
dsim_fleet_count_ok(struct dsim_fleet_stats *s, bool renewal, double latency_ms)
{
	double *grown;

	if (renewal)
		s->renewed++;
	else
		s->enrolled++;
	if (s->n_latency == s->cap_latency) {
		size_t cap = s->cap_latency ? s->cap_latency * 2 : 1024;
		if ((grown = realloc(s->latency_ms, cap * sizeof(double))) == NULL)
			return;
		s->latency_ms = grown;
		s->cap_latency = cap;
	}
	s->latency_ms[s->n_latency++] = latency_ms;
}

void
dsim_fleet_count_failed(struct dsim_fleet_stats *s, const char *kind)
{
	size_t i;

	s->failed++;
	for (i = 0; i < s->n_reasons; i++)
		if (strcmp(s->reasons[i].kind, kind) == 0)
			break;
	if (i == s->n_reasons) {
		if (i == sizeof(s->reasons) / sizeof(s->reasons[0]))
			i--;	/* the last slot takes the rest */
		else
			snprintf(s->reasons[s->n_reasons++].kind, sizeof(s->reasons[0].kind), "%s",
			    kind);
	}
	s->reasons[i].n++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
dsim_fleet_percentile(struct dsim_fleet_stats *s, double p)
{
	size_t rank;

	if (s->n_latency == 0)
		return 0;
	qsort(s->latency_ms, s->n_latency, sizeof(double), cmp_double);
	/* nearest rank */
	rank = (size_t)ceil(p / 100.0 * (double)s->n_latency);
	return s->latency_ms[rank > 0 ? rank - 1 : 0];
}

void
dsim_fleet_progress(const struct dsim_fleet_stats *s, int total, bool final)
{
	double t = dsim_fleet_clock() - s->t0;
	int64_t done = s->enrolled + s->renewed + s->failed;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%lld/%d done: enrolled %lld, renewed %lld, failed %lld, %.1f/s, "
	    "%.0f s ", (long long)done, total, (long long)s->enrolled, (long long)s->renewed,
	    (long long)s->failed, t > 0 ? (double)done / t : 0.0, t);
	if (final)
		fputc('\n', stderr);
}

static json_t *
stats_reasons(const struct dsim_fleet_stats *s)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < s->n_reasons; i++)
		json_object_set_new(o, s->reasons[i].kind, json_integer(s->reasons[i].n));
	return o;
}

void
dsim_fleet_summary(struct dsim_fleet_stats *s, bool as_json)
{
	double secs = s->t_end - s->t0, p50 = dsim_fleet_percentile(s, 50);
	double p99 = dsim_fleet_percentile(s, 99), rate;
	json_t *o;

	rate = secs > 0 ? (double)(s->enrolled + s->renewed) / secs : 0;
	if (as_json) {
		o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:f, s:f, s:f, s:f, s:I, s:f}",
		    "started", (json_int_t)s->started, "enrolled", (json_int_t)s->enrolled,
		    "renewed", (json_int_t)s->renewed, "failed", (json_int_t)s->failed,
		    "failedByReason", stats_reasons(s), "p50Ms", p50, "p99Ms", p99,
		    "seconds", secs, "perSecond", rate,
		    "reportsFailed", (json_int_t)s->reports_failed,
		    "prepareCpuMs", s->prepare_cpu_ms);
		json_object_set_new(o, "keysFromFolder", json_integer(s->keys_from_folder));
		json_object_set_new(o, "keysGenerated", json_integer(s->keys_generated));
		if (o != NULL)
			json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		return;
	}
	printf("fleet: enrolled=%lld renewed=%lld failed=%lld", (long long)s->enrolled,
	    (long long)s->renewed, (long long)s->failed);
	for (size_t i = 0; i < s->n_reasons; i++)
		printf(" failed.%s=%lld", s->reasons[i].kind, (long long)s->reasons[i].n);
	if (s->keys_folder)
		printf(" keys.folder=%lld keys.generated=%lld", (long long)s->keys_from_folder,
		    (long long)s->keys_generated);
	printf(" p50=%.0fms p99=%.0fms %.1f/s in %.1f s\n", p50, p99, rate, secs);
}

void
dsim_fleet_stats_clear(struct dsim_fleet_stats *s)
{
	free(s->latency_ms);
	memset(s, 0, sizeof(*s));
}
