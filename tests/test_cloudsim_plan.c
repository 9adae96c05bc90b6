/* cloudsim_plan(): the assignment rules (item 7), the validity bound of
 * the issuing CA, the subject name formats and the claims of a plan,
 * against tests/data/cloudsim/tenant.yaml. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include <openssl/x509v3.h>

#include "lib/testpki.h"
#include "test_cloudsim_util.h"

TestSuite(plan, .init = cs_tenant_setup, .fini = cs_tenant_teardown);

/* ---- who and what ---- */

Test(plan, unknown_profile)
{
	cs_plan_refused(cs_tenant, "ios-full", "nope", "alice@contoso.com",
	    "unknown profile \"nope\"");
}

Test(plan, unknown_device)
{
	cs_plan_refused(cs_tenant, "dev-x", "wifi-user", "alice@contoso.com",
	    "unknown device \"dev-x\"");
}

Test(plan, device_by_its_name)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "ALICE-IPHONE", "imei-device", NULL, &claims);
	cr_expect_str_eq(claims.device_id, "ios-full");
	cr_expect_str_eq(claims.subject, "CN=356938035643809,O=Contoso");
	ndes_challenge_claims_clear(&claims);
}

Test(plan, device_name_of_two_devices_is_refused)
{
	struct cloudsim_device *bare = (struct cloudsim_device *)cloudsim_find_device(cs_tenant,
	    "ios-bare");
	char *saved;

	cr_assert_not_null(bare);
	saved = bare->name;
	bare->name = (char *)"ALICE-IPHONE";
	cs_plan_refused(cs_tenant, "ALICE-IPHONE", "imei-device", NULL,
	    "device name \"ALICE-IPHONE\" is shared by 2 devices: name the device by its ID");
	bare->name = saved;
}

Test(plan, unknown_user)
{
	cs_plan_refused(cs_tenant, "ios-full", "wifi-user", "eve@contoso.com",
	    "unknown user \"eve@contoso.com\"");
}

Test(plan, user_certificate_needs_a_user)
{
	cs_plan_refused(cs_tenant, "ios-full", "wifi-user", NULL,
	    "profile \"wifi-user\" makes user certificates: a user is required");
}

Test(plan, device_certificate_ignores_the_user)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "ios-full", "imei-device", "alice@contoso.com", &claims);
	cr_expect_null(claims.user_id);
	cr_expect_str_eq(claims.subject, "CN=356938035643809,O=Contoso");
	ndes_challenge_claims_clear(&claims);
}

/* The claims name the profile's trusted root by its SHA-256 (taken when
 * the configuration is loaded, not per plan). */
Test(plan, trusted_root_is_the_sha256_of_the_root_certificate)
{
	const struct cloudsim_trusted_profile *t = cloudsim_find_trusted_profile(cs_tenant,
	    "root-ios");
	struct ndes_challenge_claims claims;
	unsigned char want[EVP_MAX_MD_SIZE], *got;
	unsigned int n = 0;
	long len = 0;

	cr_assert_not_null(t);
	cr_assert(X509_digest(t->certificate, EVP_sha256(), want, &n));
	cs_plan_ok(cs_tenant, "ios-full", "imei-device", NULL, &claims);
	cr_assert_not_null(claims.trusted_root);
	cr_assert_eq(strlen(claims.trusted_root), 64, "%s", claims.trusted_root);
	got = OPENSSL_hexstr2buf(claims.trusted_root, &len);
	cr_assert(got != NULL && len == (long)n && memcmp(got, want, n) == 0, "%s",
	    claims.trusted_root);
	OPENSSL_free(got);
	ndes_challenge_claims_clear(&claims);
}

/* ---- item 7: assignments ---- */

Test(plan, platform_of_the_profile_only)
{
	cs_plan_refused(cs_tenant, "ios-full", "all-vars-device", NULL, "profile "
	    "\"all-vars-device\" does not reach device \"ios-full\": the profile is for "
	    "Windows 10 and later, the device runs iOS");
}

