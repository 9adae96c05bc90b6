/* ndes-crpd notifications: Success and Failure become the ScepActions
 * notifications handed to the connector over connector.sock (here a
 * stand-in connector), kept durably until acknowledged, sent again after
 * the connector comes back or crpd restarts, exactly once when
 * acknowledged; unknown requests and the other dispositions. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "crypto.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static EVP_PKEY *key_a;
static pid_t connector;

static void
setup(void)
{
	key_a = testpki_key("ec-p256");
	connector = 0;
	h = crpd_h_launch(NULL);
}

static void
teardown(void)
{
	crpd_h_connector_stop(connector);
	crpd_h_finish(&h);
	EVP_PKEY_free(key_a);
}

TestSuite(crpd_notify, .init = setup, .fini = teardown, .timeout = 60);

#define ID "a0a0a0a0-0000-4c55-9a7e-1b2c3d4e5f60"

/* Verify the default challenge for key_a; returns the CSR (DER) and the
 * challenge text. */
static uint8_t *
verify(const char *txn, size_t *csr_len, char **challenge)
{
	struct ndes_challenge_claims c;
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;
	uint8_t *csr;

	crpd_h_claims(&c, ID);
	*challenge = crpd_h_seal(h, &c);
	crpd_h_csr_default(&s, key_a, *challenge);
	csr = crpd_h_csr(&s, csr_len);
	crpd_h_verify(h, csr, *csr_len, txn, &r);
	cr_assert(r.verified, "%s", r.reason);
	return csr;
}

static void
notify_ok(const char *challenge, const char *txn, int64_t disposition, uint32_t hresult,
    const uint8_t *cert, size_t cert_len, const char *description, const char *message)
{
	struct crpd_h_notify_reply nr;

	crpd_h_notify(h, challenge, txn, disposition, hresult, cert, cert_len, description, &nr);
	cr_assert(nr.accepted, "refused: 0x%08X %s (error %u)", nr.code, nr.message,
	    nr.error_code);
	cr_assert_eq(nr.code, 0);
	cr_assert_str_eq(nr.message, message);
}

static const char *QUEUED = "recorded; the notification is queued for the connector";

static char *
expected_success(const char *txn, const uint8_t *csr, size_t csr_len, const uint8_t *der,
    size_t der_len)
{
	const uint8_t *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)der_len);
	char thumb[NDES_CRYPTO_HEX_MAX], serial[NDES_CRYPTO_HEX_MAX], expires[32];
	char *csr64 = ndes_b64_encode(csr, csr_len), *text;
	struct tm tm;
	json_t *o;

	cr_assert_eq(ndes_crypto_digest_hex(der, der_len, EVP_sha1(), thumb, sizeof(thumb)), 0);
	cr_assert_eq(ndes_crypto_serial_hex(cert, serial, sizeof(serial)), 0);
	cr_assert_eq(ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm), 1);
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:b, s:b, s:s, s:s, s:[]}}",
	    "transactionId", txn, "certificateRequest", csr64,
	    "certificateThumbprint", thumb, "certificateSerialNumber", serial,
	    "certificateExpirationDateUtc", expires,
	    "issuingCertificateAuthority", "CN=Test Issuing CA",
	    "callerInfo", "ndes-crpd/" PACKAGE_VERSION,
	    "caConfiguration", "ca.example\\Test CA", "certificateAuthority", "Test CA",
	    "ndesConformance", "checked", 1, "conforms", 1, "revoke", 0, "challengeId", ID,
	    "profile",
	    "profile-wifi",
	    "differences");
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	free(csr64);
	X509_free(cert);
	return text;
}

static long
outbox(void)
{
	return crpd_h_sql_count(h, "SELECT count(*) FROM outbox");
}

/* The events of txn with that ID. */
static size_t
count_events(const char *txn, const char *id, const char *code)
{
	json_t *arr = crpd_h_events(h, txn, 0), *e;
	size_t i, n = 0;

	json_array_foreach(arr, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "NDES_EVENT_ID")), id) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "NDES_DIAG_CODE")), code) == 0)
			n++;
	}
	json_decref(arr);
	return n;
}

