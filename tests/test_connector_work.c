/* The CA-work part (connector/d_work.c) on a real CA folder and outbox:
 * the claim (a work item is marked started before it is carried out; one
 * found already revoked counts as done only when our own claim was there
 * before), a request for another CA, CONND_WORK_PER_TURN items a turn with
 * the rest on the next turn of the loop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "ca.h"
#include "conn_outbox.h"
#include "crypto.h"
#include "d_config.h"
#include "d_note.h"
#include "d_work.h"
#include "lib/testpki.h"
#include "test_connd_util.h"
#include "test_connector_util.h"

static struct tcd t;
static struct connd_work *work;
static int stored;

static void
on_stored(void *arg)
{
	stored++;
}

static void
setup(void)
{
	char yaml[1024], err[512];

	tc_setup();
	tc_make_ca("ca01", 365, NULL);
	snprintf(yaml, sizeof(yaml), "ca: {name: ca01, folder: %s, crl_days: 7, may_revoke: true}",
	    workdir_path("ca01"));
	tcd_setup(&t, yaml);
	cr_assert_eq(connd_ca_open(&t.cfg, &t.env.ca, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(t.env.ca);
	work = connd_work_new(&t.env, (struct connd_hook){ on_stored, NULL });
	cr_assert_not_null(work);
}

static void
teardown(void)
{
	connd_work_free(work);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(work, .init = setup, .fini = teardown);

/* A certificate of the CA: its serial in hex. */
static void
issued(char *serial, size_t len)
{
	struct conn_ca_profile p;
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = NULL;
	char err[512] = "";

	tc_profile(&p, "CN=device-1,O=Contoso", 86400, 0);
	cr_assert_eq(conn_ca_issue(t.env.ca, key, &p, &cert, err, sizeof(err)), CONN_CA_OK,
	    "%s", err);
	cr_assert_eq(ndes_crypto_serial_hex(cert, serial, len), 0);
	X509_NAME_free(p.subject);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
revocation(const char *ctx, const char *serial, const char *ca)
{
	char key[128], body[512];

	snprintf(key, sizeof(key), "r:%s", ctx);
	snprintf(body, sizeof(body), "{\"requestContext\":\"%s\",\"serialNumber\":\"%s\","
	    "\"issuerName\":\"CN=ca01,O=Contoso\",\"caConfiguration\":\"%s\"}", ctx, serial, ca);
	cr_assert_eq(conn_outbox_work_add(t.env.ob, "revocation", key, body), CONN_OUTBOX_ADDED);
}

/* The result stored for key: succeeded and errorCode. */
static void
assert_result(const char *key, int succeeded, int error_code)
{
	struct conn_outbox_item *it;
	json_t *res;
	size_t n;

	cr_assert_eq(conn_outbox_fetch(t.env.ob, key, 1, &it, &n), 0);
	cr_assert_eq(n, 1, "no result for %s", key);
	cr_assert_str_eq(it[0].kind, "revocationResult");
	res = json_loads(it[0].body, 0, NULL);
	cr_assert_not_null(res);
	cr_assert_eq(json_is_true(json_object_get(res, "succeeded")), succeeded, "%s", it[0].body);
	cr_assert_eq(json_integer_value(json_object_get(res, "errorCode")), error_code, "%s",
	    it[0].body);
	json_decref(res);
	conn_outbox_items_free(it, n);
}

Test(work, a_revocation_is_carried_out_and_becomes_its_result)
{
	char serial[64], err[256];

	issued(serial, sizeof(serial));
	revocation("ctx-1", serial, "ca01");
	connd_work_run(work);
	assert_result("r:ctx-1", 1, 0);
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 0);
	cr_assert_eq(stored, 1);
	cr_assert_eq(tcd_events(&t, "20200", "0x00000000"), 1);
	cr_assert_eq(conn_ca_revoke(t.env.ca, serial, err, sizeof(err)), CONN_CA_ALREADY_REVOKED);
}

