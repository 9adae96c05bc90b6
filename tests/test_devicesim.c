/* ndes-device-sim without a SCEP server (devicesim/dsim.h, dsim_fleet.h):
 * the profile payload read, the key and request made exactly as it says,
 * the check after issuance on certificates made here, the renewal rule and
 * the clock offset, the state folder, the device found by ID or name, the
 * fleet's counts and worker pool, the folder of keys made before a run. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/x509v3.h>

#include "conformance.h"
#include "crypto.h"
#include "csr.h"
#include "dsim.h"
#include "dsim_cloud.h"
#include "dsim_fleet.h"
#include "dsim_keys.h"
#include "lib/testpki.h"
#include "lib/workdir.h"

static EVP_PKEY *ca_key;
static X509 *ca_cert;

static void
setup(void)
{
	ca_key = testpki_key("ec-p256");
	ca_cert = testpki_root(ca_key, "Contoso Root", 3650);
}

static void
teardown(void)
{
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
}

TestSuite(devicesim, .init = setup, .fini = teardown);

/* A challenge answer as the emulator gives it (docs/cloud-api.md). */
static json_t *
answer_new(const char *key_type, int bits, const char *hash)
{
	char *pem = ndes_crypto_cert_to_pem(ca_cert);
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}, "
	    "{s:s, s:s}, {s:s, s:s}], s:s, s:i, s:[s, s], s:[s], s:s, s:i, s:s, s:i, "
	    "s:[s, s], s:s, s:s, s:n}",
	    "challenge", "MIIFOAYLKoZIhvcNAQkQARegggUnMIIFIwIBADGC+/=",
	    "challengeId", "8820820d-47e3-4074-8fa5-3d067f0e8d77",
	    "deviceId", "dev-ios-1", "userId", "alice@contoso.com", "profile", "wifi-user",
	    "certificateType", "user", "subject", "CN=alice/x@contoso.com,O=Contoso,C=US",
	    "subjectOpenssl", "/C=US/O=Contoso/CN=alice\\/x@contoso.com",
	    "sans", "type", "email", "value", "alice.smith@contoso.com",
	    "type", "upn", "value", "alice@contoso.com", "type", "dns", "value", "d1.contoso.com",
	    "keyType", key_type, "keySize", bits, "keyUsage", "digitalSignature",
	    "keyEncipherment", "extendedKeyUsages", "1.3.6.1.5.5.7.3.2", "hash", hash,
	    "validityDays", 365, "templateName", "SvcGeneral", "renewalThresholdPercent", 20,
	    "scepServerUrls", "http://127.0.0.1:1/scep", "http://127.0.0.1:8080/scep",
	    "trustedRootProfile", "Root iOS", "trustedRootCertificate", pem,
	    "keyStorageProvider");

	free(pem);
	cr_assert_not_null(a);
	return a;
}

