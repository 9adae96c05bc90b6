/* ndes-bench: the in-process limit, and the results of the runs. */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "challenge.h"
#include "csr.h"
#include "errmsg.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_stats_finish(struct bench_stats *st)
{
	if (st->nlat == 0)
		return;
	qsort(st->lat_ms, st->nlat, sizeof(double), cmp_double);
	st->p50_ms = st->lat_ms[(st->nlat - 1) / 2];
	st->p99_ms = st->lat_ms[(size_t)((double)(st->nlat - 1) * 0.99)];
}

void
bench_stats_free(struct bench_stats *st)
{
	free(st->lat_ms);
	memset(st, 0, sizeof(*st));
}

struct limit {
	const struct bench_pki	*p;
	struct bench_item	*items;
	size_t			 n;
	bool			 with_csr;
	double			 t_end;
	atomic_size_t		 next;
	atomic_size_t		 ops;
	atomic_size_t		 bad;
};

bool
bench_crypto_one(const struct bench_pki *p, STACK_OF(X509) *signers,
    const struct bench_item *it, bool with_csr)
{
	struct ndes_challenge_key key = { p->crp_cert, p->crp_key };
	struct ndes_challenge_claims claims;
	char err[NDES_ERR_MAX];
	X509_REQ *req;
	EVP_PKEY *req_key;
	bool ok;

	ok = ndes_challenge_open(it->challenge, strlen(it->challenge), &key, 1, signers, &claims,
	    err, sizeof(err)) == NDES_CHALLENGE_OK;
	ndes_challenge_claims_clear(&claims);
	if (ok && with_csr) {
		req = ndes_csr_from_der_keyless(it->csr, it->csr_len);
		req_key = ndes_csr_key(req);
		ok = req_key != NULL && ndes_csr_verify_signature_with(req, req_key) == 1;
		EVP_PKEY_free(req_key);
		X509_REQ_free(req);
	}
	return ok;
}

STACK_OF(X509) *
bench_signers(const struct bench_pki *p)
{
	STACK_OF(X509) *signers = sk_X509_new_null();

	if (signers != NULL && sk_X509_push(signers, p->sign_cert) == 0) {
		sk_X509_free(signers);
		return NULL;
	}
	return signers;
}

static void *
limit_thread(void *arg)
{
	struct limit *l = arg;
	STACK_OF(X509) *signers = bench_signers(l->p);
	size_t i;

	pthread_setname_np(pthread_self(), "ndes-limit");
	while (bench_now() < l->t_end) {
		i = atomic_fetch_add(&l->next, 1) % l->n;
		if (!bench_crypto_one(l->p, signers, &l->items[i], l->with_csr))
			atomic_fetch_add(&l->bad, 1);
		atomic_fetch_add(&l->ops, 1);
	}
	sk_X509_free(signers);
	return NULL;
}

struct paced {
	struct limit		 l;
	double			 t0, rate;
	size_t			 count;		/* items due within the run */
	double			*lat_ms;
};

void
bench_sleep_until(double t)
{
	struct timespec ts = { (time_t)t, (long)((t - (double)(time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *
paced_thread(void *arg)
{
	struct paced *pc = arg;
	STACK_OF(X509) *signers = bench_signers(pc->l.p);
	double due;
	size_t i;

	prctl(PR_SET_TIMERSLACK, 1UL);
	while ((i = atomic_fetch_add(&pc->l.next, 1)) < pc->count) {
		due = pc->t0 + (double)i / pc->rate;
		if (bench_now() < due)
			bench_sleep_until(due);
		if (!bench_crypto_one(pc->l.p, signers, &pc->l.items[i % pc->l.n], true))
			atomic_fetch_add(&pc->l.bad, 1);
		pc->lat_ms[i] = (bench_now() - due) * 1000;
	}
	sk_X509_free(signers);
	return NULL;
}

int
bench_stats_add_paced(struct bench_stats *acc, const double *lat, size_t n, double t0,
    double rate, size_t failed, const char *first_failure, double elapsed)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (lat[i] >= 0)
			k++;
	if (acc->nlat + k > acc->caplat) {
		double *p = realloc(acc->lat_ms, (acc->nlat + k) * sizeof(double));

		if (p == NULL)
			return -1;
		acc->lat_ms = p;
		acc->caplat = acc->nlat + k;
	}
	for (size_t i = 0; i < n; i++)
		if (lat[i] >= 0)
			acc->lat_ms[acc->nlat++] = lat[i];
	if (acc->trace != NULL && rate > 0) {
		for (size_t i = 0; i < n; i++)
			if (lat[i] >= 0)
				fprintf(acc->trace, "%.6f %.3f\n", t0 + (double)i / rate, lat[i]);
	}
	acc->failed += failed;
	acc->done += k - (failed < k ? failed : k);
	acc->seconds += elapsed;
	if (acc->first_failure[0] == '\0')
		snprintf(acc->first_failure, sizeof(acc->first_failure), "%s", first_failure);
	return 0;
}

int
bench_limit_paced(const struct bench_pki *p, struct bench_item *items, size_t n, int threads,
    double seconds, double rate, struct bench_stats *acc)
{
	struct paced pc = { .l = { .p = p, .items = items, .n = n, .with_csr = true },
	    .rate = rate, .count = (size_t)(seconds * rate) };
	pthread_t tid[64];
	int rc;

	if (threads > 64)
		threads = 64;
	if (pc.count == 0 || (pc.lat_ms = calloc(pc.count, sizeof(double))) == NULL)
		return -1;
	atomic_init(&pc.l.next, 0);
	atomic_init(&pc.l.bad, 0);
	pc.t0 = bench_now() + 0.01;
	for (int t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, paced_thread, &pc);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	rc = bench_stats_add_paced(acc, pc.lat_ms, pc.count, pc.t0, rate, atomic_load(&pc.l.bad),
	    "", seconds);
	free(pc.lat_ms);
	return rc;
}

size_t
bench_limit(const struct bench_pki *p, struct bench_item *items, size_t n, int threads,
    double seconds, bool with_csr, double *elapsed)
{
	struct limit l = { .p = p, .items = items, .n = n, .with_csr = with_csr };
	pthread_t tid[64];
	double t0;

	if (threads > 64)
		threads = 64;
	atomic_init(&l.next, 0);
	atomic_init(&l.ops, 0);
	atomic_init(&l.bad, 0);
	t0 = bench_now();
	l.t_end = t0 + seconds;
	for (int t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, limit_thread, &l);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	if (atomic_load(&l.bad) > 0)
		fprintf(stderr, "ndes-bench: %zu challenges did not open in the limit run\n",
		    atomic_load(&l.bad));
	*elapsed = bench_now() - t0;
	return atomic_load(&l.ops);
}
