/* The upload part (connector/d_upload.c) against a stand-in cloud and a
 * real outbox: backoff growth, cap and reset, a commit that fails counts as
 * a failed upload, refusals for good mark items (a refused batch is split to
 * find the one), retryable failures keep them; the "upload" error kept until
 * a clean batch clears it in the batch's own commit. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "conn_outbox.h"
#include "d_note.h"
#include "d_upload.h"
#include "test_connd_util.h"
#include "test_connector_util.h"

static struct tcd t;
static struct connd_caller caller;
static struct connd_upload *up;

static void
setup(void)
{
	tc_setup();
	tcd_setup(&t, "outbox: {batch_size: 3, backoff_initial: 2s, backoff_max: 10s}\n"
	    "downloads: {interval: 60s}");
	caller = tcd_caller();
	up = connd_upload_new(&t.env, &caller);
	cr_assert_not_null(up);
	connd_upload_start(up);
}

static void
teardown(void)
{
	connd_upload_free(up);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(upload, .init = setup, .fini = teardown);

static void
add_notification(const char *id)
{
	char key[64], body[128];

	snprintf(key, sizeof(key), "n:%s", id);
	snprintf(body, sizeof(body), "{\"transactionId\":\"%s\"}", id);
	cr_assert_eq(conn_outbox_add(t.env.ob, "failureNotification", key, body),
	    CONN_OUTBOX_ADDED);
}

static void
add_result(const char *id)
{
	char key[64], body[128];

	snprintf(key, sizeof(key), "p:%s", id);
	snprintf(body, sizeof(body), "{\"requestId\":\"%s\",\"succeeded\":true}", id);
	cr_assert_eq(conn_outbox_add(t.env.ob, "pkcsResult", key, body), CONN_OUTBOX_ADDED);
}

/* One round: the one call it makes, answered with status. */
static void
round_answered(const char *call, int status)
{
	connd_upload_run(up);
	cr_assert_eq(tcd_pending(), 1, "one call, not %zu", tcd_pending());
	cr_assert_str_eq(tcd_pending_call(0), call);
	tcd_answer(status, status == 503 ? "{\"error\":{\"code\":\"unavailable\",\"message\":"
	    "\"try again later\"}}" : status == 400 ? "{\"error\":{\"code\":\"bad_request\","
	    "\"message\":\"callerInfo is missing\"}}" : NULL);
}

/* The keys left in the outbox, "k1 k2!" (! for rejected). */
static const char *
left(void)
{
	static char buf[256];
	struct conn_outbox_item *it;
	size_t n;

	buf[0] = '\0';
	cr_assert_eq(conn_outbox_list(t.env.ob, 100, &it, &n), 0);
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s%s", i ? " " : "",
		    it[i].key, it[i].rejected ? "!" : "");
	conn_outbox_items_free(it, n);
	return buf;
}

static void
assert_due_within(int64_t backoff)
{
	time_t due = connd_upload_due(up);

	cr_assert(due >= tcd_time + backoff / 2 - 1 && due <= tcd_time + backoff,
	    "next upload in %lld s, backoff %lld s", (long long)(due - tcd_time),
	    (long long)backoff);
}

Test(upload, backoff_doubles_up_to_the_cap_and_resets_on_success)
{
	static const int64_t want[] = { 2, 4, 8, 10, 10 };

	add_notification("t1");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		round_answered("POST /ScepActions/failureNotification", 503);
		cr_assert_eq(connd_upload_backoff(up), want[i], "failure %zu: backoff %lld", i + 1,
		    (long long)connd_upload_backoff(up));
		assert_due_within(want[i]);
	}
	cr_assert_eq(tcd_events(&t, "20302", "0x00001204"), 5);
	cr_assert_str_eq(left(), "n:t1");
	round_answered("POST /ScepActions/failureNotification", 200);
	cr_assert_eq(connd_upload_backoff(up), 0);
	cr_assert_eq(connd_upload_due(up), tcd_time);
	cr_assert_str_eq(left(), "");
	cr_assert_eq(tcd_events(&t, "20300", "0x00000000"), 1);
	/* and the next failure starts again at backoff_initial */
	add_notification("t2");
	round_answered("POST /ScepActions/failureNotification", 503);
	cr_assert_eq(connd_upload_backoff(up), 2);
}

Test(upload, new_items_wait_for_a_running_backoff)
{
	time_t due;

	add_notification("t1");
	round_answered("POST /ScepActions/failureNotification", 0);
	cr_assert_eq(tcd_events(&t, "20302", "0x00001202"), 1);
	due = connd_upload_due(up);
	cr_assert_gt(due, tcd_time);
	add_notification("t2");
	connd_upload_kick(up);
	cr_assert_eq(connd_upload_due(up), due, "a kick during the backoff moved the timer");
	tcd_time = due;
	connd_upload_kick(up);
	cr_assert_eq(connd_upload_due(up), due, "the timer is still pending: nothing moves");
	tcd_time = due + 1;
	cr_assert_eq(tcd_pending(), 0);
}

/* Another connection holds the outbox's write lock for 7 s: longer than the
 * busy timeout (5 s) of the removal that starts at once, shorter than that
 * of the notes written after it. */
