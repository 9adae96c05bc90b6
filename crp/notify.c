/* NOTIFY: the SCEP server reports what became of a verified request.  The
 * outcome is recorded and, for Success and Failure, a notification is put
 * in the outbox (same transaction), from where link.c hands it to the
 * connector (woken by the daemon's outbox_queued). */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "challenge.h"
#include "challenge_store.h"
#include "conformance_run.h"
#include "crp_db.h"
#include "crpd.h"
#include "disposition.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"
#include "notification.h"
#include "outbox.h"
#include "uuid.h"
#include "verify.h"
#include "work.h"

struct crp_notify_job {
	struct crp_job		 job;
	struct crp_reply	 reply;
	/* request */
	char			*challenge, *transaction_id, *description;
	int64_t			 disposition;
	uint32_t		 hresult;
	uint8_t			*cert_der;
	size_t			 cert_len;
	/* worker */
	char			*challenge_id;		/* from the challenge, if it opens */
	struct ndes_challenge_claims claims;		/* idem (has_claims) */
	bool			 has_claims;
	struct crp_issued_cert	 cert;
	X509			*x509;			/* the same, parsed (has_cert) */
	bool			 has_cert;
	/* db */
	bool			 matched, queued, duplicate, other_key;
	struct crp_record	 rec;
	struct crp_outbox_item	 item;
	struct crp_conformance	 conformance;		/* success with a certificate */
	bool			 conformance_ran;
	char			 notification_id[NDES_UUID_LEN + 1];
	/* answer */
	bool			 accepted, bad_request;
	uint32_t		 code;
	char			 message[256];
};

/* The claims of the challenge text, opened again with the current keys
 * (none when it does not open: the other lookups remain). */
static void
notify_open_challenge(struct crp_notify_job *nj, struct crpd *d)
{
	struct crp_keyset *ks = crp_keyholder_get(&d->keys);
	char err[NDES_ERR_MAX];

	if (ks != NULL && ndes_challenge_open(nj->challenge, strlen(nj->challenge), ks->keys,
	    ks->n_keys, ks->signing, &nj->claims, err, sizeof(err)) == NDES_CHALLENGE_OK) {
		nj->has_claims = true;
		nj->challenge_id = strdup(nj->claims.challenge_id);
	}
	crp_keyset_unref(ks);
}

static void
notify_work(struct crp_job *job, struct crpd *d)
{
	struct crp_notify_job *nj = (struct crp_notify_job *)job;

	if (nj->challenge[0] != '\0')
		notify_open_challenge(nj, d);
	job->order_key = nj->challenge_id;
	if (nj->cert_len > 0) {
		if (crp_issued_cert_read(nj->cert_der, nj->cert_len, &nj->cert, nj->message,
		    sizeof(nj->message), &nj->x509) == -1) {
			nj->bad_request = true;
			return;
		}
		nj->has_cert = true;
	} else if (nj->disposition == NDES_POLICY_DISPOSITION_SUCCESS) {
		snprintf(nj->message, sizeof(nj->message),
		    "a Success notification needs the issued certificate");
		nj->bad_request = true;
		return;
	}
	job->need_db = true;
	job->must_sync = true;	/* acknowledged once stored: on disk first */
}

/* By the challenge's ID, else by the issued certificate's key, else by
 * transaction. */
static int
notify_lookup(struct crp_notify_job *nj, struct crpd *d)
{
	int rc = 0;

	if (nj->challenge_id != NULL)
		rc = crp_store_lookup(d->store, CRP_LOOKUP_CHALLENGE_ID, nj->challenge_id,
		    &nj->rec);
	if (rc == 0 && nj->has_cert)
		rc = crp_store_lookup(d->store, CRP_LOOKUP_PUBKEY_HASH, nj->cert.pubkey_hash,
		    &nj->rec);
	if (rc == 0 && nj->transaction_id[0] != '\0')
		rc = crp_store_lookup(d->store, CRP_LOOKUP_TRANSACTION_ID, nj->transaction_id,
		    &nj->rec);
	return rc;
}

