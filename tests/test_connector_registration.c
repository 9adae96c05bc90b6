/* The registration part (connector/d_registration.c) on real files made
 * with OpenSSL: which certificate is used, each finding reported once, and
 * the cloud's 403s: a newer certificate supersedes the one in use (the
 * answer counts only after CONND_SUPERSEDED_GRACE seconds for the same
 * certificate), a refused thumbprint stays refused until client.pem
 * changes.  The cloud's answers are given to connd_reg_refused() as the
 * caller would; the clock is the test's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "d_registration.h"
#include "state.h"
#include "test_connd_util.h"
#include "test_connector_util.h"

static struct tcd t;
static struct connd_reg *reg;

static void
setup(void)
{
	tc_setup();
	tcd_setup(&t, NULL);
	reg = connd_reg_new(&t.env);
	cr_assert_not_null(reg);
}

static void
teardown(void)
{
	connd_reg_free(reg);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(registration, .init = setup, .fini = teardown);

/* A registration valid for 30 days; the clock a minute on, past the few
 * seconds in which fresh files count as being written. */
static void
registered(char *thumb, size_t len)
{
	time_t now = time(NULL);

	tcd_register(&t, now - 3600, now + 30 * 86400, thumb, len);
	tcd_time = now + 60;
}

/* The cloud answers 403 with this error code. */
static void
cloud_403(const char *code)
{
	char body[256];
	struct ndes_http_result res = { .err = NDES_HTTP_OK, .errmsg = "", .status = 403,
	    .body = body, .request_id = "8d3f2c1e-0000-4000-8000-000000000002" };

	snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"refused by the "
	    "test\"}}", code);
	res.len = strlen(body);
	connd_reg_refused(reg, &res);
}

Test(registration, the_registered_certificate_is_used)
{
	char thumb[NDES_CRYPTO_HEX_MAX];

	registered(thumb, sizeof(thumb));
	cr_assert_eq(connd_reg_check(reg), 0);
	cr_assert_eq(connd_reg_state(reg), CONND_REG_OK);
	cr_assert_str_eq(connd_reg_thumb_in_use(reg), thumb);
	cr_assert_str_eq(connd_reg_thumb_registered(reg), thumb);
	cr_assert_str_eq(connd_reg_name(reg), "connector");
	cr_assert_eq(tcd_events(&t, "10301", NULL) + tcd_events(&t, "10302", NULL), 0);
}

Test(registration, no_certificate_is_0x404_reported_once)
{
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_state(reg), CONND_REG_MISSING);
	cr_assert_eq(tcd_events(&t, "10302", "0x00000404"), 1);
	/* SIGHUP: reported again */
	connd_reg_forget(reg);
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(tcd_events(&t, "10302", "0x00000404"), 2);
}

Test(registration, an_expired_certificate_is_0x405)
{
	char thumb[NDES_CRYPTO_HEX_MAX];
	time_t now = time(NULL);

	tcd_register(&t, now - 30 * 86400, now + 600, thumb, sizeof(thumb));
	tcd_time = now + 601;
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_state(reg), CONND_REG_EXPIRED);
	cr_assert_eq(tcd_events(&t, "10102", "0x00000405"), 1);
}

Test(registration, a_mismatch_is_reported_only_once_the_files_settle)
{
	char thumb[NDES_CRYPTO_HEX_MAX];
	struct conn_registration r;
	char err[256];

	registered(thumb, sizeof(thumb));
	cr_assert_eq(conn_registration_load(t.st.registration, &r, err, sizeof(err)), 0, "%s", err);
	free(r.client_thumbprint);
	r.client_thumbprint = strdup("00112233445566778899AABBCCDDEEFF00112233");
	cr_assert_eq(conn_registration_save(t.st.registration, &r, err, sizeof(err)), 0, "%s", err);
	conn_registration_clear(&r);
	tcd_time = time(NULL);	/* registration.json written a moment ago: a CLI at work */
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(tcd_events(&t, "10301", NULL), 0);
	tcd_time += 5;
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_state(reg), CONND_REG_MISMATCH);
	cr_assert_eq(tcd_events(&t, "10301", "0x00000403"), 1);
}