static pthread_mutex_t lock_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lock_cv = PTHREAD_COND_INITIALIZER;
static int lock_held;

static void *
hold_write_lock(void *arg)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(t.st.outbox_db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	pthread_mutex_lock(&lock_mu);
	lock_held = 1;
	pthread_cond_signal(&lock_cv);
	pthread_mutex_unlock(&lock_mu);
	sleep(7);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

Test(upload, a_delivery_the_outbox_cannot_record_is_a_failure)
{
	pthread_t th;

	add_notification("t1");
	cr_assert_eq(pthread_create(&th, NULL, hold_write_lock, NULL), 0);
	pthread_mutex_lock(&lock_mu);
	while (!lock_held)
		pthread_cond_wait(&lock_cv, &lock_mu);
	pthread_mutex_unlock(&lock_mu);
	/* the cloud confirms, but the removal cannot commit */
	round_answered("POST /ScepActions/failureNotification", 200);
	pthread_join(th, NULL);
	cr_assert_eq(connd_upload_backoff(up), 2);
	cr_assert_eq(tcd_events(&t, "20302", "0x00001205"), 1);
	cr_assert_eq(tcd_events(&t, "20300", NULL), 0, "20300 for an item still queued");
	cr_assert_str_eq(left(), "n:t1");
	/* sent again after the backoff (the cloud keeps one copy) */
	round_answered("POST /ScepActions/failureNotification", 200);
	cr_assert_str_eq(left(), "");
	cr_assert_eq(connd_upload_backoff(up), 0);
	cr_assert_eq(tcd_events(&t, "20300", "0x00000000"), 1);
}

Test(upload, a_refusal_for_good_marks_the_item_and_the_batch_goes_on)
{
	add_notification("bad");
	add_notification("good");
	connd_upload_run(up);
	/* the same batch: both calls in flight at once */
	cr_assert_eq(tcd_pending(), 2);
	cr_assert_str_eq(tcd_pending_body(0), "{\"transactionId\":\"bad\"}");
	cr_assert_str_eq(tcd_pending_body(1), "{\"transactionId\":\"good\"}");
	tcd_answer(400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"no\"}}");
	tcd_answer(200, NULL);
	cr_assert_str_eq(left(), "n:bad!");
	cr_assert_eq(connd_upload_backoff(up), 0, "a refusal for good is no reason to wait");
	cr_assert_eq(tcd_events(&t, "20300", "0x00000000"), 1);
	cr_assert_eq(tcd_events(&t, "20302", "0x00001204"), 1);
	/* a rejected item is never sent again */
	connd_upload_run(up);
	cr_assert_eq(tcd_pending(), 0);
}

/* Notifications go out several at once and the outbox records the batch
 * when the last one is answered (one transaction). */
Test(upload, notifications_in_flight_at_once_settle_together)
{
	add_notification("n1");
	add_notification("n2");
	add_notification("n3");
	connd_upload_run(up);
	cr_assert_eq(tcd_pending(), 3, "all three in flight, not %zu", tcd_pending());
	tcd_answer(200, NULL);
	tcd_answer(200, NULL);
	cr_assert_str_eq(left(), "n:n1 n:n2 n:n3", "settled before the batch ended");
	tcd_answer(200, NULL);
	cr_assert_str_eq(left(), "");
	cr_assert_eq(tcd_events(&t, "20300", "0x00000000"), 1);
}

/* A notification that must wait stops the batch: no new calls, those in
 * flight are recorded, the rest wait for the backoff. */
Test(upload, a_failure_starts_no_more_calls_of_the_batch)
{
	for (int i = 0; i < 12; i++) {
		char id[8];

		snprintf(id, sizeof(id), "m%02d", i);
		add_notification(id);
	}
	t.cfg.outbox.batch_size = 12;
	connd_upload_run(up);
	cr_assert_eq(tcd_pending(), 8, "NDES_HTTP_MAX_CONNECTIONS in flight, not %zu",
	    tcd_pending());
	tcd_answer(503, NULL);
	for (int i = 0; i < 7; i++)
		tcd_answer(200, NULL);
	cr_assert_eq(tcd_pending(), 0, "no call started after the failure");
	cr_assert_eq(connd_upload_backoff(up), 2);
	cr_assert_eq(tcd_events(&t, "20302", "0x00001204"), 1);
}

Test(upload, a_refused_batch_of_results_is_sent_one_by_one_to_find_the_culprit)
{
	add_result("r1");
	add_result("r2");
	add_result("r3");
	connd_upload_run(up);
	cr_assert_str_eq(tcd_pending_call(0), "POST /PkcsRequests/uploadResults");
	cr_assert_not_null(strstr(tcd_pending_body(0), "\"r3\""));
	tcd_answer(400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"no such request\"}}");
	cr_assert_str_eq(left(), "p:r1 p:r2 p:r3", "nothing marked before the culprit is known");
	round_answered("POST /PkcsRequests/uploadResults", 200);
	round_answered("POST /PkcsRequests/uploadResults", 400);
	cr_assert_str_eq(left(), "p:r2! p:r3");
	round_answered("POST /PkcsRequests/uploadResults", 200);
	cr_assert_str_eq(left(), "p:r2!");
	cr_assert_eq(connd_upload_backoff(up), 0);
	/* one at a time until as many went through as the refused batch held
	 * (the refused one does not count), then batches again */
	add_result("r4");
	add_result("r5");
	add_result("r6");
	connd_upload_run(up);
	cr_assert_str_eq(tcd_pending_body(0), "{\"results\":[{\"requestId\":\"r4\","
	    "\"succeeded\":true}]}");
	tcd_answer(200, NULL);
	connd_upload_run(up);
	cr_assert_not_null(strstr(tcd_pending_body(0), "\"r6\""), "%s", tcd_pending_body(0));
	tcd_answer(200, NULL);
	cr_assert_str_eq(left(), "p:r2!");
}

Test(upload, a_retryable_failure_keeps_the_items_with_the_reason)
{
	struct conn_outbox_item *it;
	size_t n;

	add_result("r1");
	add_result("r2");
	round_answered("POST /PkcsRequests/uploadResults", 503);
	cr_assert_eq(connd_upload_backoff(up), 2);
	cr_assert_eq(conn_outbox_fetch(t.env.ob, "p:", 10, &it, &n), 0);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(it[i].attempts, 1);
		cr_assert_not(it[i].rejected);
		cr_assert_not_null(strstr(it[i].last_error, "503"), "%s", it[i].last_error);
	}
	conn_outbox_items_free(it, n);
}

