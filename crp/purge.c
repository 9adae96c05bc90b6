/* Purging the challenge records that expired purge_after ago (a timer in
 * crpd.c): one database job, no answer. */
#include "jobs.h"

#include <stdlib.h>

#include "challenge_store.h"
#include "crpd.h"
#include "log.h"
#include "work.h"

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
