/* The emulator's queue leases, in its store (cloudsim/store_queue.c) on a
 * real SQLite file: connectors sharing one tenant's queues each take
 * different requests, a request comes back when its lease runs out, and a
 * result counts only from the leaseholder (docs/cloud-api.md, "Several
 * connectors on one tenant").  Times are given, not read from the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "store.h"

#define LEASE 300
#define T0 1000000

static char dir[] = "/tmp/ndes-lease-test.XXXXXX";
static struct cloudsim_store *st;

static void
store_open(void)
{
	char err[256];

	st = cloudsim_store_open(dir, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	store_open();
}

static void
teardown(void)
{
	char cmd[128];

	cloudsim_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(lease, .init = setup, .fini = teardown);

/* n PKCS requests p1..pn at T0. */
static void
add_pkcs(int n)
{
	char id[16], req[64];

	for (int i = 1; i <= n; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		snprintf(req, sizeof(req), "{\"requestId\":\"%s\"}", id);
		cr_assert_eq(cloudsim_store_pkcs_add(st, id, "dev", NULL, "prof", req, T0), 0);
	}
}

/* Lease up to max for connector at now: the request IDs, comma-separated. */
static char *
lease_pkcs(const char *connector, int max, int64_t now)
{
	json_t *items = cloudsim_store_pkcs_lease(st, max, now, LEASE, connector), *it;
	char *ids = calloc(1, 1024);
	size_t i;

	cr_assert_not_null(items);
	json_array_foreach(items, i, it)
		snprintf(ids + strlen(ids), 1024 - strlen(ids), "%s%s", i ? "," : "",
		    json_string_value(json_object_get(it, "requestId")));
	json_decref(items);
	return ids;
}

static void
expect_lease(const char *connector, int max, int64_t now, const char *ids)
{
	char *got = lease_pkcs(connector, max, now);

	cr_assert_str_eq(got, ids, "%s at %lld", connector, (long long)(now - T0));
	free(got);
}

/* A PKCS result (success, or error code) from connector at now. */
static enum cloudsim_result
pkcs_result(const char *id, const char *connector, int64_t code, int64_t now)
{
	static const uint8_t env[] = { 0x30, 0x00 };
	struct cloudsim_queue_result r = {
		.id = id, .succeeded = code == 0, .error_code = code,
		.envelope = code == 0 ? env : NULL, .envelope_len = code == 0 ? 2 : 0,
		.thumbprint = code == 0 ? "AB" : NULL, .serial = code == 0 ? "01" : NULL,
		.expiration = code == 0 ? "2027-01-31T12:00:00Z" : NULL,
	};
	enum cloudsim_result res;

	cr_assert_eq(cloudsim_store_begin(st), 0);
	res = cloudsim_store_pkcs_result(st, &r, connector, now);
	cr_assert_eq(cloudsim_store_commit(st), 0);
	return res;
}

/* Field of request p<n> in the admin list. */
static const char *
pkcs_field(json_t *list, int n, const char *field)
{
	return json_string_value(json_object_get(json_array_get(list, (size_t)n - 1), field));
}

Test(lease, connectors_asking_in_turn_take_different_requests)
{
	add_pkcs(6);
	expect_lease("A", 4, T0, "p1,p2,p3,p4");
	expect_lease("B", 4, T0, "p5,p6");
	expect_lease("A", 4, T0 + 1, "");
	expect_lease("B", 4, T0 + LEASE - 1, "");
}

Test(lease, an_expired_lease_is_offered_again_to_whoever_asks)
{
	json_t *list;

	add_pkcs(2);
	expect_lease("A", 1, T0, "p1");
	expect_lease("B", 5, T0 + LEASE - 1, "p2");
	/* At the second the lease ends, p1 is offered again (oldest first). */
	expect_lease("B", 5, T0 + LEASE, "p1");
	list = cloudsim_store_list_pkcs(st);
	cr_assert_str_eq(pkcs_field(list, 1, "connectorId"), "B");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 0), "deliveries")),
	    2);
	json_decref(list);
}

Test(lease, a_result_counts_only_from_the_leaseholder)
{
	json_t *list;

	add_pkcs(1);
	expect_lease("A", 1, T0, "p1");
	cr_assert_eq(pkcs_result("p1", "B", 0, T0 + 1), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	list = cloudsim_store_list_pkcs(st);
	cr_assert_str_eq(pkcs_field(list, 1, "status"), "pending");
	cr_assert_str_eq(pkcs_field(list, 1, "connectorId"), "A");
	cr_assert_null(pkcs_field(list, 1, "certificateThumbprint"));
	json_decref(list);
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + 2), CLOUDSIM_RESULT_RECORDED);
	/* Final now: a repeat from anyone is a duplicate, recorded once. */
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + 3), CLOUDSIM_RESULT_DUPLICATE);
	cr_assert_eq(pkcs_result("p1", "B", 0, T0 + 3), CLOUDSIM_RESULT_DUPLICATE);
	list = cloudsim_store_list_pkcs(st);
	cr_assert_str_eq(pkcs_field(list, 1, "status"), "issued");
	cr_assert_str_eq(pkcs_field(list, 1, "connectorId"), "A");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 0), "attempts")), 1);
	json_decref(list);
	cr_assert_str_eq(cloudsim_result_name(CLOUDSIM_RESULT_NOT_LEASEHOLDER), "notLeaseholder");
}