static void
wait_events(const char *txn, const char *id, const char *code, size_t want)
{
	for (int i = 0; i < 100 && count_events(txn, id, code) < want; i++)
		usleep(50000);
	cr_assert_eq(count_events(txn, id, code), want, "%s %s events for %s", id, code, txn);
}

Test(crpd_notify, success_reaches_the_connector_exactly_once)
{
	char *challenge, *want;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;
	json_t *got, *item;

	connector = crpd_h_connector_start(h, true);
	csr = verify("txn-s", &csr_len, &challenge);
	cert = crpd_h_issue_conforming(key_a, &cert_len);
	notify_ok(NULL, "txn-s", 0, 0, cert, cert_len, "", QUEUED);
	got = crpd_h_connector_received(h, 1);
	cr_assert_eq(json_array_size(got), 1);
	item = json_array_get(got, 0);
	cr_assert_str_eq(json_string_value(json_object_get(item, "kind")), "successNotification");
	cr_assert_eq(strlen(json_string_value(json_object_get(item, "id"))), 36);
	want = expected_success("txn-s", csr, csr_len, cert, cert_len);
	cr_assert_str_eq(json_string_value(json_object_get(item, "body")), want);
	wait_events("txn-s", "20600", "0x00000000", 1);
	cr_assert_eq(outbox(), 0);
	sleep(2);	/* two retry intervals: nothing is sent again */
	json_decref(got);
	got = crpd_h_connector_received(h, 2);
	cr_assert_eq(json_array_size(got), 1);
	cr_assert_eq(count_events("txn-s", "20602", "0x00001101"), 0);
	cr_assert_eq(count_events("txn-s", "20601", "0x00001503"), 0, "it conforms: no 20601");
	json_decref(got);
	free(want);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
}

Test(crpd_notify, connector_down_then_back)
{
	char *challenge;
	uint8_t *csr;
	size_t csr_len;
	json_t *got, *body;

	csr = verify("txn-down", &csr_len, &challenge);
	notify_ok(NULL, "txn-down", 2, 0x80070005, NULL, 0, "access denied", QUEUED);
	wait_events("txn-down", "20602", "0x00001101", 1);
	sleep(2);	/* several failed retries: still reported once */
	cr_assert_eq(count_events("txn-down", "20602", "0x00001101"), 1);
	cr_assert_eq(outbox(), 1);
	connector = crpd_h_connector_start(h, true);
	got = crpd_h_connector_received(h, 1);
	cr_assert_eq(json_array_size(got), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(got, 0), "kind")),
	    "failureNotification");
	body = json_loads(json_string_value(json_object_get(json_array_get(got, 0), "body")), 0,
	    NULL);
	cr_assert_eq(json_integer_value(json_object_get(body, "hResult")), -2147024891);
	cr_assert_str_eq(json_string_value(json_object_get(body, "errorDescription")),
	    "access denied");
	/* a certificate that was not issued: 20610, never 20600 (issue 16) */
	wait_events("txn-down", "20610", "0x00001103", 1);
	cr_assert_eq(count_events("txn-down", "20600", "0x00000000"), 0);
	cr_assert_eq(outbox(), 0);
	sleep(2);
	json_decref(got);
	got = crpd_h_connector_received(h, 2);
	cr_assert_eq(json_array_size(got), 1, "delivered %zu times", json_array_size(got));
	json_decref(got);
	json_decref(body);
	free(challenge);
	OPENSSL_free(csr);
}

Test(crpd_notify, kept_across_kill_9)
{
	char *challenge;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;
	json_t *got;

	csr = verify("txn-k9", &csr_len, &challenge);
	cert = crpd_h_issue(key_a, "alice", &cert_len);
	notify_ok(challenge, "txn-k9", 0, 0, cert, cert_len, "", QUEUED);
	crpd_h_kill9(h);
	cr_assert_eq(outbox(), 1);
	connector = crpd_h_connector_start(h, true);
	crpd_h_start(h);
	got = crpd_h_connector_received(h, 1);
	cr_assert_eq(json_array_size(got), 1);
	wait_events("txn-k9", "20600", "0x00000000", 1);
	cr_assert_eq(outbox(), 0);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
}

