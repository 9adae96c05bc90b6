/* Notifications recorded in groups, answered after their commit
 * (notify_batch.h). */
#include "notify_batch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "service.h"
#include "store.h"

struct notify_job {
	TAILQ_ENTRY(notify_job)	 entry;
	struct api_call		 call;
	const char		*kind;		/* static */
	const json_t		*n;		/* inside call.body */
	const char		*txid;		/* inside n */
	int			 recorded;	/* 1 new, 0 a repeat */
};

TAILQ_HEAD(notify_jobq, notify_job);

struct cloudsim_notify_batch {
	struct cloudsim_svc	*svc;
	struct notify_jobq	 waiting;
	struct event		*ev;
};

/* One notification and the revocation it may ask for, inside the group's
 * transaction: 0, or -1 when the store failed. */
static int
notify_record(struct cloudsim_svc *svc, struct notify_job *j, int64_t now)
{
	char *text = json_dumps(j->n, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	rc = text == NULL ? -1 : cloudsim_store_notification_add(svc->store, j->kind, j->txid,
	    j->call.connector_id, j->call.request_id, text, now);
	free(text);
	if (rc == 1 && api_conformance_revocation(svc, j->n, j->call.connector_id) != 0)
		rc = -1;
	if (rc < 0)
		return -1;
	j->recorded = rc;
	return 0;
}

/* The group in one transaction: true when it committed. */
static bool
notify_record_all(struct cloudsim_svc *svc, struct notify_jobq *group)
{
	struct notify_job *j;
	int64_t now = time(NULL);
	bool ok = cloudsim_store_begin(svc->store) == 0;

	TAILQ_FOREACH(j, group, entry)
		if (ok && notify_record(svc, j, now) != 0)
			ok = false;
	if (ok && cloudsim_store_commit(svc->store) == 0)
		return true;
	cloudsim_store_rollback(svc->store);
	return false;
}

static void
notify_answer(struct notify_job *j, bool committed)
{
	if (!committed) {
		api_error(&j->call, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("%s notification for transaction %s from connector %s%s", j->kind, j->txid,
	    j->call.connector_id, j->recorded ? "" : ": a repeat, not recorded again");
	api_reply(&j->call, 200, j->recorded ? json_pack("{s:b}", "recorded", 1) :
	    json_pack("{s:b, s:b}", "recorded", 0, "duplicate", 1));
}

/* Loop: every notification waiting now, recorded together, then answered. */
static void
notify_group_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cloudsim_notify_batch *b = arg;
	struct notify_jobq group = TAILQ_HEAD_INITIALIZER(group);
	struct notify_job *j;
	bool committed;

	(void)fd;
	(void)what;
	TAILQ_CONCAT(&group, &b->waiting, entry);
	if (TAILQ_EMPTY(&group))
		return;
	committed = notify_record_all(b->svc, &group);
	while ((j = TAILQ_FIRST(&group)) != NULL) {
		TAILQ_REMOVE(&group, j, entry);
		notify_answer(j, committed);
		free(j);
	}
}

struct cloudsim_notify_batch *
cloudsim_notify_batch_new(struct cloudsim_svc *svc)
{
	struct cloudsim_notify_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->svc = svc;
	TAILQ_INIT(&b->waiting);
	if ((b->ev = event_new(svc->base, -1, 0, notify_group_cb, b)) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
cloudsim_notify_batch_free(struct cloudsim_notify_batch *b)
{
	if (b == NULL)
		return;
	notify_group_cb(-1, 0, b);
	event_free(b->ev);
	free(b);
}

void
cloudsim_notify_batch_submit(struct cloudsim_notify_batch *b, struct api_call *call,
    const char *kind, const json_t *n, const char *txid)
{
	struct notify_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		api_error(call, 500, "internal_error", "out of memory");
		return;
	}
	*j = (struct notify_job){ .call = *call, .kind = kind, .n = n, .txid = txid };
	TAILQ_INSERT_TAIL(&b->waiting, j, entry);
	event_active(b->ev, 0, 0);
}