Test(plan, windows_81_and_later_reaches_windows_10)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "win-dj", "win81-user", "alice@contoso.com", &claims);
	cr_expect_str_eq(claims.subject, "CN=490154203237518");
	ndes_challenge_claims_clear(&claims);
}

Test(plan, device_group_waits_for_enrollment)
{
	cs_plan_refused(cs_tenant, "and-pending", "android-device", NULL, "profile "
	    "\"android-device\" does not reach device \"and-pending\": the device's "
	    "enrollment is not complete");
}

Test(plan, device_group_after_enrollment)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "and-done", "android-device", NULL, &claims);
	cr_expect_str_eq(claims.subject, "CN=9B241FFAZ0099");
	ndes_challenge_claims_clear(&claims);
}

Test(plan, user_group_does_not_wait_for_enrollment)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "and-pending", "android-user", "alice@contoso.com", &claims);
	cr_expect_str_eq(claims.subject,
	    "CN=alice@contoso.com,emailAddress=alice.smith@contoso.com");
	ndes_challenge_claims_clear(&claims);
}

Test(plan, user_not_in_an_assigned_group)
{
	cs_plan_refused(cs_tenant, "ios-full", "all-vars-user", "outsider@contoso.com", "profile "
	    "\"all-vars-user\" does not reach device \"ios-full\" and user "
	    "\"outsider@contoso.com\": not assigned to any of their groups");
}

Test(plan, device_not_in_an_assigned_group)
{
	cs_plan_refused(cs_tenant, "ios-stray", "imei-device", NULL, "profile \"imei-device\" "
	    "does not reach device \"ios-stray\": not assigned to any of its groups or its "
	    "primary user's groups");
}

Test(plan, device_profile_through_the_primary_users_group)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "ios-full", "owner-device", NULL, &claims);
	cr_expect_str_eq(claims.subject, "CN=F2LXK0ABHG7F");
	ndes_challenge_claims_clear(&claims);
	cs_plan_refused(cs_tenant, "ios-stray", "owner-device", NULL, "profile \"owner-device\" "
	    "does not reach device \"ios-stray\": not assigned to any of its groups or its "
	    "primary user's groups");
}

Test(plan, trusted_root_not_assigned_to_the_same_group)
{
	cs_plan_refused(cs_tenant, "mac-1", "mac-user", "alice@contoso.com", "profile "
	    "\"mac-user\" fails: its trusted root certificate profile \"root-mac\" is not "
	    "assigned to the same group");
}

/* ---- validity ---- */

static X509 *
ca_valid_for_s(time_t now, long days, long secs)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(key, "issuing CA", NULL, NULL, 0, 1);

	cr_assert_not_null(ca);
	cr_assert_not_null(X509_time_adj_ex(X509_getm_notAfter(ca), (int)days, secs, &now));
	EVP_PKEY_free(key);
	return ca;
}

static X509 *
ca_valid_for(time_t now, long days)
{
	return ca_valid_for_s(now, days, 3600);
}

static int
plan_with_ca(const char *profile, X509 *ca, time_t now, char *err, size_t errlen)
{
	struct ndes_challenge_claims claims;
	int rc = cloudsim_plan(cs_tenant, "ios-full", profile, "alice@contoso.com", ca, now,
	    &claims, err, errlen);

	ndes_challenge_claims_clear(&claims);
	return rc;
}