Test(crpd_notify, unacknowledged_is_sent_again_with_the_same_id)
{
	char *challenge;
	uint8_t *csr;
	size_t csr_len;
	json_t *got;
	const char *id0, *id1;

	connector = crpd_h_connector_start(h, false);
	csr = verify("txn-noack", &csr_len, &challenge);
	notify_ok(NULL, "txn-noack", 2, 1, NULL, 0, "x", QUEUED);
	got = crpd_h_connector_received(h, 1);
	cr_assert_eq(json_array_size(got), 1);
	json_decref(got);
	cr_assert_eq(outbox(), 1);
	crpd_h_connector_stop(connector);
	connector = crpd_h_connector_start(h, true);
	got = crpd_h_connector_received(h, 2);
	cr_assert_eq(json_array_size(got), 2);
	id0 = json_string_value(json_object_get(json_array_get(got, 0), "id"));
	id1 = json_string_value(json_object_get(json_array_get(got, 1), "id"));
	cr_assert_str_eq(id0, id1);
	wait_events("txn-noack", "20610", "0x00001103", 1);	/* a failure: not 20600 */
	cr_assert_eq(count_events("txn-noack", "20600", "0x00000000"), 0);
	cr_assert_eq(outbox(), 0);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
}

Test(crpd_notify, failure_description_is_cut_at_255_characters)
{
	char desc[1024] = "", *challenge;
	uint8_t *csr;
	size_t csr_len;
	json_t *got, *body;
	const char *d;

	for (int i = 0; i < 300; i++)
		strcat(desc, "\xc3\xa9");	/* é: two bytes, one character */
	connector = crpd_h_connector_start(h, true);
	csr = verify("txn-long", &csr_len, &challenge);
	/* found by the challenge text, with no transaction ID */
	notify_ok(challenge, "", 2, 0x0000000D, NULL, 0, desc, QUEUED);
	got = crpd_h_connector_received(h, 1);
	body = json_loads(json_string_value(json_object_get(json_array_get(got, 0), "body")), 0,
	    NULL);
	d = json_string_value(json_object_get(body, "errorDescription"));
	cr_assert_eq(strlen(d), 510, "%zu bytes", strlen(d));
	cr_assert_eq(strncmp(d, desc, 510), 0);
	cr_assert_str_eq(json_string_value(json_object_get(body, "transactionId")), "txn-long");
	cr_assert_eq(json_integer_value(json_object_get(body, "hResult")), 13);
	cr_assert_str_eq(json_string_value(json_object_get(body, "callerInfo")),
	    "ndes-crpd/" PACKAGE_VERSION);
	json_decref(body);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
}

Test(crpd_notify, unknown_request)
{
	struct crpd_h_notify_reply nr;
	uint8_t *cert;
	size_t len;

	cert = crpd_h_issue(key_a, "alice", &len);
	crpd_h_notify(h, "not a known challenge", "txn-unknown", 0, 0, cert, len, "", &nr);
	cr_assert_not(nr.accepted);
	cr_assert_eq(nr.code, 0x1102);
	wait_events("txn-unknown", "20602", "0x00001102", 1);
	cr_assert_eq(outbox(), 0);
	OPENSSL_free(cert);
}

Test(crpd_notify, pending_is_recorded_and_nothing_is_sent)
{
	char *challenge;
	uint8_t *csr;
	size_t csr_len;

	csr = verify("txn-pending", &csr_len, &challenge);
	notify_ok(NULL, "txn-pending", 3, 0, NULL, 0, "", "recorded");
	cr_assert_eq(outbox(), 0);
	cr_assert_eq(crpd_h_sql_count(h, "SELECT last_disposition FROM challenges"), 3);
	cr_assert_eq(crpd_h_sql_count(h, "SELECT state FROM challenges"), 1);
	free(challenge);
	OPENSSL_free(csr);
}

