/* The sync thread (sync.h). */
#include "sync.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "crp_db.h"
#include "log.h"
#include "storage.h"

struct crp_sync {
	struct ndes_db	*db;
	int64_t		 interval_ms;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	uint64_t	 committed;	/* batches committed without fsync */
	uint64_t	 synced;	/* value of committed at the last complete sync */
	bool		 stop;
	uint64_t	 syncs, max_us;
	bool		 warned;
};

/* One sync of everything committed up to `upto`; called without the lock. */
static void
sync_once(struct crp_sync *s, uint64_t upto)
{
	int64_t t0 = ndes_clock_ns(CLOCK_MONOTONIC), took;
	int rc = ndes_db_sync(s->db);

	took = (ndes_clock_ns(CLOCK_MONOTONIC) - t0) / 1000;
	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		s->synced = upto;
		s->syncs++;
		if ((uint64_t)took > s->max_us)
			s->max_us = (uint64_t)took;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc != 0 && !s->warned)
		log_warnx("state sync: %s; trying again", ndes_db_errmsg(s->db));
	s->warned = rc != 0;
}

static void
sync_wait(struct crp_sync *s)
{
	struct timespec until = ndes_clock_after(CLOCK_MONOTONIC, s->interval_ms * 1000000);

	pthread_cond_timedwait(&s->cond, &s->lock, &until);
}

static void *
sync_main(void *arg)
{
	struct crp_sync *s = arg;
	uint64_t upto;
	bool stop;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		if (!s->stop)
			sync_wait(s);
		stop = s->stop;
		upto = s->committed;
		if (upto != s->synced) {
			pthread_mutex_unlock(&s->lock);
			sync_once(s, upto);
			pthread_mutex_lock(&s->lock);
		}
		if (stop)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void
sync_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void
sync_destroy(struct crp_sync *s)
{
	ndes_db_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

struct crp_sync *
crp_sync_new(const char *db_path, int64_t interval_ms)
{
	struct crp_sync *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	char err[1024];
	int rc;

	if (s == NULL)
		return NULL;
	s->interval_ms = interval_ms > 0 ? interval_ms : 1;
	pthread_mutex_init(&s->lock, NULL);
	sync_cond_init(&s->cond);
	if ((s->db = crp_db_open(db_path, err, sizeof(err))) == NULL) {
		log_warnx("state sync: %s", err);
		sync_destroy(s);
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, sync_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("state sync: cannot start its thread");
		sync_destroy(s);
		return NULL;
	}
	return s;
}

void
crp_sync_committed(struct crp_sync *s)
{
	pthread_mutex_lock(&s->lock);
	s->committed++;
	pthread_mutex_unlock(&s->lock);
}

void
crp_sync_free(struct crp_sync *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	sync_destroy(s);
}

void
crp_sync_stats(struct crp_sync *s, uint64_t *syncs, uint64_t *max_us)
{
	pthread_mutex_lock(&s->lock);
	*syncs = s->syncs;
	*max_us = s->max_us;
	pthread_mutex_unlock(&s->lock);
}