Test(registration, a_newer_certificate_supersedes_the_one_in_use)
{
	char a[NDES_CRYPTO_HEX_MAX], b[NDES_CRYPTO_HEX_MAX];

	registered(a, sizeof(a));
	cr_assert_eq(connd_reg_check(reg), 0);
	/* a renewal (by the CLI, or elsewhere) is answered: calls made with A
	 * are answered "superseded" from then on, B is written a moment later */
	cloud_403("certificate_superseded");
	registered(b, sizeof(b));
	cr_assert_str_neq(a, b);
	tcd_time += CONND_SUPERSEDED_GRACE;
	cloud_403("certificate_superseded");
	cr_assert_eq(connd_reg_state(reg), CONND_REG_OK, "A replaced on disk: not a refusal");
	cr_assert_eq(connd_reg_check(reg), 0);
	cr_assert_str_eq(connd_reg_thumb_in_use(reg), b);
	cr_assert_eq(tcd_events(&t, "10301", NULL), 0);
}

Test(registration, superseded_counts_once_it_lasted_the_grace_period)
{
	char a[NDES_CRYPTO_HEX_MAX], b[NDES_CRYPTO_HEX_MAX];

	registered(a, sizeof(a));
	cr_assert_eq(connd_reg_check(reg), 0);
	cloud_403("certificate_superseded");
	tcd_time += CONND_SUPERSEDED_GRACE - 1;
	cloud_403("certificate_superseded");
	cr_assert_eq(connd_reg_state(reg), CONND_REG_OK, "within the grace period");
	tcd_time += 1;
	cloud_403("certificate_superseded");
	cr_assert_eq(connd_reg_state(reg), CONND_REG_REFUSED);
	cr_assert_eq(tcd_events(&t, "10301", "0x00000403"), 1);
	/* A stays refused while client.pem holds it, reported once */
	tcd_time += 3600;
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_state(reg), CONND_REG_REFUSED);
	cr_assert_eq(tcd_events(&t, "10301", "0x00000403"), 1);
	/* a new registration: B is used */
	registered(b, sizeof(b));
	tcd_time += 3600;
	cr_assert_eq(connd_reg_check(reg), 0);
	cr_assert_str_eq(connd_reg_thumb_in_use(reg), b);
}

/* A 403 with code refuses the certificate at once: state, event once, and
 * no use of it until client.pem changes. */
static void
refused_at_once(const char *code, enum connd_reg_state st, const char *id, const char *diag)
{
	char a[NDES_CRYPTO_HEX_MAX];

	registered(a, sizeof(a));
	cr_assert_eq(connd_reg_check(reg), 0);
	cloud_403(code);
	cr_assert_eq(connd_reg_state(reg), st);
	cr_assert_eq(connd_reg_check(reg), -1);
	cr_assert_eq(connd_reg_state(reg), st);
	cr_assert_eq(tcd_events(&t, id, diag), 1);
}

Test(registration, an_unknown_certificate_is_refused_at_once)
{
	refused_at_once("certificate_unknown", CONND_REG_REFUSED, "10301", "0x00000403");
}

Test(registration, an_unregistered_connector_is_0x404)
{
	refused_at_once("connector_unregistered", CONND_REG_UNREGISTERED, "10302", "0x00000404");
}

Test(registration, another_403_changes_nothing)
{
	char a[NDES_CRYPTO_HEX_MAX];

	registered(a, sizeof(a));
	cr_assert_eq(connd_reg_check(reg), 0);
	cloud_403("forbidden");
	cr_assert_eq(connd_reg_state(reg), CONND_REG_OK);
	cr_assert_eq(connd_reg_check(reg), 0);
}

Test(registration, its_caller_refuses_calls_while_not_usable)
{
	struct connd_caller c = connd_reg_caller(reg);

	cr_assert_eq(connd_caller_ready(&c), -1);
	cr_assert_eq(connd_caller_text(&c, "GET", "/certificates/signing", NULL, NULL, NULL), -1);
	cr_assert_eq(connd_reg_in_flight(reg), 0);
}