Test(crpd_notify, duplicate_success_is_sent_once)
{
	char *challenge;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;

	csr = verify("txn-dup", &csr_len, &challenge);
	cert = crpd_h_issue(key_a, "alice", &cert_len);
	notify_ok(NULL, "txn-dup", 0, 0, cert, cert_len, "", QUEUED);
	notify_ok(NULL, "txn-dup", 0, 0, cert, cert_len, "",
	    "recorded before; nothing new to send");
	cr_assert_eq(outbox(), 1);
	cr_assert_eq(crpd_h_sql_count(h, "SELECT state FROM challenges"), 2);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
}

/* A Success naming the verified request (by its challenge, or by its
 * transaction ID) but carrying a certificate for another key: refused, the
 * challenge stays unissued (the same key may retry), nothing is sent. */
Test(crpd_notify, certificate_for_another_key_is_refused)
{
	static const char *const why = "the issued certificate is for another public key than "
	    "the verified request this notification names";
	EVP_PKEY *other = testpki_key("ec-p256");
	struct crpd_h_notify_reply nr;
	struct crpd_h_reply r;
	size_t csr_len, len;
	char *challenge;
	uint8_t *csr = verify("txn-other-key", &csr_len, &challenge);
	uint8_t *cert = crpd_h_issue(other, "alice", &len);

	crpd_h_notify(h, challenge, "", 0, 0, cert, len, "", &nr);
	cr_assert(!nr.accepted && nr.code == 0x1102, "0x%08X %s", nr.code, nr.message);
	cr_assert_str_eq(nr.message, why);
	crpd_h_notify(h, "", "txn-other-key", 0, 0, cert, len, "", &nr);
	cr_assert(!nr.accepted && nr.code == 0x1102, "0x%08X %s", nr.code, nr.message);
	cr_assert_str_eq(nr.message, why);
	wait_events("txn-other-key", "20602", "0x00001102", 1);
	cr_assert_eq(outbox(), 0);
	crpd_h_verify(h, csr, csr_len, "txn-other-key-retry", &r);
	cr_assert(r.verified, "no longer verified for its own key: %s", r.reason);
	OPENSSL_free(cert);
	EVP_PKEY_free(other);
	free(challenge);
	OPENSSL_free(csr);
}

/* The conformance check after issuance (docs/policy.md): a certificate that
 * is not what the challenge asked for is recorded and sent all the same,
 * with one 20601 per difference and the list in ndesConformance; found by
 * its key alone (the depot watcher's notification: no challenge, no
 * transaction), the claims are read again from the verified request. */
static void
assert_differences(json_t *body, const char *const *codes, size_t n)
{
	json_t *conf = json_object_get(body, "ndesConformance");
	json_t *diffs = json_object_get(conf, "differences");

	cr_assert(json_is_true(json_object_get(conf, "checked")));
	cr_assert(json_is_false(json_object_get(conf, "conforms")));
	cr_assert_str_eq(json_string_value(json_object_get(conf, "profile")), "profile-wifi");
	cr_assert_eq(json_array_size(diffs), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, i),
		    "code")), codes[i]);
}

Test(crpd_notify, certificate_unlike_its_profile_is_sent_with_its_differences)
{
	static const char *const codes[] = { "0x00001501", "0x00001503", "0x00001504",
	    "0x00001505" };
	char *challenge;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;
	json_t *got, *body;

	connector = crpd_h_connector_start(h, true);
	csr = verify("txn-d", &csr_len, &challenge);
	cert = crpd_h_issue(key_a, "alice", &cert_len);	/* CN=alice, no extensions */
	notify_ok(NULL, "", 0, 0, cert, cert_len, "depot certificate alice.2.pem", QUEUED);
	got = crpd_h_connector_received(h, 1);
	body = json_loads(json_string_value(json_object_get(json_array_get(got, 0), "body")), 0,
	    NULL);
	assert_differences(body, codes, 4);
	cr_assert(json_is_false(json_object_get(json_object_get(body, "ndesConformance"),
	    "revoke")), "conformance: warn (the default) asks for no revocation");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(body, "ndesConformance"), "differences"), 1), "detail")),
	    "missing email:alice@contoso.com; missing upn:alice@contoso.com");
	for (size_t i = 0; i < 4; i++)
		wait_events("txn-d", "20601", codes[i], 1);
	wait_events("txn-d", "20600", "0x00000000", 1);
	json_decref(body);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
}

