/* Sealing on worker threads, group commit on a thread of its own, answers
 * on the loop (mint.h). */
#include "mint.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "log.h"
#include "metrics.h"
#include "pki.h"
#include "service.h"
#include "store.h"

struct mint_job {
	TAILQ_ENTRY(mint_job)	 entry;
	struct api_call		 call;
	struct cloudsim_mint_req req;
	struct ndes_challenge_claims cl;
	STACK_OF(X509)		*recipients;
	int			 status;	/* not 0: refused with code and err */
	const char		*code;
	char			*text;		/* sealed; NULL: err says why */
	char			*answer;	/* its answer's JSON text, or NULL */
	bool			 recorded;	/* its batch was committed */
	char			 err[CLOUDSIM_ERR_MAX];
};

TAILQ_HEAD(mint_jobq, mint_job);

struct cloudsim_mint {
	struct cloudsim_svc	*svc;
	struct cloudsim_store	*store;		/* the committer's own connection */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* todo, stop: the workers */
	pthread_cond_t		 sealed_cond;	/* sealed, sealers_done: the committer */
	struct mint_jobq	 todo;		/* to seal */
	struct mint_jobq	 sealed;	/* to record */
	struct mint_jobq	 recorded;	/* to answer (j->recorded: committed) */
	bool			 stop, sealers_done;
	struct event		*recorded_ev;
	pthread_t		*workers, committer;
	int			 nworkers, nstarted;
	bool			 committer_started;
	char			**payloads;	/* per profile (admin_payload_text) */
};

static void
mint_job_free(struct mint_job *j)
{
	ndes_challenge_claims_clear(&j->cl);
	sk_X509_pop_free(j->recipients, X509_free);
	free(j->text);
	free(j->answer);
	api_end(&j->call);
	free(j);
}

/* Worker: the claims planned, the challenge sealed, then its answer
 * written. */
static void
mint_seal(struct cloudsim_mint *m, struct mint_job *j)
{
	const struct cloudsim_pki *pki = m->svc->pki;
	const struct cloudsim_config *config = m->svc->config;
	const struct cloudsim_scep_profile *p;

	j->status = admin_mint_claims(m->svc, &j->req, j->recipients, &j->cl, &j->code, j->err,
	    sizeof(j->err));
	if (j->status != 0)
		return;
	if (ndes_challenge_seal(&j->cl, pki->signing_cert, pki->signing_key, j->recipients,
	    &j->text, j->err, sizeof(j->err)) != 0) {
		j->text = NULL;
		return;
	}
	if ((p = cloudsim_find_profile(config, j->cl.profile_id)) != NULL)
		j->answer = admin_mint_answer(m->payloads[p - config->profiles], &j->cl, j->text,
		    sk_X509_num(j->recipients));
}

