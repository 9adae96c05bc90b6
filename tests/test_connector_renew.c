/* The renewal part (connector/d_renew.c): when a renewal is due (less than
 * renewal.threshold_percent of the registration certificate's lifetime
 * left, by the test's clock), one renewal at a time, a failure tried again
 * at the next check, and a renewal the cloud answers: the new files, 10100,
 * and the renewed hook on the next turn of the loop.  The registration is
 * real (files made with OpenSSL); the cloud is a stand-in. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "b64.h"
#include "crypto.h"
#include "d_registration.h"
#include "d_renew.h"
#include "lib/testpki.h"
#include "test_connd_util.h"
#include "test_connector_util.h"

#define LIFE 10000	/* seconds of the registration certificate */

static struct tcd t;
static struct connd_caller caller;
static struct connd_reg *reg;
static struct connd_renew *rn;
static time_t nb;
static char thumb[NDES_CRYPTO_HEX_MAX];
static int renewed;

static void
on_renewed(void *arg)
{
	renewed++;
}

static void
setup(void)
{
	tc_setup();
	tcd_setup(&t, "renewal: {threshold_percent: 20, check_interval: 1h}");
	nb = time(NULL) - 1000;
	tcd_register(&t, nb, nb + LIFE, thumb, sizeof(thumb));
	tcd_time = nb + 2000;
	caller = tcd_caller();
	reg = connd_reg_new(&t.env);
	cr_assert_not_null(reg);
	cr_assert_eq(connd_reg_check(reg), 0);
	rn = connd_renew_new(&t.env, reg, &caller, (struct connd_hook){ on_renewed, NULL });
	cr_assert_not_null(rn);
}

static void
teardown(void)
{
	connd_renew_free(rn);
	connd_reg_free(reg);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(renew, .init = setup, .fini = teardown);

Test(renew, due_when_less_than_the_threshold_is_left)
{
	cr_assert_not(connd_renew_due(1000, 11000, 9000, 20), "20 %% left is not less than 20 %%");
	cr_assert(connd_renew_due(1000, 11000, 9001, 20));
	cr_assert_not(connd_renew_due(1000, 11000, 1000, 20));
	cr_assert(connd_renew_due(1000, 11000, 20000, 20), "expired: due");
	cr_assert_not(connd_renew_due(1000, 1000, 1000, 20), "no lifetime: never");
	cr_assert_not(connd_renew_due(1000, 11000, 10999, 0), "threshold 0: never");
}

Test(renew, nothing_before_the_threshold_then_one_renewal_at_a_time)
{
	tcd_time = nb + LIFE * 80 / 100;
	connd_renew_check(rn);
	cr_assert_eq(tcd_pending(), 0, "20 %% left: not yet");
	tcd_time++;
	connd_renew_check(rn);
	cr_assert_eq(tcd_pending(), 1);
	cr_assert_str_eq(tcd_pending_call(0), "POST /connectors/renew");
	cr_assert(connd_renew_busy(rn));
	connd_renew_check(rn);
	cr_assert_eq(tcd_pending(), 1, "a second renewal while one is under way");
}

Test(renew, a_failed_renewal_is_tried_again_at_the_next_check)
{
	tcd_time = nb + LIFE - 100;
	connd_renew_check(rn);
	tcd_answer(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"later\"}}");
	cr_assert_not(connd_renew_busy(rn));
	cr_assert_eq(tcd_events(&t, "10102", "0x00001204"), 1);
	connd_renew_check(rn);
	tcd_answer(0, NULL);
	cr_assert_eq(tcd_events(&t, "10102", "0x00001202"), 1);
	connd_renew_check(rn);
	tcd_answer(200, "{\"connectorId\":\"c0ffee00-0000-4000-8000-000000000001\"}");
	cr_assert_eq(tcd_events(&t, "10102", "0x0FFFFFFF"), 1, "an answer without certificates");
	cr_assert_eq(renewed, 0);
	cr_assert_eq(connd_caller_ready(&caller), 0);
}

Test(renew, nothing_while_the_registration_is_not_usable_or_stopping)
{
	tcd_time = nb + LIFE - 100;
	tcd_cloud_ready(-1);
	connd_renew_check(rn);
	tcd_cloud_ready(0);
	t.env.stopping = true;
	connd_renew_check(rn);
	t.env.stopping = false;
	cr_assert_eq(tcd_pending(), 0);
}

/* A certificate for the public key of the base64 CSR in body's field,
 * issued by the cloud's CA; base64 DER. */
static char *
certify(json_t *req, const char *field, X509 *ca, EVP_PKEY *ca_key)
{
	const char *b64 = json_string_value(json_object_get(req, field));
	uint8_t *der, *out = NULL;
	const uint8_t *p;
	size_t len;
	X509_REQ *csr;
	X509 *cert;
	char *text;
	int n;

	cr_assert_not_null(b64, "no %s", field);
	cr_assert_eq(ndes_b64_decode(b64, strlen(b64), &der, &len), 0);
	p = der;
	csr = d2i_X509_REQ(NULL, &p, (long)len);
	cr_assert_not_null(csr);
	cert = testpki_cert(X509_REQ_get0_pubkey(csr), field, ca, ca_key, 0, 365);
	cr_assert_gt(n = i2d_X509(cert, &out), 0);
	text = ndes_b64_encode(out, (size_t)n);
	OPENSSL_free(out);
	X509_free(cert);
	X509_REQ_free(csr);
	free(der);
	return text;
}

/* The cloud's answer to the pending renewal: certificates for its keys. */
static char *
renewal_answer(void)
{
	EVP_PKEY *ca_key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(ca_key, "Test Cloud CA", NULL, NULL, -60, 3650);
	json_t *req = json_loads(tcd_pending_body(0), 0, NULL);
	char *client = certify(req, "clientCsr", ca, ca_key);
	char *crp = certify(req, "crpCsr", ca, ca_key);
	uint8_t *der = NULL;
	int n = i2d_X509(ca, &der);
	char *ca_b64 = ndes_b64_encode(der, (size_t)n), *text;
	json_t *ans = json_pack("{s:s, s:s, s:s, s:[s], s:[s]}", "connectorId",
	    "c0ffee00-0000-4000-8000-000000000001", "clientCertificate", client,
	    "crpCertificate", crp, "caChain", ca_b64, "signingCertificates", ca_b64);

	text = json_dumps(ans, 0);
	json_decref(ans);
	free(client);
	free(crp);
	free(ca_b64);
	OPENSSL_free(der);
	json_decref(req);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return text;
}

Test(renew, a_renewal_answered_writes_the_new_files_then_the_hook)
{
	char *answer;

	tcd_time = nb + LIFE - 100;
	connd_renew_check(rn);
	answer = renewal_answer();
	tcd_answer(200, answer);
	free(answer);
	cr_assert_eq(tcd_events(&t, "10100", "0x00000000"), 1);
	cr_assert_str_neq(connd_reg_thumb_registered(reg), thumb, "registration.json names the "
	    "new certificate");
	cr_assert_str_eq(connd_reg_thumb_in_use(reg), thumb, "the switch waits for the hook");
	cr_assert_eq(renewed, 0, "not inside the HTTP callback");
	cr_assert_eq(event_base_loop(t.env.base, EVLOOP_ONCE), 0);
	cr_assert_eq(renewed, 1);
	cr_assert_not(connd_renew_busy(rn));
}
