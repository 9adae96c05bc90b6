/* The download part (connector/d_download.c) against a stand-in cloud and a
 * real outbox: a round (signing certificates, PKCS requests, revocation
 * requests), signing certificates written and announced only when they
 * change, maxRequests within the room left, a full outbox reported once
 * until there is room, no request downloads without a CA, a failed download
 * reported and the round going on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "ca.h"
#include "conn_outbox.h"
#include "crypto.h"
#include "d_config.h"
#include "d_download.h"
#include "lib/testpki.h"
#include "test_connd_util.h"
#include "test_connector_util.h"

static struct tcd t;
static struct connd_caller caller;
static struct connd_download *dl;
static int work_hook, upload_hook, signing_hook;
static char signing[4096];	/* {"value": [<a certificate>]} */

static void
count(void *arg)
{
	(*(int *)arg)++;
}

static void
make_signing_answer(void)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = testpki_cert(key, "Challenge Signing", NULL, NULL, -60, 365);
	uint8_t *der;
	size_t len;
	char *b64;

	cr_assert_eq(ndes_crypto_cert_to_der(cert, &der, &len), 0);
	b64 = ndes_b64_encode(der, len);
	snprintf(signing, sizeof(signing), "{\"value\":[\"%s\"]}", b64);
	free(b64);
	free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
setup_ca(const char *ca_yaml)
{
	struct connd_download_hooks hooks = { { count, &work_hook }, { count, &upload_hook },
	    { count, &signing_hook } };
	char yaml[512], err[512];

	snprintf(yaml, sizeof(yaml), "downloads: {max_requests: 5}\noutbox: {max_items: 3}\n%s",
	    ca_yaml);
	tcd_setup(&t, yaml);
	cr_assert_eq(connd_ca_open(&t.cfg, &t.env.ca, err, sizeof(err)), 0, "%s", err);
	caller = tcd_caller();
	dl = connd_download_new(&t.env, &caller, &hooks);
	cr_assert_not_null(dl);
	make_signing_answer();
}

static void
setup(void)
{
	tc_setup();
	/* a CA folder not made: the part only asks whether a CA is configured */
	setup_ca("ca: {name: ca01, folder: ca01, issuer_name: 'CN=Contoso Issuing CA'}");
}

/* No issuer_name: the CA certificate's own subject (CN=ca02,O=Contoso: tc_make_ca). */
static void
setup_no_issuer_name(void)
{
	char yaml[600];

	tc_setup();
	tc_make_ca("ca02", 30, NULL);
	snprintf(yaml, sizeof(yaml), "ca: {name: ca02, folder: %s}", workdir_path("ca02"));
	setup_ca(yaml);
}

static void
teardown(void)
{
	connd_download_free(dl);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(download, .init = setup, .fini = teardown);

/* The next call is this one; answer it. */
static void
next(const char *call, int status, const char *body)
{
	cr_assert_eq(tcd_pending(), 1, "%zu calls", tcd_pending());
	cr_assert_str_eq(tcd_pending_call(0), call);
	tcd_answer(status, body);
}

static json_int_t
max_requests(size_t i)
{
	json_t *b = json_loads(tcd_pending_body(i), 0, NULL), *p;
	json_int_t n;

	cr_assert_not_null(b);
	p = json_object_get(b, "downloadParameters");
	n = json_integer_value(json_object_get(p != NULL ? p : b, "maxRequests"));
	json_decref(b);
	return n;
}

Test(download, a_round_stores_the_work_and_calls_the_hooks)
{
	char *text;

	connd_download_now(dl);
	cr_assert_eq(work_hook, 1, "what a previous round left is carried out first");
	next("GET /certificates/signing", 200, signing);
	cr_assert_eq(signing_hook, 1);
	cr_assert_not_null(text = tc_read(t.st.signing_certs));
	cr_assert_not_null(strstr(text, "-----BEGIN CERTIFICATE-----"));
	free(text);
	cr_assert_eq(max_requests(0), 3, "maxRequests within the room left");
	next("POST /PkcsRequests/download", 200,
	    "{\"value\":[{\"requestId\":\"p1\"},{\"noRequestId\":1}]}");
	cr_assert_eq(max_requests(0), 2);
	cr_assert_not_null(strstr(tcd_pending_body(0),
	    "\"issuerName\":\"CN=Contoso Issuing CA\""));
	next("POST /CertificateAuthorityRequests/downloadRevocationRequests", 200,
	    "{\"value\":[{\"requestContext\":\"r1\",\"serialNumber\":\"01\"}]}");
	cr_assert_eq(conn_outbox_work_count(t.env.ob), 2);
	cr_assert_eq(work_hook, 2);
	cr_assert_eq(upload_hook, 1);
	cr_assert_eq(tcd_events(&t, "20400", "0x00000000"), 3);
	/* the same signing certificates again: not written, crpd not told */
	connd_download_now(dl);
	next("GET /certificates/signing", 200, signing);
	cr_assert_eq(signing_hook, 1);
	cr_assert_eq(tcd_events(&t, "20400", NULL), 3);
}

Test(download, issuer_name_defaults_to_the_ca_certificate_subject,
    .init = setup_no_issuer_name)
{
	connd_download_now(dl);
	next("GET /certificates/signing", 200, signing);
	next("POST /PkcsRequests/download", 200, "{\"value\":[]}");
	cr_assert_not_null(strstr(tcd_pending_body(0), "\"issuerName\":\"CN=ca02,O=Contoso\""), "%s",
	    tcd_pending_body(0));
}

Test(download, one_round_at_a_time)
{
	connd_download_now(dl);
	connd_download_now(dl);
	cr_assert_eq(tcd_pending(), 1);
}

Test(download, a_full_outbox_downloads_no_requests_and_says_so_once)
{
	for (int i = 0; i < 3; i++) {
		char key[16];

		snprintf(key, sizeof(key), "n:%d", i);
		cr_assert_eq(conn_outbox_add(t.env.ob, "failureNotification", key, "{}"),
		    CONN_OUTBOX_ADDED);
	}
	for (int round = 0; round < 2; round++) {
		connd_download_now(dl);
		next("GET /certificates/signing", 200, signing);
		cr_assert_eq(tcd_pending(), 0, "no request download into a full outbox");
	}
	cr_assert_eq(tcd_events(&t, "20411", "0x00001201"), 1);
	cr_assert_eq(tcd_events(&t, "20302", NULL), 0, "a paused download is no failed upload");
	cr_assert_eq(upload_hook, 2);
}

Test(download, a_failed_download_is_reported_and_the_round_goes_on)
{
	connd_download_now(dl);
	next("GET /certificates/signing", 0, NULL);
	cr_assert_eq(tcd_events(&t, "20402", "0x00001202"), 1);
	next("POST /PkcsRequests/download", 502, NULL);
	cr_assert_eq(tcd_events(&t, "20402", "0x00001204"), 1);
	next("POST /CertificateAuthorityRequests/downloadRevocationRequests", 200, "{}");
	cr_assert_eq(tcd_events(&t, "20402", NULL), 3, "an answer without value is a failure");
	cr_assert_eq(upload_hook, 1);
	cr_assert_eq(signing_hook, 0);
}

Test(download, without_a_ca_only_the_signing_certificates)
{
	struct conn_ca *ca = t.env.ca;

	t.env.ca = NULL;
	connd_download_now(dl);
	next("GET /certificates/signing", 200, signing);
	cr_assert_eq(tcd_pending(), 0);
	cr_assert_eq(upload_hook, 1);
	t.env.ca = ca;
}