Test(upload, nothing_is_sent_while_the_registration_is_not_usable)
{
	add_notification("t1");
	tcd_cloud_ready(-1);
	connd_upload_run(up);
	cr_assert_eq(tcd_pending(), 0);
	assert_due_within(60);	/* tried again after downloads.interval */
	cr_assert_eq(connd_upload_backoff(up), 0);
	tcd_cloud_ready(0);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Commits in the outbox's write-ahead log so far (nothing checkpoints it in
 * these tests): frames of the current salt whose "database size after
 * commit" is set (sqlite.org/fileformat.html, 4.1). */
static int
wal_commits(void)
{
	char path[1100];
	unsigned char hdr[32], fh[24];
	uint32_t page;
	int n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s-wal", t.st.outbox_db);
	cr_assert_not_null(fp = fopen(path, "rb"));
	cr_assert_eq(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	page = be32(hdr + 8);
	while (fread(fh, 1, sizeof(fh), fp) == sizeof(fh) &&
	    memcmp(fh + 8, hdr + 16, 8) == 0) {
		n += be32(fh + 4) != 0;
		if (fseek(fp, page, SEEK_CUR) != 0)
			break;
	}
	fclose(fp);
	return n;
}

static json_t *
meta_json(const char *name)
{
	char *text = conn_outbox_meta_get(t.env.ob, name);
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;

	free(text);
	return o;
}

/* A failed upload is the "upload" error, kept across a restart (notes
 * loaded again) and by a batch the cloud refuses; a clean batch
 * clears it, with lastUpload, in the commit that records the batch: one
 * commit per batch, errors or not. */
Test(upload, an_upload_error_lasts_until_a_clean_batch_clears_it_in_its_commit)
{
	json_t *errors, *e;
	char *since, *last;
	int before;

	add_notification("e1");
	round_answered("POST /ScepActions/failureNotification", 503);
	errors = meta_json(CONN_META_ERRORS);
	e = json_object_get(errors, "upload");
	cr_assert(json_is_object(e), "no upload error");
	cr_assert_not_null(strstr(json_string_value(json_object_get(e, "message")), "503"));
	since = strdup(json_string_value(json_object_get(e, "since")));
	json_decref(errors);

	connd_notes_free(t.env.notes);		/* a restart */
	t.env.notes = connd_notes_new(t.env.ob);
	round_answered("POST /ScepActions/failureNotification", 400);
	cr_assert_str_eq(left(), "n:e1!");
	errors = meta_json(CONN_META_ERRORS);
	e = json_object_get(errors, "upload");
	cr_assert(json_is_object(e), "a refusal in the batch cleared the error");
	cr_assert_str_eq(json_string_value(json_object_get(e, "since")), since);
	last = strdup(json_string_value(json_object_get(e, "last")));
	cr_assert(strcmp(last, since) >= 0);
	json_decref(errors);

	add_notification("ok1");
	before = wal_commits();
	round_answered("POST /ScepActions/failureNotification", 200);
	cr_assert_eq(wal_commits() - before, 1, "%d commits for one clean batch",
	    wal_commits() - before);
	errors = meta_json(CONN_META_ERRORS);
	cr_assert_eq(json_object_size(errors), 0, "the upload error is still there");
	json_decref(errors);
	free(last);
	cr_assert_not_null(last = conn_outbox_meta_get(t.env.ob, "lastUpload"));

	add_notification("ok2");
	before = wal_commits();
	round_answered("POST /ScepActions/failureNotification", 200);
	cr_assert_eq(wal_commits() - before, 1, "no error to clear: still one commit");
	free(since);
	free(last);
}
