/* Reloading the CRP keys and signing certificates (SIGHUP, RELOAD). */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crpd.h"
#include "log.h"
#include "work.h"

struct reload_job {
	struct crp_job		 job;
	struct crp_reply	 reply;
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
	struct crp_reload_answer a = { .status = rj->status, .message = rj->message };

	if (rj->reply.ops != NULL)
		rj->reply.ops->reloaded(rj->reply.state, &a);
	crp_reply_release(&rj->reply);
	free(rj);
}

static const struct crp_job_ops reload_ops = {
	.name = "reload",
	.work = reload_work,
	.done = reload_done,
};

void
crp_reload_submit(struct crpd *d, struct crp_reply *reply)
{
	struct reload_job *rj = calloc(1, sizeof(*rj));

	if (rj == NULL)
		fatal("reload job");
	crp_job_init(&rj->job, &reload_ops, false);
	rj->reply = crp_reply_take(reply);
	rj->status = 1;
	snprintf(rj->message, sizeof(rj->message), "ndes-crpd is shutting down");
	if (crp_work_submit(d->work, &rj->job) == -1)
		reload_done(&rj->job, d);
}