Test(plan, validity_exceeds_the_issuing_ca)
{
	time_t now = time(NULL);
	X509 *ca = ca_valid_for(now, 400);
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(plan_with_ca("long-validity", ca, now, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "profile \"long-validity\" fails: validity of 1000 days "
	    "is not shorter than the issuing CA's remaining validity (400 days 01:00:00)");
	X509_free(ca);
}

Test(plan, validity_within_the_issuing_ca)
{
	time_t now = time(NULL);
	X509 *ca = ca_valid_for(now, 1000);
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_expect_eq(plan_with_ca("long-validity", ca, now, err, sizeof(err)), 0, "%s", err);
	X509_free(ca);
}

/* The reference: shorter than the CA's remaining life.  Compared in
 * seconds: equal is refused, one second more is enough (whole days with
 * ">" let equality and up to a day too much pass). */
Test(plan, validity_equal_to_the_issuing_ca_is_refused_to_the_second)
{
	time_t now = time(NULL);
	X509 *equal = ca_valid_for_s(now, 1000, 0), *more = ca_valid_for_s(now, 1000, 1);
	X509 *less = ca_valid_for_s(now, 999, 86399);
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(plan_with_ca("long-validity", equal, now, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "profile \"long-validity\" fails: validity of 1000 days "
	    "is not shorter than the issuing CA's remaining validity (1000 days 00:00:00)");
	cr_assert_eq(plan_with_ca("long-validity", less, now, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "profile \"long-validity\" fails: validity of 1000 days "
	    "is not shorter than the issuing CA's remaining validity (999 days 23:59:59)");
	cr_expect_eq(plan_with_ca("long-validity", more, now, err, sizeof(err)), 0, "%s", err);
	X509_free(equal);
	X509_free(more);
	X509_free(less);
}

Test(plan, expired_issuing_ca)
{
	time_t now = time(NULL);
	X509 *ca = ca_valid_for(now, -3);
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(plan_with_ca("wifi-user", ca, now, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "profile \"wifi-user\" fails: validity of 365 days is not "
	    "shorter than the issuing CA's remaining validity (0 days 00:00:00)");
	X509_free(ca);
}

Test(plan, ios_uses_the_template_validity)
{
	const struct cloudsim_scep_profile *p = cloudsim_find_profile(cs_tenant, "wifi-user");
	struct ndes_challenge_claims claims;

	/* 300 days configured, template tpl-enc: 365 */
	cr_assert(p->validity_given);
	cs_plan_ok(cs_tenant, "ios-full", "wifi-user", "alice@contoso.com", &claims);
	cr_expect_eq(claims.validity_days, 365);
	ndes_challenge_claims_clear(&claims);
}

Test(plan, windows_uses_the_profile_validity)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "win-dj", "all-vars-device", NULL, &claims);
	cr_expect_eq(claims.validity_days, 200);
	ndes_challenge_claims_clear(&claims);
}

/* ---- subject name formats (user certificates) ---- */

static void
expect_subject(const char *device, const char *profile, const char *subject)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, device, profile, "alice@contoso.com", &claims);
	cr_expect_str_eq(claims.subject, subject);
	ndes_challenge_claims_clear(&claims);
}

Test(plan, format_not_configured)
{
	expect_subject("ios-full", "long-validity", "");
}

Test(plan, format_common_name)
{
	expect_subject("ios-full", "all-vars-user", "CN=alice@contoso.com");
}

Test(plan, format_common_name_including_email)
{
	expect_subject("and-pending", "android-user",
	    "CN=alice@contoso.com,emailAddress=alice.smith@contoso.com");
}

Test(plan, format_common_name_as_email)
{
	expect_subject("ios-full", "email-cn", "CN=alice.smith@contoso.com");
}

Test(plan, format_imei)
{
	expect_subject("win-dj", "win81-user", "CN=490154203237518");
}

Test(plan, format_serial_number)
{
	expect_subject("ios-full", "owner-device", "CN=F2LXK0ABHG7F");
}

Test(plan, format_custom_reference_example)
{
	expect_subject("ios-full", "wifi-user", "CN=alice@contoso.com,"
	    "emailAddress=alice.smith@contoso.com,OU=Mobile,O=Finance Group,L=Redmond,"
	    "ST=Washington,C=US");
}

Test(plan, format_custom_escapes_commas)
{
	expect_subject("win-dj", "onprem-dn", "CN=CN=Alice Smith\\,OU=UserAccounts\\,"
	    "DC=corp\\,DC=contoso\\,DC=com,O=Contoso\\, Ltd.");
}

/* ---- the claims ---- */