static char *
notify_body(struct crp_notify_job *nj, struct crpd *d)
{
	struct crp_notification_common c = {
		.transaction_id = nj->transaction_id[0] != '\0' ? nj->transaction_id :
		    nj->rec.transaction_id,
		.csr_der = nj->rec.csr_der,
		.csr_len = nj->rec.csr_len,
	};

	if (nj->disposition == NDES_POLICY_DISPOSITION_SUCCESS)
		return crp_notification_success(&c, &nj->cert, d->cfg.ca_configuration,
		    d->cfg.certificate_authority, crp_conformance_json(&nj->conformance));
	return crp_notification_failure(&c, nj->hresult, nj->description);
}

static int
notify_queue(struct crp_notify_job *nj, struct crpd *d)
{
	struct crp_outbox_item *it = &nj->item;
	bool success = nj->disposition == NDES_POLICY_DISPOSITION_SUCCESS;
	int rc;

	if (success) {
		crp_conformance_run(d, &nj->rec, nj->has_claims ? &nj->claims : NULL, nj->x509,
		    &nj->conformance);
		nj->conformance_ran = true;
		nj->conformance.revoke = d->cfg.conformance == CRPD_CONFORMANCE_REVOKE &&
		    nj->conformance.checked && nj->conformance.result.n > 0;
	}
	if (ndes_uuid4(nj->notification_id) == -1 || (it->body = notify_body(nj, d)) == NULL)
		return -1;
	it->notification_id = nj->notification_id;
	it->kind = success ? CRP_NOTIFY_KIND_SUCCESS : CRP_NOTIFY_KIND_FAILURE;
	it->transaction_id = nj->transaction_id[0] != '\0' ? nj->transaction_id :
	    nj->rec.transaction_id;
	it->challenge_id = nj->rec.challenge_id;
	it->device_id = nj->rec.device_id;
	it->user_id = nj->rec.user_id;
	it->thumbprint = success ? nj->cert.thumbprint : NULL;
	it->serial_number = success ? nj->cert.serial : NULL;
	rc = crp_outbox_insert(d->db, it, crp_now());
	nj->queued = rc == 0;
	if (rc == 0 && success && crp_store_mark_issued(d->store, nj->rec.challenge_id,
	    crp_now(), nj->cert.thumbprint) != 1)
		rc = -1;
	return rc;
}

static int
notify_db(struct crp_job *job, struct crpd *d)
{
	struct crp_notify_job *nj = (struct crp_notify_job *)job;
	int rc;

	if ((rc = notify_lookup(nj, d)) <= 0)
		return rc;
	/* A certificate counts only for the key that was verified: the
	 * notification's challenge or transaction ID do not make another
	 * key's certificate this request's. */
	if (nj->has_cert && (nj->rec.pubkey_hash == NULL ||
	    strcasecmp(nj->rec.pubkey_hash, nj->cert.pubkey_hash) != 0)) {
		nj->other_key = true;
		return 0;
	}
	nj->matched = true;
	/* The outbox first, the store's writes last: a job cannot be undone
	 * alone once it wrote to a store with transactions of its own (work.h). */
	if (nj->disposition == NDES_POLICY_DISPOSITION_SUCCESS && nj->rec.state == CRP_RECORD_ISSUED &&
	    nj->rec.issued_thumbprint != NULL &&
	    strcmp(nj->rec.issued_thumbprint, nj->cert.thumbprint) == 0)
		nj->duplicate = true;
	else if ((nj->disposition == NDES_POLICY_DISPOSITION_SUCCESS ||
	    nj->disposition == NDES_POLICY_DISPOSITION_FAILURE) && notify_queue(nj, d) == -1)
		return -1;
	return crp_store_set_disposition(d->store, nj->rec.challenge_id, nj->disposition) == -1 ?
	    -1 : 0;
}

static void
notify_emit_failure(struct crp_notify_job *nj, uint32_t code)
{
	struct ndes_event_ctx ctx = {
		.transaction_id = nj->transaction_id[0] != '\0' ? nj->transaction_id : NULL,
		.thumbprint = nj->has_cert ? nj->cert.thumbprint : NULL,
		.serial_number = nj->has_cert ? nj->cert.serial : NULL,
		.detail = nj->message,
	};

	ndes_event_emit(NDES_EV_CRP_NOTIFY_FAILURE, code, &ctx);
}

