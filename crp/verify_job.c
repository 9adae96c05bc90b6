/* A verification from request to answer: crypto and checks on a worker,
 * the one-time use record in the group commit (work.h), the event, then
 * the answer on the loop, through the request's reply (reply.h). */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenge_store.h"
#include "crpd.h"
#include "events.h"
#include "log.h"
#include "crp_metrics.h"
#include "verify.h"
#include "work.h"

struct crp_verify_job {
	struct crp_job		 job;
	struct crp_reply	 reply;
	uint8_t			*csr;
	size_t			 csr_len;
	char			*template_name;
	char			*transaction_id;
	struct crp_verify_result res;
	bool			 checks_ok;
	enum crp_store_outcome	 outcome;
	struct timespec		 started;	/* CLOCK_MONOTONIC: the latency metric */
};

static void
verify_emit(struct crp_verify_job *vj)
{
	struct crp_verify_result *r = &vj->res;
	struct ndes_event_ctx ctx = {
		.device_id = r->device_id,
		.user_id = r->user_id,
		.transaction_id = vj->transaction_id,
		.challenge_id = r->challenge_id,
		.template_name = vj->template_name != NULL && vj->template_name[0] != '\0' ?
		    vj->template_name : r->claims_template,
		.detail = r->reason[0] != '\0' ? r->reason : NULL,
	};

	ndes_event_emit(r->event, r->code, &ctx);
}

/* A request that names no transaction (micromdm's scepserver 2.1.0 sets no
 * $TRANSACTIONID for its hook) gets the SHA-256 of its public key: the
 * key-derived ID RFC 8894 recommends, the same on a client's retries.  It
 * is recorded, in the events, and returned in the reply (docs/crpd.md). */
static void
verify_name_transaction(struct crp_verify_job *vj)
{
	char *txn;

	if (vj->transaction_id[0] != '\0' || vj->res.pubkey_hash[0] == '\0')
		return;
	if ((txn = strdup(vj->res.pubkey_hash)) == NULL)
		fatal("verify job");
	free(vj->transaction_id);
	vj->transaction_id = txn;
}

static void
verify_work(struct crp_job *job, struct crpd *d)
{
	struct crp_verify_job *vj = (struct crp_verify_job *)job;
	struct crp_keyset *ks = crp_keyholder_get(&d->keys);
	struct crp_verify_params params = {
		.tenant_id = d->cfg.tenant_id,
		.now = crp_now(),
		.grace = d->cfg.challenge_grace,
	};

	vj->checks_ok = crp_verify(ks, &params, vj->csr, vj->csr_len, &vj->res);
	crp_keyset_unref(ks);
	verify_name_transaction(vj);
	job->need_db = vj->checks_ok;
	job->store_only = crp_store_has_txn(d->store);
	job->order_key = vj->res.challenge_id;
	if (!vj->checks_ok)
		verify_emit(vj);
}

static int
verify_db(struct crp_job *job, struct crpd *d)
{
	struct crp_verify_job *vj = (struct crp_verify_job *)job;
	struct crp_record rec = {
		.challenge_id = vj->res.challenge_id,
		.pubkey_hash = vj->res.pubkey_hash,
		.transaction_id = vj->transaction_id,
		.device_id = vj->res.device_id,
		.user_id = vj->res.user_id,
		.template_name = vj->template_name,
		.csr_der = vj->csr,
		.csr_len = vj->csr_len,
		.verified_at = crp_now(),
		.expires_at = vj->res.expires_at,
	};

	return crp_store_record_verification(d->store, &rec, &vj->outcome);
}

static void
verify_after_db(struct crp_job *job, struct crpd *d, bool committed)
{
	struct crp_verify_job *vj = (struct crp_verify_job *)job;
	struct crp_verify_result *r = &vj->res;

	if (!job->db_ok) {
		r->event = NDES_EV_CRP_VERIFY_FAILURE;
		r->code = job->db_code;
		snprintf(r->reason, sizeof(r->reason), "the verification could not be "
		    "recorded (%.180s): refused; try again", job->db_error);
	} else if (vj->outcome == CRP_STORE_REPLAY_OTHER_KEY ||
	    vj->outcome == CRP_STORE_REPLAY_ISSUED) {
		r->event = NDES_EV_CRP_VERIFY_WARNING;
		r->code = NDES_DIAG_CHALLENGE_REPLAYED;
		snprintf(r->reason, sizeof(r->reason), "challenge already used (%s)",
		    crp_store_outcome_name(vj->outcome));
	} else if (vj->outcome == CRP_STORE_SAME_KEY_RETRY)
		snprintf(r->reason, sizeof(r->reason), "verified again for the same key");
	verify_emit(vj);
}

static void
verify_job_free(struct crp_verify_job *vj)
{
	crp_reply_release(&vj->reply);
	crp_verify_result_clear(&vj->res);
	free(vj->csr);
	free(vj->template_name);
	free(vj->transaction_id);
	free(vj);
}

static void
verify_done(struct crp_job *job, struct crpd *d)
{
	struct crp_verify_job *vj = (struct crp_verify_job *)job;
	const struct crp_verify_result *r = &vj->res;
	struct crp_verify_answer a = {
		.verified = r->event == NDES_EV_CRP_VERIFY_SUCCESS,
		.event_id = ndes_event_id(r->event),
		.code = r->code,
		.reason = r->reason,
		.challenge_id = r->challenge_id,
		.device_id = r->device_id,
		.user_id = r->user_id,
		.transaction_id = vj->transaction_id,
	};

	if (vj->reply.ops != NULL)
		vj->reply.ops->verified(vj->reply.state, &a);
	crp_metrics_verified(d, r->event, r->code, &vj->started);
	crp_release(d);
	verify_job_free(vj);
}

static const struct crp_job_ops verify_ops = {
	.name = "verify",
	.work = verify_work,
	.db = verify_db,
	.after_db = verify_after_db,
	.records = true,
	.done = verify_done,
};

static char *
strdup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

void
crp_verify_submit(struct crpd *d, struct crp_reply *reply, const uint8_t *csr,
    size_t csr_len, const char *template_name, const char *transaction_id)
{
	struct crp_verify_job *vj = calloc(1, sizeof(*vj));

	if (vj == NULL)
		fatal("verify job");
	crp_job_init(&vj->job, &verify_ops, false);
	clock_gettime(CLOCK_MONOTONIC, &vj->started);
	vj->reply = crp_reply_take(reply);
	vj->csr = malloc(csr_len > 0 ? csr_len : 1);
	vj->template_name = strdup_or_empty(template_name);
	vj->transaction_id = strdup_or_empty(transaction_id);
	if (vj->csr == NULL || vj->template_name == NULL || vj->transaction_id == NULL)
		fatal("verify job");
	if (csr_len > 0)
		memcpy(vj->csr, csr, csr_len);
	vj->csr_len = csr_len;
	vj->res.event = NDES_EV_CRP_VERIFY_FAILURE;
	vj->res.code = NDES_DIAG_UNKNOWN_ERROR;
	snprintf(vj->res.reason, sizeof(vj->res.reason), "ndes-crpd is shutting down");
	if (crp_work_submit(d->work, &vj->job) == -1)
		verify_done(&vj->job, d);
}
