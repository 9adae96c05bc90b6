/* ndes-crpd starting with its challenge store in a real PostgreSQL
 * (tests/lib/pg-cluster.sh): what it refuses, with the exit status, the
 * message and 20702 (docs/crpd.md, "The PostgreSQL store"), and the
 * schema's advisory lock when nodes start together. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/pg_harness.h"
#include "lib/testpki.h"

#define PASSWORD "Corr3ct-horse"
#define LOCK_KEY "5639708857288773633"

static struct pg_h *pg;
static struct crpd_h *nodes[4];
static char *yaml;

static void
teardown(void)
{
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		crpd_h_free(nodes[i]);
		nodes[i] = NULL;
	}
	free(yaml);
	pg_h_free(pg);
	yaml = NULL;
	pg = NULL;
}

TestSuite(crpd_pg_start, .fini = teardown, .timeout = 60);

/* A cluster with the role and database crpd, the password file holding
 * file_password with mode, and yaml for them. */
static void
cluster(const char *file_password, unsigned mode)
{
	pg = pg_h_start(NULL);
	yaml = pg_h_crpd_store(pg, PASSWORD, file_password, mode);
}

/* A crpd configured with store (YAML), not started. */
static struct crpd_h *
node(const char *store)
{
	return crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = store });
}

/* crpd must exit at start with status, a log line holding log_has, and one
 * 20702 carrying code; the password never shows. */
static void
expect_refused(struct crpd_h *h, int status, uint32_t code, const char *log_has)
{
	char want[16], *log;
	json_t *arr, *e;
	int st;

	crpd_h_spawn(h);
	st = crpd_h_wait_exit(h, 20000);
	log = crpd_h_log(h);
	cr_assert_neq(st, -1, "crpd did not exit:\n%s", log);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == status, "status 0x%x, want exit %d:\n%s",
	    st, status, log);
	cr_assert_not_null(strstr(log, log_has), "no \"%s\" in:\n%s", log_has, log);
	cr_assert_null(strstr(log, PASSWORD), "the password is in the log:\n%s", log);
	arr = crpd_h_events_where(h, "NDES_EVENT_ID", "20702", 1);
	cr_assert_eq(json_array_size(arr), 1, "%zu events 20702", json_array_size(arr));
	e = json_array_get(arr, 0);
	snprintf(want, sizeof(want), "0x%08X", code);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_CODE")), want);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_EVENT_NAME")),
	    "CRPChallengeStore_Unavailable");
	cr_assert_not_null(strstr(json_string_value(json_object_get(e, "MESSAGE")), log_has),
	    "%s", json_string_value(json_object_get(e, "MESSAGE")));
	json_decref(arr);
	free(log);
}

Test(crpd_pg_start, database_unreachable)
{
	nodes[0] = node("store:\n  backend: postgresql\n"
	    "  conninfo: \"host=/nonexistent/ndes-test-no-server dbname=crpd user=crpd\"\n"
	    "  connect_timeout: 2s");
	expect_refused(nodes[0], EX_UNAVAILABLE, 0x1020, "cannot connect");
}

Test(crpd_pg_start, wrong_password)
{
	cluster("not-the-password", 0600);
	nodes[0] = node(yaml);
	expect_refused(nodes[0], EX_NOPERM, 0x1021, "the database refused the login");
}

Test(crpd_pg_start, password_file_readable_by_others)
{
	cluster(PASSWORD, 0644);
	nodes[0] = node(yaml);
	expect_refused(nodes[0], EX_CONFIG, 0x1020, "mode 0644: readable by group or others");
}

Test(crpd_pg_start, password_in_conninfo)
{
	char store[512];

	cluster(PASSWORD, 0600);
	snprintf(store, sizeof(store), "store:\n  backend: postgresql\n"
	    "  conninfo: \"host=%s dbname=crpd user=crpd password=%s\"", pg->host, PASSWORD);
	nodes[0] = node(store);
	crpd_h_spawn(nodes[0]);
	cr_assert_eq(crpd_h_wait_exit(nodes[0], 20000) >> 8, EX_CONFIG);
	cr_assert_not_null(strstr(crpd_h_log(nodes[0]), "store.conninfo: it sets password; "
	    "give the password in store.password_file"));
}

Test(crpd_pg_start, schema_of_a_newer_version)
{
	cluster(PASSWORD, 0600);
	nodes[0] = crpd_h_launch(&(struct crpd_h_opts){ .extra_yaml = yaml });
	crpd_h_stop(nodes[0]);
	cr_assert_eq(pg_h_sql_long(pg, "crpd", "SELECT max(version) FROM crp_schema_version"), 1);
	free(pg_h_sql(pg, "crpd", "INSERT INTO crp_schema_version (version) VALUES (2)"));
	crpd_h_free(nodes[0]);
	nodes[0] = node(yaml);
	expect_refused(nodes[0], EX_DATAERR, 0x1022, "the database's schema is version 2, made "
	    "by a newer ndes-crpd");
}

/* Another node holds the schema's advisory lock (it is migrating): crpd
 * waits for it, then starts. */
Test(crpd_pg_start, waits_for_the_schema_lock)
{
	PGconn *holder;
	PGresult *res;
	char *log;

	cluster(PASSWORD, 0600);
	holder = pg_h_connect(pg, "crpd", NULL);
	res = PQexec(holder, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")");
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(holder));
	PQclear(res);
	nodes[0] = node(yaml);
	crpd_h_spawn(nodes[0]);
	usleep(2000000);
	log = crpd_h_log(nodes[0]);
	cr_assert_not(crpd_h_answers(nodes[0]), "crpd started while the lock was held:\n%s", log);
	cr_assert_not_null(strstr(log, "another node holds the schema lock"), "%s", log);
	free(log);
	PQclear(PQexec(holder, "COMMIT"));
	crpd_h_wait_ready(nodes[0]);
	PQfinish(holder);
	cr_assert_eq(pg_h_sql_long(pg, "crpd", "SELECT count(*) FROM crp_schema_version"), 1);
}

/* Four nodes start at once on a database without the schema: one of them
 * creates it, all start, each verifies. */
Test(crpd_pg_start, nodes_starting_together_on_a_new_database)
{
	struct crpd_h_reply r;
	EVP_PKEY *key = testpki_key("ec-p256");
	char id[64];

	cluster(PASSWORD, 0600);
	for (size_t i = 0; i < 4; i++) {
		nodes[i] = node(yaml);
		if (i > 0)
			crpd_h_share_pki(nodes[i], nodes[0]);
	}
	for (size_t i = 0; i < 4; i++)
		crpd_h_spawn(nodes[i]);
	for (size_t i = 0; i < 4; i++)
		crpd_h_wait_ready(nodes[i]);
	cr_assert_eq(pg_h_sql_long(pg, "crpd", "SELECT count(*) FROM crp_schema_version"), 1);
	for (size_t i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "0000c0de-0000-4000-8000-00000000000%zu", i);
		crpd_h_verify_default(nodes[i], id, key, "txn-start", &r);
		cr_assert(r.verified, "node %zu: %u 0x%08X %s", i, r.event_id, r.code, r.reason);
	}
	EVP_PKEY_free(key);
}
