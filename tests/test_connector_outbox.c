/* The outbox: durable items keyed for idempotency, bound, work. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn_outbox.h"
#include "test_connector_util.h"

TestSuite(outbox, .init = tc_setup, .fini = workdir_leave);

static struct conn_outbox *
open_ob(int64_t max)
{
	char err[256];
	struct conn_outbox *ob = conn_outbox_open(workdir_path("outbox.db"), max, err, sizeof(err));

	cr_assert_not_null(ob, "%s", err);
	return ob;
}

Test(outbox, add_is_idempotent_by_key_and_survives_reopen)
{
	struct conn_outbox *ob = open_ob(10);
	struct conn_outbox_item *it;
	size_t n;

	cr_assert_eq(conn_outbox_add(ob, "successNotification", "n:1", "{\"a\":1}"),
	    CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_add(ob, "successNotification", "n:1", "{\"a\":1}"),
	    CONN_OUTBOX_DUPLICATE);
	cr_assert_eq(conn_outbox_add(ob, "pkcsResult", "p:r1", "{\"b\":2}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_count(ob), 2);
	conn_outbox_close(ob);
	ob = open_ob(10);
	cr_assert_eq(conn_outbox_count(ob), 2);
	cr_assert_eq(conn_outbox_fetch(ob, "n:", 10, &it, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(it[0].kind, "successNotification");
	cr_assert_str_eq(it[0].body, "{\"a\":1}");
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_fetch(ob, NULL, 10, &it, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(it[1].key, "p:r1");
	conn_outbox_items_free(it, n);
	conn_outbox_close(ob);
}

Test(outbox, full_refuses_never_drops)
{
	struct conn_outbox *ob = open_ob(3);
	struct conn_outbox_item *it;
	size_t n;
	int64_t seq;

	cr_assert_eq(conn_outbox_add(ob, "failureNotification", "n:1", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_add(ob, "failureNotification", "n:2", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_work_add(ob, "pkcs", "p:1", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_room(ob), 0);
	cr_assert_eq(conn_outbox_add(ob, "failureNotification", "n:3", "{}"), CONN_OUTBOX_FULL);
	cr_assert_eq(conn_outbox_work_add(ob, "pkcs", "p:2", "{}"), CONN_OUTBOX_FULL);
	/* a repeat of something stored is still a duplicate, not refused */
	cr_assert_eq(conn_outbox_add(ob, "failureNotification", "n:2", "{}"),
	    CONN_OUTBOX_DUPLICATE);
	cr_assert_eq(conn_outbox_fetch(ob, NULL, 10, &it, &n), 0);
	cr_assert_eq(n, 2);
	seq = it[0].seq;
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_remove(ob, &seq, 1), 0);
	cr_assert_eq(conn_outbox_room(ob), 1);
	cr_assert_eq(conn_outbox_add(ob, "failureNotification", "n:3", "{}"), CONN_OUTBOX_ADDED);
	conn_outbox_close(ob);
}