static void *
mint_worker(void *arg)
{
	struct cloudsim_mint *m = arg;
	struct mint_job *j;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (TAILQ_EMPTY(&m->todo) && !m->stop)
			pthread_cond_wait(&m->cond, &m->lock);
		if ((j = TAILQ_FIRST(&m->todo)) == NULL)
			break;
		TAILQ_REMOVE(&m->todo, j, entry);
		pthread_mutex_unlock(&m->lock);
		mint_seal(m, j);
		pthread_mutex_lock(&m->lock);
		TAILQ_INSERT_TAIL(&m->sealed, j, entry);
		pthread_cond_signal(&m->sealed_cond);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* The batch's records in one transaction; false when it cannot be
 * committed (nothing of it is then recorded). */
static bool
mint_record(struct cloudsim_store *st, struct mint_jobq *batch)
{
	struct cloudsim_challenge_rec rec;
	struct mint_job *j;
	bool ok = cloudsim_store_begin(st) == 0;

	TAILQ_FOREACH(j, batch, entry) {
		if (!ok || j->text == NULL)
			continue;
		rec = (struct cloudsim_challenge_rec){ .id = j->cl.challenge_id,
		    .device_id = j->cl.device_id, .profile = j->cl.profile_id,
		    .user_id = j->cl.user_id, .subject = j->cl.subject,
		    .issued_at = j->cl.issued_at, .expires_at = j->cl.expires_at,
		    .recipients = sk_X509_num(j->recipients) };
		ok = cloudsim_store_challenge_add(st, &rec) == 0;
	}
	if (ok && cloudsim_store_commit(st) == 0)
		return true;
	cloudsim_store_rollback(st);
	return false;
}

static void
mint_answer(struct mint_job *j, bool recorded)
{
	bool ok = j->status == 0 && j->text != NULL && recorded && j->answer != NULL;

	ndes_metric_add(j->call.svc->challenges, ok ? "ok" : "failed", NULL, 1);
	if (j->status != 0)
		api_error(&j->call, j->status, j->code, j->err);
	else if (j->text == NULL)
		api_error(&j->call, 500, "internal_error", j->err);
	else if (!recorded)
		api_error(&j->call, 500, "internal_error", "the state database failed");
	else if (j->answer == NULL)
		api_error(&j->call, 500, "internal_error", "out of memory");
	else {
		admin_mint_log(&j->cl, j->text, sk_X509_num(j->recipients));
		ndes_http_reply_raw(j->call.req, 201, "application/json", j->answer,
		    strlen(j->answer));
		api_end(&j->call);
	}
}

/* Committer: every sealed challenge waiting now, recorded in one
 * transaction (fsynced), then handed to the loop to answer; while it
 * commits, the loop reads, submits and answers, and the workers seal the
 * next batch.  Ends when the workers have ended and nothing is left. */
static void *
mint_committer(void *arg)
{
	struct cloudsim_mint *m = arg;
	struct mint_jobq batch = TAILQ_HEAD_INITIALIZER(batch);
	struct mint_job *j;
	bool recorded;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (TAILQ_EMPTY(&m->sealed) && !m->sealers_done)
			pthread_cond_wait(&m->sealed_cond, &m->lock);
		if (TAILQ_EMPTY(&m->sealed))
			break;
		TAILQ_CONCAT(&batch, &m->sealed, entry);
		pthread_mutex_unlock(&m->lock);
		recorded = mint_record(m->store, &batch);
		TAILQ_FOREACH(j, &batch, entry)
			j->recorded = recorded;
		pthread_mutex_lock(&m->lock);
		TAILQ_CONCAT(&m->recorded, &batch, entry);
		event_active(m->recorded_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Loop: every recorded batch waiting now, answered. */
static void
mint_recorded_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cloudsim_mint *m = arg;
	struct mint_jobq batch = TAILQ_HEAD_INITIALIZER(batch);
	struct mint_job *j;

	pthread_mutex_lock(&m->lock);
	TAILQ_CONCAT(&batch, &m->recorded, entry);
	pthread_mutex_unlock(&m->lock);
	while ((j = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, j, entry);
		mint_answer(j, j->recorded);
		mint_job_free(j);
	}
}

void
cloudsim_mint_submit(struct cloudsim_mint *m, struct api_call *call,
    const struct cloudsim_mint_req *r, STACK_OF(X509) *recipients)
{
	struct mint_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		api_error(call, 500, "internal_error", "out of memory");
		sk_X509_pop_free(recipients, X509_free);
		return;
	}
	j->call = *call;
	j->req = *r;
	j->recipients = recipients;
	memset(call, 0, sizeof(*call));
	pthread_mutex_lock(&m->lock);
	TAILQ_INSERT_TAIL(&m->todo, j, entry);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* Threads start with every signal blocked: signals go to the loop. */
static int
mint_start(struct cloudsim_mint *m)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < m->nworkers && rc == 0; i++) {
		if (pthread_create(&m->workers[i], NULL, mint_worker, m) != 0)
			rc = -1;
		else
			m->nstarted++;
	}
	if (rc == 0 && pthread_create(&m->committer, NULL, mint_committer, m) != 0)
		rc = -1;
	m->committer_started = rc == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Every profile's payload text; one may be NULL (no trusted root loaded:
 * its mints are answered 500, as before). */
static int
mint_payloads(struct cloudsim_mint *m)
{
	const struct cloudsim_config *config = m->svc->config;

	if ((m->payloads = calloc(config->n_profiles + 1, sizeof(*m->payloads))) == NULL)
		return -1;
	for (size_t i = 0; i < config->n_profiles; i++)
		m->payloads[i] = admin_payload_text(config, config->profiles[i].name);
	return 0;
}

struct cloudsim_mint *
cloudsim_mint_new(struct cloudsim_svc *svc, int nworkers)
{
	struct cloudsim_mint *m = calloc(1, sizeof(*m));
	char err[CLOUDSIM_ERR_MAX];

	if (m == NULL)
		return NULL;
	m->svc = svc;
	m->nworkers = nworkers < 2 ? 2 : nworkers;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	pthread_cond_init(&m->sealed_cond, NULL);
	TAILQ_INIT(&m->todo);
	TAILQ_INIT(&m->sealed);
	TAILQ_INIT(&m->recorded);
	m->workers = calloc((size_t)m->nworkers, sizeof(*m->workers));
	m->recorded_ev = event_new(svc->base, -1, 0, mint_recorded_cb, m);
	if ((m->store = cloudsim_store_open(svc->config->service.state_dir, err,
	    sizeof(err))) == NULL)
		log_warnx("%s", err);
	if (m->store == NULL || m->workers == NULL || m->recorded_ev == NULL ||
	    mint_payloads(m) != 0 || mint_start(m) != 0) {
		log_warnx("cannot start the minting threads");
		cloudsim_mint_free(m);
		return NULL;
	}
	return m;
}

/* The workers seal what is queued and end, then the committer records
 * what they sealed and ends; the loop answers it all. */
void
cloudsim_mint_free(struct cloudsim_mint *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	for (int i = 0; i < m->nstarted; i++)
		pthread_join(m->workers[i], NULL);
	pthread_mutex_lock(&m->lock);
	m->sealers_done = true;
	pthread_cond_signal(&m->sealed_cond);
	pthread_mutex_unlock(&m->lock);
	if (m->committer_started)
		pthread_join(m->committer, NULL);
	if (m->recorded_ev != NULL) {
		mint_recorded_cb(-1, 0, m);
		event_free(m->recorded_ev);
	}
	cloudsim_store_close(m->store);
	free(m->workers);
	for (size_t i = 0; m->payloads != NULL && i < m->svc->config->n_profiles; i++)
		free(m->payloads[i]);
	free(m->payloads);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	pthread_cond_destroy(&m->sealed_cond);
	free(m);
}

int
cloudsim_mint_nworkers(const struct cloudsim_mint *m)
{
	return m->nworkers;
}