Test(work, a_claimed_revocation_found_revoked_after_a_crash_counts_as_done)
{
	char serial[64], err[256];

	issued(serial, sizeof(serial));
	revocation("ctx-1", serial, "ca01");
	/* before a crash: the claim was taken and the CA revoked, the result
	 * never stored */
	cr_assert_eq(conn_outbox_work_start(t.env.ob, "r:ctx-1"), 0);
	cr_assert_eq(conn_ca_revoke(t.env.ca, serial, err, sizeof(err)), CONN_CA_OK, "%s", err);
	connd_work_run(work);
	assert_result("r:ctx-1", 1, 0);
	cr_assert_eq(tcd_events(&t, "20200", "0x00000000"), 1);
	cr_assert_eq(tcd_events(&t, "20202", NULL), 0);
}

Test(work, an_unclaimed_revocation_found_revoked_is_a_conflict)
{
	char serial[64], err[256];

	issued(serial, sizeof(serial));
	revocation("ctx-1", serial, "ca01");
	/* revoked by someone else: not our claim */
	cr_assert_eq(conn_ca_revoke(t.env.ca, serial, err, sizeof(err)), CONN_CA_OK, "%s", err);
	connd_work_run(work);
	assert_result("r:ctx-1", 0, CONN_CAERR_CONFLICT);
	cr_assert_eq(tcd_events(&t, "20202", NULL), 1);
	cr_assert_eq(tcd_events(&t, "20200", NULL), 0);
}

Test(work, a_request_for_another_ca_is_answered_unavailable)
{
	char serial[64];

	issued(serial, sizeof(serial));
	revocation("ctx-1", serial, "ca02.contoso.com\\\\Other CA");
	connd_work_run(work);
	assert_result("r:ctx-1", 0, CONN_CAERR_UNAVAILABLE);
	cr_assert_eq(tcd_events(&t, "20202", "0x00001303"), 1);
}

Test(work, a_turn_takes_at_most_CONND_WORK_PER_TURN_items_and_queues_the_rest)
{
	char ctx[32];

	for (int i = 0; i < CONND_WORK_PER_TURN + 2; i++) {
		snprintf(ctx, sizeof(ctx), "ctx-%d", i);
		revocation(ctx, "7F000000000000000001", "ca01");	/* no such serial */
	}
	connd_work_run(work);
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 2);
	cr_assert_eq(stored, 1);
	/* a second call in the same turn does not run ahead of the queued one */
	connd_work_run(work);
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 2);
	cr_assert_eq(event_base_loop(t.env.base, EVLOOP_ONCE), 0);
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 0);
	cr_assert_eq(stored, 2);
	assert_result("r:ctx-5", 0, CONN_CAERR_CERT_NOT_FOUND);
	cr_assert_eq(tcd_events(&t, "20202", NULL), CONND_WORK_PER_TURN + 2);
}

Test(work, nothing_without_a_ca_or_while_stopping)
{
	struct conn_ca *ca = t.env.ca;

	revocation("ctx-1", "01", "ca01");
	t.env.ca = NULL;
	connd_work_run(work);
	t.env.ca = ca;
	t.env.stopping = true;
	connd_work_run(work);
	t.env.stopping = false;
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 1);
	cr_assert_eq(stored, 0);
}

/* The templates the cloud asked for and ca.templates did not serve: at most
 * CONN_UNSERVED_MAX names (one recorded already is still updated), no name
 * longer than CONN_UNSERVED_NAME_MAX: a cloud cannot grow the record. */
Test(work, unserved_templates_are_recorded_within_bounds)
{
	char name[CONN_UNSERVED_NAME_MAX + 2], *text;
	json_t *o;

	connd_note_unserved_template(t.env.notes, "User");
	for (int i = 0; i < CONN_UNSERVED_MAX + 8; i++) {
		snprintf(name, sizeof(name), "T%02d", i);
		connd_note_unserved_template(t.env.notes, name);
	}
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	connd_note_unserved_template(t.env.notes, name);
	connd_note_unserved_template(t.env.notes, "User");
	cr_assert_not_null(text = conn_outbox_meta_get(t.env.ob, CONN_META_UNSERVED_TEMPLATES));
	cr_assert_not_null(o = json_loads(text, 0, NULL), "%s", text);
	cr_expect_eq(json_object_size(o), CONN_UNSERVED_MAX);
	cr_expect(json_is_string(json_object_get(o, "User")));
	cr_expect(json_is_string(json_object_get(o, "T30")));
	cr_expect_null(json_object_get(o, "T31"));
	cr_expect_null(json_object_get(o, name));
	json_decref(o);
	free(text);
}