Test(outbox, failed_and_rejected_items)
{
	struct conn_outbox *ob = open_ob(0);
	struct conn_outbox_item *it;
	size_t n;
	int64_t seqs[2];
	char *summary;

	conn_outbox_add(ob, "successNotification", "n:a", "{}");
	conn_outbox_add(ob, "successNotification", "n:b", "{}");
	conn_outbox_fetch(ob, NULL, 10, &it, &n);
	seqs[0] = it[0].seq;
	seqs[1] = it[1].seq;
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_failed(ob, seqs, 2, "cloud unreachable"), 0);
	cr_assert_eq(conn_outbox_reject(ob, seqs[1], "400 bad_request"), 0);
	cr_assert_eq(conn_outbox_fetch(ob, NULL, 10, &it, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(it[0].attempts, 1);
	cr_assert_str_eq(it[0].last_error, "cloud unreachable");
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_list(ob, 10, &it, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert(it[1].rejected);
	cr_assert_eq(it[1].attempts, 2);
	conn_outbox_items_free(it, n);
	summary = conn_outbox_summary_json(ob);
	cr_assert_str_eq(summary, "{\"successNotification\":{\"rejected\":1,\"waiting\":1}}");
	free(summary);
	conn_outbox_close(ob);
}

Test(outbox, work_becomes_result_in_one_step)
{
	struct conn_outbox *ob = open_ob(5);
	struct conn_outbox_item *it;
	size_t n;
	char *v;

	cr_assert_eq(conn_outbox_work_add(ob, "revocation", "r:ctx1", "{\"serialNumber\":\"01\"}"),
	    CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_work_add(ob, "revocation", "r:ctx1", "{}"),
	    CONN_OUTBOX_DUPLICATE);
	cr_assert_eq(conn_outbox_work_start(ob, "r:ctx1"), 0);
	cr_assert_eq(conn_outbox_work_fetch(ob, 10, &it, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert(it[0].started);
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_work_finish(ob, "r:ctx1", "revocationResult", "r:ctx1",
	    "{\"requestContext\":\"ctx1\"}"), 0);
	cr_assert_eq(conn_outbox_work_count(ob), 0);
	cr_assert_eq(conn_outbox_count(ob), 1);
	cr_assert_eq(conn_outbox_fetch(ob, "r:", 10, &it, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(it[0].kind, "revocationResult");
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_meta_set(ob, "lastUpload", "2026-01-01T00:00:00Z"), 0);
	v = conn_outbox_meta_get(ob, "lastUpload");
	cr_assert_str_eq(v, "2026-01-01T00:00:00Z");
	free(v);
	cr_assert_null(conn_outbox_meta_get(ob, "nothing"));
	conn_outbox_close(ob);
}

/* `ndes-connector queue --purge-rejected` with its own handle while the
 * daemon's stays open: only rejected items go, by age; the daemon sees the
 * room once it counts again (at once when it thought it was full). */
Test(outbox, purge_rejected_from_another_handle)
{
	struct conn_outbox *d = open_ob(3), *cli;
	struct conn_outbox_item *it;
	size_t n;
	time_t now = time(NULL);

	cr_assert_eq(conn_outbox_add(d, "failureNotification", "n:1", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_add(d, "failureNotification", "n:2", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_add(d, "pkcsResult", "p:3", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_fetch(d, "n:", 10, &it, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(conn_outbox_reject(d, it[0].seq, "HTTP 400"), 0);
	cr_assert_eq(conn_outbox_reject(d, it[1].seq, "HTTP 400"), 0);
	conn_outbox_items_free(it, n);
	cr_assert_eq(conn_outbox_add(d, "failureNotification", "n:4", "{}"), CONN_OUTBOX_FULL);

	cli = open_ob(0);
	cr_assert_eq(conn_outbox_purge_rejected(cli, (int64_t)now - 3600), 0);
	cr_assert_eq(conn_outbox_purge_rejected(cli, (int64_t)now + 1), 2);
	cr_assert_eq(conn_outbox_purge_rejected(cli, 0), 0);
	cr_assert_eq(conn_outbox_list(cli, 10, &it, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(it[0].key, "p:3");
	cr_assert(!it[0].rejected);
	conn_outbox_items_free(it, n);
	conn_outbox_close(cli);

	cr_assert_eq(conn_outbox_count(d), 3);		/* not counted again yet */
	cr_assert_eq(conn_outbox_room(d), 2);		/* looked full: counted again */
	cr_assert_eq(conn_outbox_count(d), 1);
	cr_assert_eq(conn_outbox_add(d, "failureNotification", "n:4", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_count(d), 2);
	conn_outbox_close(d);
}

Test(outbox, purge_rejected_keeps_waiting_items_and_recount)
{
	struct conn_outbox *d = open_ob(10), *cli = open_ob(0);

	cr_assert_eq(conn_outbox_add(d, "failureNotification", "n:1", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_work_add(d, "pkcs", "p:2", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_add(cli, "failureNotification", "n:3", "{}"), CONN_OUTBOX_ADDED);
	cr_assert_eq(conn_outbox_purge_rejected(cli, 0), 0);
	cr_assert_eq(conn_outbox_count(d), 2);
	cr_assert_eq(conn_outbox_recount(d), 0);
	cr_assert_eq(conn_outbox_count(d), 3);
	cr_assert_eq(conn_outbox_room(d), 7);
	conn_outbox_close(cli);
	conn_outbox_close(d);
}
