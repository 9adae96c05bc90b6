/* Reloading the CRP keys and signing certificates (SIGHUP, RELOAD), and
 * purging expired challenge records. */
#include "crpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge_store.h"
#include "ipc_peer.h"
#include "log.h"
#include "work.h"

struct reload_job {
	struct crp_job		 job;
	struct crp_reply_to	 to;
	uint32_t		 status;
	char			 message[600];
};

/* Load; install the new set unless a file that exists could not be used
 * (then the current set stays, so a half-written download does no harm). */
static uint32_t
reload_load(struct crpd *d, bool initial, char *msg, size_t msglen)
{
	struct crp_keyset *ks;
	char summary[128], err[400];

	if (crp_keyset_load(&d->key_paths, &ks, summary, sizeof(summary), err,
	    sizeof(err)) == 0) {
		crp_keyholder_set(&d->keys, ks);
		snprintf(msg, msglen, "loaded %s", summary);
		if (ks->n_keys == 0)
			log_warnx("no CRP encryption key in %s yet: verifications fail with "
			    "0x00000408 until the connector registers and sends RELOAD",
			    d->key_paths.crp_key);
		if (sk_X509_num(ks->signing) == 0)
			log_warnx("no challenge-signing certificate in %s yet: verifications "
			    "fail with 0x00000409", d->key_paths.signing_certs);
		return 0;
	}
	if (initial) {
		crp_keyholder_set(&d->keys, ks);
		snprintf(msg, msglen, "%s; loaded %s", err, summary);
	} else {
		crp_keyset_unref(ks);
		snprintf(msg, msglen, "%s; the keys loaded before stay in use", err);
	}
	return 1;
}

void
crp_reload_initial(struct crpd *d)
{
	char msg[600];

	if (reload_load(d, true, msg, sizeof(msg)) == 0)
		log_info("keys: %s", msg);
	else
		log_warnx("keys: %s", msg);
}

static void
reload_work(struct crp_job *job, struct crpd *d)
{
	struct reload_job *rj = (struct reload_job *)job;

	rj->status = reload_load(d, false, rj->message, sizeof(rj->message));
	if (rj->status == 0)
		log_info("reload: %s", rj->message);
	else
		log_warnx("reload: %s", rj->message);
}

static void
reload_done(struct crp_job *job, struct crpd *d)
{
	struct reload_job *rj = (struct reload_job *)job;
	struct ndes_ipc_msg *m;

	if (rj->to.kind == CRP_REPLY_IPC) {
		m = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD_REPLY, 0);
		ndes_ipc_msg_add_u32(m, rj->status);
		ndes_ipc_msg_add_str(m, rj->message);
		crp_reply_ipc(&rj->to, m);
	}
	crp_reply_release(&rj->to);
	free(rj);
}

static const struct crp_job_ops reload_ops = {
	.name = "reload",
	.work = reload_work,
	.done = reload_done,
};

void
crp_reload_submit(struct crpd *d, struct crp_reply_to *to)
{
	struct reload_job *rj = calloc(1, sizeof(*rj));

	if (rj == NULL)
		fatal("reload job");
	crp_job_init(&rj->job, &reload_ops, false);
	rj->to = *to;
	to->kind = CRP_REPLY_NONE;
	to->peer = NULL;
	rj->status = 1;
	snprintf(rj->message, sizeof(rj->message), "ndes-crpd is shutting down");
	if (crp_work_submit(d->work, &rj->job) == -1)
		reload_done(&rj->job, d);
}

struct purge_job {
	struct crp_job	 job;
	int64_t		 before;
	int64_t		 purged;
};

static int
purge_db(struct crp_job *job, struct crpd *d)
{
	struct purge_job *pj = (struct purge_job *)job;

	return crp_store_purge_expired(d->store, pj->before, &pj->purged);
}

static void
purge_after_db(struct crp_job *job, struct crpd *d, bool committed)
{
	struct purge_job *pj = (struct purge_job *)job;

	if (!job->db_ok)
		log_warnx("purge: the expired challenge records could not be deleted");
	else if (pj->purged > 0)
		log_info("purge: deleted %lld challenge record%s that expired before %lld",
		    (long long)pj->purged, pj->purged == 1 ? "" : "s", (long long)pj->before);
}

static void
purge_done(struct crp_job *job, struct crpd *d)
{
	free(job);
}

static const struct crp_job_ops purge_ops = {
	.name = "purge",
	.db = purge_db,
	.after_db = purge_after_db,
	.done = purge_done,
};

void
crp_purge_submit(struct crpd *d)
{
	struct purge_job *pj = calloc(1, sizeof(*pj));

	if (pj == NULL)
		fatal("purge job");
	crp_job_init(&pj->job, &purge_ops, true);
	pj->before = crp_now() - d->cfg.purge_after;
	if (crp_work_submit(d->work, &pj->job) == -1)
		free(pj);
}