static void
notify_emit_conformance(struct crp_notify_job *nj)
{
	struct ndes_event_ctx ctx = {
		.transaction_id = nj->item.transaction_id,
		.challenge_id = nj->rec.challenge_id,
		.device_id = nj->rec.device_id,
		.user_id = nj->rec.user_id,
		.template_name = nj->rec.template_name,
		.thumbprint = nj->cert.thumbprint,
		.serial_number = nj->cert.serial,
	};

	crp_conformance_emit(&nj->conformance, &ctx);
}

static void
notify_after_db(struct crp_job *job, struct crpd *d, bool committed)
{
	struct crp_notify_job *nj = (struct crp_notify_job *)job;

	if (!job->db_ok) {
		nj->code = job->db_code;
		snprintf(nj->message, sizeof(nj->message), "the notification could not be stored "
		    "(%.180s): refused; try again", job->db_error);
		notify_emit_failure(nj, nj->code);
	} else if (!nj->matched) {
		nj->code = NDES_DIAG_NOTIFY_UNKNOWN_CHALLENGE;
		snprintf(nj->message, sizeof(nj->message), "%s", nj->other_key ?
		    "the issued certificate is for another public key than the verified request "
		    "this notification names" : "no verified request matches this "
		    "notification (challenge, issued certificate's key or transaction ID)");
		notify_emit_failure(nj, nj->code);
	} else {
		if (nj->queued && nj->conformance_ran)
			notify_emit_conformance(nj);
		nj->accepted = true;
		nj->code = NDES_DIAG_SUCCESS;
		snprintf(nj->message, sizeof(nj->message), "%s", nj->queued ?
		    "recorded; the notification is queued for the connector" : nj->duplicate ?
		    "recorded before; nothing new to send" : "recorded");
	}
}

static void
notify_job_free(struct crp_notify_job *nj)
{
	crp_reply_release(&nj->reply);
	crp_issued_cert_clear(&nj->cert);
	X509_free(nj->x509);
	crp_record_clear(&nj->rec);
	ndes_challenge_claims_clear(&nj->claims);
	free(nj->item.body);
	free(nj->challenge);
	free(nj->challenge_id);
	free(nj->transaction_id);
	free(nj->description);
	free(nj->cert_der);
	free(nj);
}

static void
notify_done(struct crp_job *job, struct crpd *d)
{
	struct crp_notify_job *nj = (struct crp_notify_job *)job;
	struct crp_notify_answer a = {
		.bad_request = nj->bad_request,
		.accepted = nj->accepted,
		.code = nj->code,
		.message = nj->message,
	};

	if (nj->reply.ops != NULL)
		nj->reply.ops->notified(nj->reply.state, &a);
	if (nj->queued && !d->stopping && d->outbox_queued != NULL)
		d->outbox_queued(d);
	crp_release(d);
	notify_job_free(nj);
}

static const struct crp_job_ops notify_ops = {
	.name = "notify",
	.work = notify_work,
	.db = notify_db,
	.after_db = notify_after_db,
	.records = true,
	.done = notify_done,
};

void
crp_notify_submit(struct crpd *d, struct crp_reply *reply, const struct crp_notify_in *in)
{
	struct crp_notify_job *nj = calloc(1, sizeof(*nj));

	if (nj == NULL)
		fatal("notify job");
	crp_job_init(&nj->job, &notify_ops, false);
	nj->reply = crp_reply_take(reply);
	nj->challenge = strdup(in->challenge != NULL ? in->challenge : "");
	nj->transaction_id = strdup(in->transaction_id != NULL ? in->transaction_id : "");
	nj->description = strdup(in->description != NULL ? in->description : "");
	nj->cert_der = malloc(in->cert_len > 0 ? in->cert_len : 1);
	if (nj->challenge == NULL || nj->transaction_id == NULL || nj->description == NULL ||
	    nj->cert_der == NULL)
		fatal("notify job");
	if (in->cert_len > 0)
		memcpy(nj->cert_der, in->cert_der, in->cert_len);
	nj->cert_len = in->cert_len;
	nj->disposition = in->disposition;
	nj->hresult = in->last_hresult;
	nj->code = NDES_DIAG_UNKNOWN_ERROR;
	snprintf(nj->message, sizeof(nj->message), "ndes-crpd is shutting down");
	if (crp_work_submit(d->work, &nj->job) == -1)
		notify_done(&nj->job, d);
}