Test(plan, claims_of_a_user_profile)
{
	struct ndes_challenge_claims c;

	cs_plan_ok(cs_tenant, "ios-full", "wifi-user", "alice@contoso.com", &c);
	cr_expect_eq(c.version, NDES_CHALLENGE_VERSION);
	cr_expect_null(c.challenge_id);
	cr_expect_null(c.tenant_id);
	cr_expect_str_eq(c.profile_id, "wifi-user");
	cr_expect_str_eq(c.device_id, "ios-full");
	cr_expect_str_eq(c.user_id, "alice@contoso.com");
	cr_expect_eq(c.cert_type, NDES_CHALLENGE_CERT_USER);
	cr_assert_eq(c.n_sans, 2);
	cr_expect_str_eq(c.sans[0].type, "email");
	cr_expect_str_eq(c.sans[0].value, "alice.smith@contoso.com");
	cr_expect_str_eq(c.sans[1].type, "upn");
	cr_expect_str_eq(c.sans[1].value, "alice@contoso.com");
	cr_expect_str_eq(c.key_type, "RSA");
	cr_expect_eq(c.min_key_bits, 2048);
	cr_expect_eq(c.key_usage, KU_KEY_ENCIPHERMENT);
	cr_assert_eq(c.n_ekus, 1);
	cr_expect_str_eq(c.ekus[0], "1.3.6.1.5.5.7.3.2");
	cr_expect_str_eq(c.hash, "sha256");
	cr_expect_str_eq(c.template_name, "tpl-enc");
	ndes_challenge_claims_clear(&c);
}

Test(plan, claims_of_a_device_profile)
{
	struct ndes_challenge_claims c;

	cs_plan_ok(cs_tenant, "win-dj", "all-vars-device", NULL, &c);
	cr_expect_str_eq(c.profile_id, "all-vars-device");
	cr_expect_null(c.user_id);
	cr_expect_eq(c.cert_type, NDES_CHALLENGE_CERT_DEVICE);
	cr_expect_eq(c.n_sans, 11);
	cr_expect_str_eq(c.key_type, "RSA");
	cr_expect_eq(c.min_key_bits, 4096);
	cr_expect_eq(c.key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	cr_assert_eq(c.n_ekus, 3);
	cr_expect_str_eq(c.ekus[0], "1.3.6.1.5.5.7.3.2");
	cr_expect_str_eq(c.ekus[1], "1.3.6.1.5.5.7.3.1");
	cr_expect_str_eq(c.ekus[2], "1.3.6.1.4.1.311.20.2.2");
	cr_expect_str_eq(c.hash, "sha384");
	cr_expect_str_eq(c.template_name, "tpl-gp");
	ndes_challenge_claims_clear(&c);
}

Test(plan, claims_of_an_ec_profile)
{
	struct ndes_challenge_claims c;

	cs_plan_ok(cs_tenant, "win-dj", "onprem-dn", "alice@contoso.com", &c);
	cr_expect_str_eq(c.key_type, "EC");
	cr_expect_eq(c.min_key_bits, 256);
	cr_expect_eq(c.key_usage, KU_DIGITAL_SIGNATURE);
	cr_expect_str_eq(c.template_name, "tpl-sig");
	ndes_challenge_claims_clear(&c);
}

Test(plan, claims_travel_as_json)
{
	struct ndes_challenge_claims c, back;
	char err[256] = "", *json;

	cs_plan_ok(cs_tenant, "ios-full", "wifi-user", "alice@contoso.com", &c);
	c.challenge_id = strdup("4f1c1c9e-7d0a-4b0e-9d55-3f5e2a8b6c01");
	c.tenant_id = strdup(cs_tenant->tenant_id);
	c.issued_at = 1700000000;
	c.expires_at = 1700003600;
	cr_assert_not_null(json = ndes_challenge_claims_to_json(&c));
	cr_assert_eq(ndes_challenge_claims_from_json(json, strlen(json), &back, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(back.subject, c.subject);
	cr_expect_eq(back.key_usage, c.key_usage);
	free(json);
	ndes_challenge_claims_clear(&back);
	ndes_challenge_claims_clear(&c);
}