Test(lease, a_request_never_handed_out_takes_no_result)
{
	add_pkcs(1);
	cr_assert_eq(pkcs_result("p1", "A", 0, T0), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(pkcs_result("p9", "A", 0, T0), CLOUDSIM_RESULT_UNKNOWN);
	expect_lease("A", 1, T0, "p1");
}

Test(lease, the_holder_late_but_before_anyone_else_took_it_is_recorded)
{
	add_pkcs(1);
	expect_lease("A", 1, T0, "p1");
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + 10 * LEASE), CLOUDSIM_RESULT_RECORDED);
	expect_lease("B", 1, T0 + 10 * LEASE, "");
}

Test(lease, the_holder_late_after_another_took_it_is_not_recorded)
{
	json_t *list;

	add_pkcs(1);
	expect_lease("A", 1, T0, "p1");
	expect_lease("B", 1, T0 + LEASE, "p1");
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + LEASE + 1), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(pkcs_result("p1", "B", 0, T0 + LEASE + 2), CLOUDSIM_RESULT_RECORDED);
	list = cloudsim_store_list_pkcs(st);
	cr_assert_str_eq(pkcs_field(list, 1, "connectorId"), "B");
	json_decref(list);
}

Test(lease, a_retryable_error_frees_the_request_for_anyone_at_once)
{
	add_pkcs(1);
	expect_lease("A", 1, T0, "p1");
	cr_assert_eq(pkcs_result("p1", "A", 4101, T0 + 1), CLOUDSIM_RESULT_REQUEUED);
	/* The same retryable result again (its answer was lost): still A's. */
	cr_assert_eq(pkcs_result("p1", "A", 4101, T0 + 1), CLOUDSIM_RESULT_REQUEUED);
	expect_lease("B", 1, T0 + 2, "p1");
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + 3), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(pkcs_result("p1", "B", 4001, T0 + 4), CLOUDSIM_RESULT_RECORDED);
	cr_assert_eq(pkcs_result("p1", "B", 0, T0 + 5), CLOUDSIM_RESULT_DUPLICATE);
}

Test(lease, leases_survive_a_restart)
{
	add_pkcs(2);
	expect_lease("A", 1, T0, "p1");
	cloudsim_store_close(st);
	store_open();
	expect_lease("B", 5, T0 + 1, "p2");
	cr_assert_eq(pkcs_result("p1", "B", 0, T0 + 2), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(pkcs_result("p1", "A", 0, T0 + 2), CLOUDSIM_RESULT_RECORDED);
}

static enum cloudsim_result
revocation_result(const char *ctx, const char *connector, int64_t code, int64_t now)
{
	struct cloudsim_queue_result r = { .id = ctx, .succeeded = code == 0,
	    .error_code = code };
	enum cloudsim_result res;

	cr_assert_eq(cloudsim_store_begin(st), 0);
	res = cloudsim_store_revocation_result(st, &r, connector, now);
	cr_assert_eq(cloudsim_store_commit(st), 0);
	return res;
}

static size_t
lease_revocations(const char *connector, int64_t now)
{
	json_t *items = cloudsim_store_revocation_lease(st, "CN=I", 10, now, LEASE, connector);
	size_t n = json_array_size(items);

	cr_assert_not_null(items);
	json_decref(items);
	return n;
}

Test(lease, revocations_keep_the_same_rules)
{
	json_t *list;

	cr_assert_eq(cloudsim_store_revocation_add(st, "r1", "0A", "CN=I", NULL, T0), 0);
	cr_assert_eq(cloudsim_store_revocation_add(st, "r2", "0B", "CN=I", NULL, T0), 0);
	cr_assert_eq(lease_revocations("A", T0), 2);
	cr_assert_eq(lease_revocations("B", T0 + LEASE - 1), 0);
	cr_assert_eq(revocation_result("r1", "B", 0, T0 + 1), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(revocation_result("r1", "A", 0, T0 + 1), CLOUDSIM_RESULT_RECORDED);
	/* r2's lease ran out and B took it: A's late result is not B's. */
	cr_assert_eq(lease_revocations("B", T0 + LEASE), 1);
	cr_assert_eq(revocation_result("r2", "A", 0, T0 + LEASE), CLOUDSIM_RESULT_NOT_LEASEHOLDER);
	cr_assert_eq(revocation_result("r2", "B", 0, T0 + LEASE), CLOUDSIM_RESULT_RECORDED);
	list = cloudsim_store_list_revocations(st);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0),
	    "connectorId")), "A");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1),
	    "connectorId")), "B");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "status")),
	    "revoked");
	json_decref(list);
}