/* conformance: revoke: the successNotification asks the connector to revoke
 * the certificate (docs/crpd.md, "Conformance"); a conforming one is not. */
Test(crpd_notify, conformance_revoke_asks_the_connector_to_revoke)
{
	struct crpd_h_opts opts = { .extra_yaml = "conformance: revoke\n" };
	char *challenge;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;
	json_t *got, *body;

	crpd_h_finish(&h);	/* the suite's crpd, with the default conformance: warn */
	h = crpd_h_launch(&opts);
	connector = crpd_h_connector_start(h, true);
	csr = verify("txn-r", &csr_len, &challenge);
	cert = crpd_h_issue(key_a, "alice", &cert_len);
	notify_ok(challenge, "txn-r", 0, 0, cert, cert_len, "", QUEUED);
	got = crpd_h_connector_received(h, 1);
	body = json_loads(json_string_value(json_object_get(json_array_get(got, 0), "body")), 0,
	    NULL);
	cr_assert(json_is_true(json_object_get(json_object_get(body, "ndesConformance"),
	    "revoke")));
	json_decref(body);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
}

/* The chain (docs/crpd.md, "Conformance"): the claims name the profile's
 * trusted root by its SHA-256, crpd has the issuing CA's certificates in
 * paths.issuing_ca_certs; a root that is not among them is a difference,
 * found from the verified request alone (a depot-style notification). */
Test(crpd_notify, trusted_root_not_among_the_issuing_cas_certificates)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *other = testpki_cert(k, "Other Root", NULL, NULL, -60, 365);
	struct ndes_challenge_claims c;
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;
	char *path, *challenge;
	uint8_t *csr, *cert;
	size_t csr_len, cert_len;
	json_t *got, *body, *diffs;

	crpd_h_finish(&h);
	h = crpd_h_new(NULL);
	path = crpd_h_path(h, "ca");
	cr_assert_eq(mkdir(path, 0755), 0);
	free(path);
	path = crpd_h_path(h, "ca/issuing-ca.pem");
	crpd_h_write_certs(path, &other, 1);
	free(path);
	crpd_h_start(h);
	connector = crpd_h_connector_start(h, true);
	crpd_h_claims(&c, ID);
	c.trusted_root = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
	challenge = crpd_h_seal(h, &c);
	crpd_h_csr_default(&s, key_a, challenge);
	csr = crpd_h_csr(&s, &csr_len);
	crpd_h_verify(h, csr, csr_len, "txn-c", &r);
	cr_assert(r.verified, "%s", r.reason);
	cert = crpd_h_issue_conforming(key_a, &cert_len);
	notify_ok(NULL, "", 0, 0, cert, cert_len, "depot certificate alice.2.pem", QUEUED);
	got = crpd_h_connector_received(h, 1);
	body = json_loads(json_string_value(json_object_get(json_array_get(got, 0), "body")), 0,
	    NULL);
	diffs = json_object_get(json_object_get(body, "ndesConformance"), "differences");
	cr_assert_eq(json_array_size(diffs), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 0), "code")),
	    "0x00001509");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(diffs, 0), "detail")),
	    "the profile's trusted root (SHA-256 00112233445566778899AABBCCDDEEFF00112233445566778"
	    "899AABBCCDDEEFF) is not among the issuing CA's certificates");
	wait_events("txn-c", "20601", "0x00001509", 1);
	json_decref(body);
	json_decref(got);
	free(challenge);
	OPENSSL_free(csr);
	OPENSSL_free(cert);
	X509_free(other);
	EVP_PKEY_free(k);
}
