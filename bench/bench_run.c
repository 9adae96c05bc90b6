/* ndes-bench: driving crpd over its socket, and the in-process limit. */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenge.h"
#include "csr.h"
#include "ipc_client.h"

struct drive {
	const char		*sock;
	struct bench_item	*items;
	size_t			 n;
	double			 t0, t_end, rate;
	atomic_size_t		 next;
	double			*lat;		/* per item, ms; < 0 not done */
	atomic_size_t		 failed;
	pthread_mutex_t		 lock;
	char			 first_failure[512];
};

static void
drive_failure(struct drive *dr, const char *msg)
{
	atomic_fetch_add(&dr->failed, 1);
	pthread_mutex_lock(&dr->lock);
	if (dr->first_failure[0] == '\0')
		snprintf(dr->first_failure, sizeof(dr->first_failure), "%s", msg);
	pthread_mutex_unlock(&dr->lock);
}

static void
sleep_until(double t)
{
	double d = t - bench_now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* One verification; true when verified. */
static bool
drive_one(struct drive *dr, struct ndes_ipc_client *c, const struct bench_item *it)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST,
	    ndes_ipc_client_next_id(c));
	struct ndes_ipc_frame *reply = NULL;
	struct ndes_ipc_reader r;
	char err[256], msg[400];
	const char *reason = "";
	uint32_t event_id = 0, code = 0;
	bool ok = false;

	ndes_ipc_msg_add_bytes(m, it->csr, it->csr_len);
	ndes_ipc_msg_add_bytes(m, NULL, 0);
	ndes_ipc_msg_add_str(m, "BenchTemplate");
	ndes_ipc_msg_add_str(m, "bench");
	if (ndes_ipc_client_call(c, m, &reply, 30000, err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "ipc: %s", err);
		drive_failure(dr, msg);
	} else if (ndes_ipc_frame_type(reply) != NDES_IPC_MSG_VERIFY_REPLY) {
		snprintf(msg, sizeof(msg), "reply of type %u", ndes_ipc_frame_type(reply));
		drive_failure(dr, msg);
	} else {
		ndes_ipc_frame_reader(reply, &r);
		if (ndes_ipc_get_bool(&r, &ok) == -1 || ndes_ipc_get_u32(&r, &event_id) == -1 ||
		    ndes_ipc_get_u32(&r, &code) == -1 || ndes_ipc_get_str(&r, &reason, NULL) == -1)
			ok = false;
		if (!ok) {
			snprintf(msg, sizeof(msg), "refused: %s (event %u, code 0x%08X)", reason,
			    event_id, code);
			drive_failure(dr, msg);
		}
	}
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	return ok;
}

static void *
drive_thread(void *arg)
{
	struct drive *dr = arg;
	struct ndes_ipc_client *c = NULL;
	size_t i;
	double start, sched;
	char err[256];

	while ((i = atomic_fetch_add(&dr->next, 1)) < dr->n) {
		sched = dr->rate > 0 ? dr->t0 + (double)i / dr->rate : 0;
		if (dr->rate > 0)
			sleep_until(sched);
		start = bench_now();
		if (start >= dr->t_end)
			break;
		if (c == NULL && (c = ndes_ipc_client_connect(dr->sock, 5000, err,
		    sizeof(err))) == NULL) {
			drive_failure(dr, err);
			break;
		}
		if (!drive_one(dr, c, &dr->items[i])) {
			ndes_ipc_client_free(c);
			c = NULL;
		}
		dr->lat[i] = (bench_now() - (dr->rate > 0 ? sched : start)) * 1000;
	}
	ndes_ipc_client_free(c);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
drive_add(struct drive *dr, double elapsed, struct bench_stats *acc)
{
	size_t k = 0, failed = atomic_load(&dr->failed);

	for (size_t i = 0; i < dr->n; i++)
		if (dr->lat[i] >= 0)
			k++;
	if (acc->nlat + k > acc->caplat) {
		double *p = realloc(acc->lat_ms, (acc->nlat + k) * sizeof(double));

		if (p == NULL)
			return -1;
		acc->lat_ms = p;
		acc->caplat = acc->nlat + k;
	}
	for (size_t i = 0; i < dr->n; i++)
		if (dr->lat[i] >= 0)
			acc->lat_ms[acc->nlat++] = dr->lat[i];
	acc->failed += failed;
	acc->done += k - (failed < k ? failed : k);
	acc->seconds += elapsed;
	if (acc->first_failure[0] == '\0')
		snprintf(acc->first_failure, sizeof(acc->first_failure), "%s", dr->first_failure);
	return 0;
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

int
bench_drive(const char *sock, struct bench_item *items, size_t n, int clients, double seconds,
    double rate, struct bench_stats *acc)
{
	struct drive dr = { .sock = sock, .items = items, .n = n, .rate = rate };
	pthread_t *tid = calloc((size_t)clients, sizeof(*tid));
	double elapsed;
	int rc;

	dr.lat = malloc(n * sizeof(double));
	if (tid == NULL || dr.lat == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		dr.lat[i] = -1;
	pthread_mutex_init(&dr.lock, NULL);
	atomic_init(&dr.next, 0);
	atomic_init(&dr.failed, 0);
	dr.t0 = bench_now() + 0.001;
	dr.t_end = dr.t0 + seconds;
	for (int t = 0; t < clients; t++)
		pthread_create(&tid[t], NULL, drive_thread, &dr);
	for (int t = 0; t < clients; t++)
		pthread_join(tid[t], NULL);
	elapsed = bench_now() - dr.t0;
	rc = drive_add(&dr, elapsed, acc);
	pthread_mutex_destroy(&dr.lock);
	free(dr.lat);
	free(tid);
	return rc;
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

/* The crypto of one verification: open the challenge (decrypt + signature
 * verify + claims) and, with_csr, the request's own signature. */
static bool
limit_one(struct limit *l, struct ndes_challenge_key *key, STACK_OF(X509) *signers,
    const struct bench_item *it)
{
	struct ndes_challenge_claims claims;
	char err[256];
	X509_REQ *req;
	bool ok;

	ok = ndes_challenge_open(it->challenge, strlen(it->challenge), key, 1, signers, &claims,
	    err, sizeof(err)) == NDES_CHALLENGE_OK;
	ndes_challenge_claims_clear(&claims);
	if (ok && l->with_csr) {
		req = ndes_csr_from_der(it->csr, it->csr_len);
		ok = req != NULL && ndes_csr_verify_signature(req) == 1;
		X509_REQ_free(req);
	}
	return ok;
}

static void *
limit_thread(void *arg)
{
	struct limit *l = arg;
	struct ndes_challenge_key key = { l->p->crp_cert, l->p->crp_key };
	STACK_OF(X509) *signers = sk_X509_new_null();
	size_t i;

	sk_X509_push(signers, l->p->sign_cert);
	while (bench_now() < l->t_end) {
		i = atomic_fetch_add(&l->next, 1) % l->n;
		if (!limit_one(l, &key, signers, &l->items[i]))
			atomic_fetch_add(&l->bad, 1);
		atomic_fetch_add(&l->ops, 1);
	}
	sk_X509_free(signers);
	return NULL;
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