Test(devicesim, payload_is_read_whole)
{
	json_t *a = answer_new("RSA", 2048, "sha256");
	struct dsim_payload p;
	char err[DSIM_ERR_MAX];

	cr_assert_eq(dsim_payload_parse(a, &p, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(p.claims.device_id, "dev-ios-1");
	cr_expect_str_eq(p.claims.user_id, "alice@contoso.com");
	cr_expect_eq(p.claims.n_sans, 3);
	cr_expect_str_eq(p.claims.sans[1].type, "upn");
	cr_expect_eq(p.claims.key_usage, NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_ENCIPHERMENT);
	cr_expect_eq(p.n_urls, 2);
	cr_expect_str_eq(p.urls[1], "http://127.0.0.1:8080/scep");
	cr_expect_eq(p.renewal_pct, 20);
	cr_expect_eq(X509_cmp(p.trusted_root, ca_cert), 0);
	dsim_payload_clear(&p);
	/* a device certificate: no user, no template */
	json_object_set_new(a, "userId", json_null());
	json_object_set_new(a, "templateName", json_null());
	cr_assert_eq(dsim_payload_parse(a, &p, err, sizeof(err)), 0, "%s", err);
	cr_expect_null(p.claims.user_id);
	dsim_payload_clear(&p);
	json_decref(a);
}

Test(devicesim, payload_refuses_what_a_device_cannot_follow)
{
	static const char *const cases[][2] = {
		{ "scepServerUrls", "[\"ftp://x/scep\"]" },
		{ "scepServerUrls", "[]" },
		{ "subjectOpenssl", "null" },
		{ "renewalThresholdPercent", "0" },
		{ "keyUsage", "[\"everything\"]" },
		{ "extendedKeyUsages", "[\"not an oid\"]" },
		{ "sans", "[{\"type\": \"x400\", \"value\": \"a\"}]" },
		{ "trustedRootCertificate", "\"-----BEGIN CERTIFICATE-----\\nAA==\\n\"" },
		{ "challenge", "null" },
	};
	struct dsim_payload p;
	char err[DSIM_ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *a = answer_new("RSA", 2048, "sha256");
		json_object_set_new(a, cases[i][0], json_loads(cases[i][1], JSON_DECODE_ANY, NULL));
		err[0] = '\0';
		cr_expect_eq(dsim_payload_parse(a, &p, err, sizeof(err)), -1, "%s accepted",
		    cases[i][0]);
		cr_expect(strstr(err, cases[i][0]) != NULL || strstr(err, "lacks") != NULL,
		    "%s: %s", cases[i][0], err);
		json_decref(a);
	}
}

/* The request carries exactly what the payload says. */
static void
check_request(const char *key_type, int bits, const char *hash)
{
	json_t *a = answer_new(key_type, bits, hash);
	struct dsim_payload p;
	struct ndes_csr_info *info;
	char err[DSIM_ERR_MAX];
	EVP_PKEY *key;
	X509_REQ *req;

	cr_assert_eq(dsim_payload_parse(a, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(key = dsim_key_new(key_type, bits, err, sizeof(err)), "%s", err);
	cr_assert_not_null(req = dsim_request_new(&p, key, err, sizeof(err)), "%s", err);
	cr_expect_eq(ndes_csr_verify_signature(req), 1);
	cr_assert_not_null(info = ndes_csr_inspect(req, err, sizeof(err)), "%s", err);
	cr_expect_str_eq(info->subject, "CN=alice/x@contoso.com,O=Contoso,C=US");
	cr_expect_str_eq(info->challenge_password, p.challenge);
	cr_expect(ndes_claims_sans_equal(&p.claims, info, err, sizeof(err)), "%s", err);
	cr_expect(ndes_claims_ekus_equal(&p.claims, info, err, sizeof(err)), "%s", err);
	cr_expect_eq(info->sans[1].type, NDES_SAN_UPN);
	cr_expect_eq(info->has_key_usage, 1);
	cr_expect_eq(info->key_usage_critical, 1);
	cr_expect_eq(info->key_usage, NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_ENCIPHERMENT);
	cr_expect_eq(info->key_type, strcmp(key_type, "EC") ? NDES_KEY_RSA : NDES_KEY_EC);
	cr_expect_eq(info->key_bits, bits);
	cr_expect_str_eq(info->sig_hash, hash);
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	dsim_payload_clear(&p);
	json_decref(a);
}

Test(devicesim, request_rsa_as_the_profile_says) { check_request("RSA", 2048, "sha256"); }
Test(devicesim, request_ec_as_the_profile_says) { check_request("EC", 384, "sha384"); }

Test(devicesim, key_sizes_a_device_cannot_make_are_refused)
{
	char err[DSIM_ERR_MAX];

	cr_expect_null(dsim_key_new("EC", 255, err, sizeof(err)));
	cr_expect_null(dsim_key_new("RSA", 512, err, sizeof(err)));
	cr_expect_null(dsim_key_new("DSA", 2048, err, sizeof(err)));
	cr_expect(strstr(err, "DSA") != NULL, "%s", err);
}

Test(devicesim, subject_text_is_parsed_with_its_escapes)
{
	char err[DSIM_ERR_MAX];
	X509_NAME *n = dsim_name_from_openssl("/C=US/O=A\\+B/CN=x\\\\y", err, sizeof(err));
	char *s;

	cr_assert_not_null(n, "%s", err);
	s = ndes_crypto_name_to_string(n);
	cr_expect_str_eq(s, "CN=x\\\\y,O=A\\+B,C=US");
	free(s);
	X509_NAME_free(n);
	cr_expect_null(dsim_name_from_openssl("C=US", err, sizeof(err)));
	cr_expect_null(dsim_name_from_openssl("/C=US/nonsense", err, sizeof(err)));
	cr_expect_null(dsim_name_from_openssl("/NOSUCHTYPE=a", err, sizeof(err)));
}

/* A certificate for the request, its extensions copied, as a CA that
 * honours the request would issue it; drop_san: without its SANs. */
static X509 *
issue(X509_REQ *req, int days, bool drop_san)
{
	X509 *c = X509_new();
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);

	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_set_version(c, 2);
	X509_set_issuer_name(c, X509_get_subject_name(ca_cert));
	X509_set_subject_name(c, X509_REQ_get_subject_name(req));
	X509_set_pubkey(c, X509_REQ_get0_pubkey(req));
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400);
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		if (!drop_san || OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_subject_alt_name)
			X509_add_ext(c, e, -1);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_sign(c, ca_key, EVP_sha256());
	return c;
}

Test(devicesim, what_was_issued_is_checked_like_crpd_does)
{
	json_t *a = answer_new("EC", 256, "sha256");
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct dsim_payload p;
	char err[DSIM_ERR_MAX], why[1024];
	EVP_PKEY *key, *other;
	X509_REQ *req;
	X509 *good, *nosan;

	sk_X509_push(chain, ca_cert);
	cr_assert_eq(dsim_payload_parse(a, &p, err, sizeof(err)), 0, "%s", err);
	key = dsim_key_new("EC", 256, err, sizeof(err));
	other = dsim_key_new("EC", 256, err, sizeof(err));
	req = dsim_request_new(&p, key, err, sizeof(err));
	good = issue(req, 365, false);
	nosan = issue(req, 365, true);
	cr_expect_eq(dsim_conform(&p, good, key, chain, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(dsim_conform(&p, nosan, key, chain, why, sizeof(why)), 1);
	cr_expect(strstr(why, "0x00001503") != NULL, "%s", why);
	cr_expect_eq(dsim_conform(&p, good, other, chain, why, sizeof(why)), 1);
	cr_expect(strstr(why, "0x00001506") != NULL, "%s", why);
	/* another trusted root: the chain does not verify to it */
	X509_free(p.trusted_root);
	p.trusted_root = testpki_cert(other, "Another Root", NULL, NULL, -60, 30);
	cr_expect_eq(dsim_conform(&p, good, key, chain, why, sizeof(why)), 1);
	cr_expect(strstr(why, "0x00001509") != NULL, "%s", why);
	X509_free(good);
	X509_free(nosan);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	sk_X509_free(chain);
	dsim_payload_clear(&p);
	json_decref(a);
}

Test(devicesim, renewal_is_due_under_the_threshold)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	/* 730 days, 584 gone: 146 left, exactly 20% -> not under it */
	X509 *at = testpki_cert(key, "d", NULL, NULL, -584L * 86400, 730);
	X509 *under = testpki_cert(key, "d", NULL, NULL, -585L * 86400, 730);
	X509 *young = testpki_cert(key, "d", NULL, NULL, -10L * 86400, 730);
	char why[256];

	cr_expect_not(dsim_renewal_due(at, 20, time(NULL) - 5, why, sizeof(why)), "%s", why);
	cr_expect(dsim_renewal_due(under, 20, time(NULL), why, sizeof(why)), "%s", why);
	cr_expect(strstr(why, "145 of 730 days left") != NULL, "%s", why);
	cr_expect_not(dsim_renewal_due(young, 20, time(NULL), why, sizeof(why)));
	/* the device's clock, moved on */
	cr_expect(dsim_renewal_due(young, 20, time(NULL) + 700L * 86400, why, sizeof(why)));
	X509_free(at);
	X509_free(under);
	X509_free(young);
	EVP_PKEY_free(key);
}

Test(devicesim, clock_offsets)
{
	static const struct { const char *text; int64_t s; } good[] = {
		{ "+700d", 700LL * 86400 }, { "-2h", -7200 }, { "90m", 5400 }, { "30s", 30 },
		{ "15", 15 }, { "0", 0 },
	};
	static const char *const bad[] = { "", "d", "7x", "+1d2", "1dd", "99999999999d",
	    "abc" };
	int64_t s;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(dsim_clock_offset_parse(good[i].text, &s), 0, "%s", good[i].text);
		cr_expect_eq(s, good[i].s, "%s", good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(dsim_clock_offset_parse(bad[i], &s), -1, "\"%s\" accepted", bad[i]);
	dsim_clock_set_offset(3600);
	cr_expect_geq(dsim_now(), time(NULL) + 3599);
	dsim_clock_set_offset(0);
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	cr_assert_eq(stat(path, &sb), 0, "%s", path);
	return sb.st_mode & 07777;
}

Test(devicesim, state_folder_keeps_key_private_and_the_old_pair)
{
	struct dsim_state st;
	char err[DSIM_ERR_MAX], name[64];
	EVP_PKEY *k1 = testpki_key("ec-p256"), *k2 = testpki_key("ec-p256");
	X509 *c1 = testpki_cert(k1, "one", NULL, NULL, 0, 10);
	X509 *c2 = testpki_cert(k2, "two", NULL, NULL, 0, 10);

	workdir_enter("devicesim");
	cr_assert_eq(dsim_state_open(workdir_path("st"), "dev-1", "Wi-Fi (iOS)", &st, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_null(st.cert);
	cr_assert_eq(dsim_state_save(&st, k1, c1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dsim_state_save(&st, k2, c2, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(mode_of(workdir_path("st/dev-1/Wi-Fi__iOS_/key.pem")), 0600);
	cr_expect_eq(mode_of(workdir_path("st/dev-1/Wi-Fi__iOS_/key.old.pem")), 0600);
	cr_expect_eq(mode_of(workdir_path("st/dev-1")), 0700);
	dsim_state_clear(&st);
	cr_assert_eq(dsim_state_open(workdir_path("st"), "dev-1", "Wi-Fi (iOS)", &st, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(X509_cmp(st.cert, c2), 0);
	cr_expect_eq(EVP_PKEY_eq(st.key, k2), 1);
	dsim_state_clear(&st);
	/* one folder name, never a path */
	dsim_state_file_name("../../etc", name, sizeof(name));
	cr_expect_str_eq(name, "_._.._etc");
	workdir_leave();
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

Test(devicesim, report_names_the_certificate)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *c = testpki_cert(k, "one", NULL, NULL, 0, 10);
	struct dsim_report r = { .device_id = "d", .profile = "p", .succeeded = true,
	    .cert = c, .url = "http://x/scep" };
	json_t *j = dsim_report_json(&r);
	char tp[NDES_CRYPTO_HEX_MAX];

	ndes_crypto_thumbprint(c, EVP_sha1(), tp, sizeof(tp));
	cr_expect_str_eq(json_string_value(json_object_get(j, "state")), "succeeded");
	cr_expect_str_eq(json_string_value(json_object_get(j, "thumbprint")), tp);
	cr_expect_null(json_object_get(j, "userId"));
	json_decref(j);
	r.succeeded = false;
	r.cert = NULL;
	r.reason = "refused: failInfo badRequest";
	j = dsim_report_json(&r);
	cr_expect_str_eq(json_string_value(json_object_get(j, "state")), "failed");
	cr_expect_null(json_object_get(j, "thumbprint"));
	json_decref(j);
	X509_free(c);
	EVP_PKEY_free(k);
}

Test(devicesim, fleet_counts_and_percentiles)
{
	struct dsim_fleet_stats s = { 0 };

	for (int i = 100; i >= 1; i--)
		dsim_fleet_count_ok(&s, i % 10 == 0, i);
	dsim_fleet_count_failed(&s, "badRequest");
	dsim_fleet_count_failed(&s, "unreachable");
	dsim_fleet_count_failed(&s, "badRequest");
	cr_expect_eq(s.enrolled, 90);
	cr_expect_eq(s.renewed, 10);
	cr_expect_eq(s.failed, 3);
	cr_expect_eq(s.n_reasons, 2);
	cr_expect_eq(s.reasons[0].n, 2);
	cr_expect_float_eq(dsim_fleet_percentile(&s, 50), 50.0, 1e-9);
	cr_expect_float_eq(dsim_fleet_percentile(&s, 99), 99.0, 1e-9);
	cr_expect_float_eq(dsim_fleet_percentile(&s, 100), 100.0, 1e-9);
	dsim_fleet_stats_clear(&s);
	cr_expect_float_eq(dsim_fleet_percentile(&s, 50), 0.0, 1e-9);
}

struct wq_test {
	pthread_t loop;
	int worked_elsewhere, done, n;
	struct event_base *base;
};

static void
wq_work(void *arg)
{
	struct wq_test *t = arg;

	if (!pthread_equal(pthread_self(), t->loop))
		__atomic_add_fetch(&t->worked_elsewhere, 1, __ATOMIC_SEQ_CST);
}

static void
wq_done(void *arg)
{
	struct wq_test *t = arg;

	cr_expect(pthread_equal(pthread_self(), t->loop));
	if (++t->done == t->n)
		event_base_loopbreak(t->base);
}

Test(devicesim, work_runs_off_the_loop_and_returns_to_it)
{
	struct wq_test t = { .loop = pthread_self(), .n = 200 };
	struct dsim_workq *q;

	t.base = event_base_new();
	cr_assert_not_null(q = dsim_workq_new(t.base, 3));
	for (int i = 0; i < t.n; i++)
		cr_assert_eq(dsim_workq_submit(q, wq_work, wq_done, &t), 0);
	event_base_dispatch(t.base);
	cr_expect_eq(t.done, t.n);
	cr_expect_eq(t.worked_elsewhere, t.n);
	dsim_workq_free(q);
	event_base_free(t.base);
}

Test(devicesim, device_by_id_or_unique_name)
{
	json_t *devs = json_loads("[{\"deviceId\": \"id-1\", \"name\": \"WS\"},"
	    "{\"deviceId\": \"id-2\", \"name\": \"PHONE\"}, {\"deviceId\": \"id-3\", \"name\": \"PHONE\"},"
	    "{\"deviceId\": \"WS\", \"name\": \"odd\"}]", 0, NULL);
	char err[DSIM_ERR_MAX];
	json_t *d;

	cr_assert_not_null(devs);
	d = dsim_cloud_pick_device(devs, "id-2", err, sizeof(err));
	cr_expect_str_eq(json_string_value(json_object_get(d, "deviceId")), "id-2");
	/* an ID wins over a name */
	d = dsim_cloud_pick_device(devs, "WS", err, sizeof(err));
	cr_expect_str_eq(json_string_value(json_object_get(d, "deviceId")), "WS");
	d = dsim_cloud_pick_device(devs, "odd", err, sizeof(err));
	cr_expect_str_eq(json_string_value(json_object_get(d, "deviceId")), "WS");
	cr_expect_null(dsim_cloud_pick_device(devs, "PHONE", err, sizeof(err)));
	cr_expect_str_eq(err, "2 devices are named \"PHONE\": give its ID");
	cr_expect_null(dsim_cloud_pick_device(devs, "nobody", err, sizeof(err)));
	cr_expect(strstr(err, "no device \"nobody\"") != NULL, "%s", err);
	json_decref(devs);
}

/* ---- keys made before a fleet run (dsim_keys.h) ---- */

Test(devicesim, key_spec_is_the_profile_key_type_and_size)
{
	const char *type = NULL;
	char err[DSIM_ERR_MAX];
	int bits = 0;

	cr_assert_eq(dsim_key_spec_parse("rsa:2048", &type, &bits, err, sizeof(err)), 0);
	cr_expect_str_eq(type, "RSA");
	cr_expect_eq(bits, 2048);
	cr_assert_eq(dsim_key_spec_parse("EC:P-384", &type, &bits, err, sizeof(err)), 0);
	cr_expect_str_eq(type, "EC");
	cr_expect_eq(bits, 384);
	cr_expect_eq(dsim_key_spec_parse("ec:p255", &type, &bits, err, sizeof(err)), -1);
	cr_expect_eq(dsim_key_spec_parse("rsa:512", &type, &bits, err, sizeof(err)), -1);
	cr_expect_eq(dsim_key_spec_parse("rsa:2048x", &type, &bits, err, sizeof(err)), -1);
	cr_expect_eq(dsim_key_spec_parse("dsa:2048", &type, &bits, err, sizeof(err)), -1);
	cr_expect(strstr(err, "not rsa:BITS") != NULL, "%s", err);
}

/* Every key of the folder taken once, in name order, then none. */
static void
take_all(const char *dir, int expect)
{
	struct dsim_keydir *kd;
	char err[DSIM_ERR_MAX], *path, want[64];
	EVP_PKEY *key;

	cr_assert_not_null(kd = dsim_keydir_open(dir, err, sizeof(err)), "%s", err);
	cr_assert_eq(dsim_keydir_count(kd), expect);
	for (int i = 1; i <= expect; i++) {
		cr_assert_not_null(path = dsim_keydir_take(kd));
		snprintf(want, sizeof(want), "/key-%08d.pem", i);
		cr_expect(strstr(path, want) != NULL, "%s, not %s", path, want);
		/* the right type, another (the check that follows refuses it), none */
		cr_assert_not_null(key = dsim_keydir_load(path, i == 1 ? "EC" : i == 2 ?
		    "RSA" : NULL, err, sizeof(err)), "%s", err);
		cr_expect_eq(dsim_key_matches(key, "EC", 256, err, sizeof(err)), 0, "%s", err);
		cr_expect_eq(dsim_keydir_mark_used(path, err, sizeof(err)), 0, "%s", err);
		EVP_PKEY_free(key);
		free(path);
	}
	cr_expect_null(dsim_keydir_take(kd), "the folder ran out");
	dsim_keydir_free(kd);
}

Test(devicesim, key_folder_keys_are_taken_once_and_marked_used)
{
	char err[DSIM_ERR_MAX];

	workdir_enter("devicesim");
	cr_assert_eq(dsim_keygen(workdir_path("keys"), "EC", 256, 3, 2, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_eq(mode_of(workdir_path("keys")), 0700);
	cr_expect_eq(mode_of(workdir_path("keys/key-00000003.pem")), 0600);
	take_all(workdir_path("keys"), 3);
	cr_expect_eq(mode_of(workdir_path("keys/key-00000001.pem.used")), 0600);
	/* a later run takes none of them again; more keys are numbered after them */
	take_all(workdir_path("keys"), 0);
	cr_assert_eq(dsim_keygen(workdir_path("keys"), "EC", 256, 1, 2, err, sizeof(err)), 0);
	cr_expect_eq(mode_of(workdir_path("keys/key-00000004.pem")), 0600);
	workdir_leave();
}

Test(devicesim, key_folder_with_a_looser_file_is_refused)
{
	char err[DSIM_ERR_MAX];

	workdir_enter("devicesim");
	cr_assert_eq(dsim_keygen(workdir_path("keys"), "EC", 256, 2, 2, err, sizeof(err)), 0);
	cr_assert_eq(chmod(workdir_path("keys/key-00000002.pem"), 0640), 0);
	cr_expect_null(dsim_keydir_open(workdir_path("keys"), err, sizeof(err)));
	cr_expect(strstr(err, "key-00000002.pem: private key file is readable by group or "
	    "others (mode 0640); chmod 600 it") != NULL, "%s", err);
	cr_assert_eq(chmod(workdir_path("keys/key-00000002.pem"), 0620), 0);
	cr_expect_null(dsim_keydir_open(workdir_path("keys"), err, sizeof(err)));
	cr_expect(strstr(err, "is accessible by group or others (mode 0620)") != NULL, "%s", err);
	cr_assert_eq(chmod(workdir_path("keys/key-00000002.pem"), 0600), 0);
	cr_assert_eq(symlink("key-00000001.pem", workdir_path("keys/link.pem")), 0);
	cr_expect_null(dsim_keydir_open(workdir_path("keys"), err, sizeof(err)));
	cr_expect(strstr(err, "link.pem: not a regular file") != NULL, "%s", err);
	cr_expect_null(dsim_keydir_open(workdir_path("none"), err, sizeof(err)));
	workdir_leave();
}

Test(devicesim, key_of_another_type_or_size_does_not_match_the_profile)
{
	EVP_PKEY *ec = testpki_key("ec-p256"), *rsa = dsim_key_new("RSA", 1024, NULL, 0);
	char err[DSIM_ERR_MAX];

	cr_assert_not_null(rsa);
	cr_expect_eq(dsim_key_matches(ec, "EC", 256, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(dsim_key_matches(rsa, "RSA", 1024, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(dsim_key_matches(ec, "EC", 384, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "the key is EC P-256, the profile asks for EC P-384");
	cr_expect_eq(dsim_key_matches(ec, "RSA", 2048, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "the key is EC P-256, the profile asks for RSA 2048");
	cr_expect_eq(dsim_key_matches(rsa, "RSA", 2048, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "the key is RSA 1024, the profile asks for RSA 2048");
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}
