/* Every variable of the reference, one test each: the user certificate
 * list through "all-vars-user" (iOS, ios-full, alice) and the device
 * certificate list through "all-vars-device" (Windows 10, win-dj), whose
 * SANs hold one variable each (tests/data/cloudsim/tenant.yaml). */
#include <criterion/criterion.h>
#include <string.h>

#include "test_cloudsim_util.h"

static void
expect_var(const char *device, const char *profile, const char *user, size_t idx,
    const char *type, const char *value)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, device, profile, user, &claims);
	cr_assert_gt(claims.n_sans, idx);
	cr_expect_str_eq(claims.sans[idx].type, type);
	cr_expect_str_eq(claims.sans[idx].value, value);
	ndes_challenge_claims_clear(&claims);
}

#define USER_VAR(idx, value) \
	expect_var("ios-full", "all-vars-user", "alice@contoso.com", idx, "uri", value)
#define DEVICE_VAR(idx, type, value) \
	expect_var("win-dj", "all-vars-device", NULL, idx, type, value)

/* ---- user certificates ---- */

TestSuite(user_vars, .init = cs_tenant_setup, .fini = cs_tenant_teardown);

Test(user_vars, UserName) { USER_VAR(0, "urn:v:alice@contoso.com"); }
Test(user_vars, EmailAddress) { USER_VAR(1, "urn:v:alice.smith@contoso.com"); }
Test(user_vars, AAD_Device_ID) { USER_VAR(2, "urn:v:ios-full"); }
Test(user_vars, SERIALNUMBER) { USER_VAR(3, "urn:v:F2LXK0ABHG7F"); }
Test(user_vars, IMEINumber) { USER_VAR(4, "urn:v:356938035643809"); }
Test(user_vars, OnPrem_Distinguished_Name)
{
	USER_VAR(5, "urn:v:CN=Alice Smith,OU=UserAccounts,DC=corp,DC=contoso,DC=com");
}
Test(user_vars, onPremisesSamAccountName) { USER_VAR(6, "urn:v:asmith"); }

/* ---- device certificates ---- */

TestSuite(device_vars, .init = cs_tenant_setup, .fini = cs_tenant_teardown);

Test(device_vars, AAD_Device_ID) { DEVICE_VAR(0, "uri", "urn:v:win-dj"); }
Test(device_vars, Device_Serial) { DEVICE_VAR(1, "uri", "urn:v:5CG1234XYZ"); }
Test(device_vars, Device_IMEI) { DEVICE_VAR(2, "uri", "urn:v:490154203237518"); }
Test(device_vars, SerialNumber) { DEVICE_VAR(3, "uri", "urn:v:5CG1234XYZ"); }
Test(device_vars, IMEINumber) { DEVICE_VAR(4, "uri", "urn:v:490154203237518"); }
Test(device_vars, AzureADDeviceId) { DEVICE_VAR(5, "uri", "urn:v:win-dj"); }
Test(device_vars, WiFiMacAddress) { DEVICE_VAR(6, "uri", "urn:v:3C:52:82:11:22:33"); }
Test(device_vars, IMEI) { DEVICE_VAR(7, "uri", "urn:v:490154203237518"); }
Test(device_vars, DeviceName) { DEVICE_VAR(8, "uri", "urn:v:WS042"); }
Test(device_vars, FullyQualifiedDomainName) { DEVICE_VAR(9, "dns", "ws042.corp.contoso.com"); }
Test(device_vars, MEID) { DEVICE_VAR(10, "uri", "urn:v:A10000009296F2"); }

Test(device_vars, DeviceName_in_subject)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "win-dj", "all-vars-device", NULL, &claims);
	cr_expect_str_eq(claims.subject, "CN=WS042");
	cr_expect_null(claims.user_id);
	cr_expect_eq(claims.cert_type, NDES_CHALLENGE_CERT_DEVICE);
	ndes_challenge_claims_clear(&claims);
}

/* ---- a value the device or user lacks: the profile is not installed ---- */

TestSuite(missing, .init = cs_tenant_setup, .fini = cs_tenant_teardown);

Test(missing, device_variable)
{
	cs_plan_refused(cs_tenant, "ios-bare", "imei-device", NULL, "profile \"imei-device\" is "
	    "not installed on device \"ios-bare\": the device has no value for {{IMEI}}");
}

Test(missing, device_variable_in_san)
{
	cs_plan_refused(cs_tenant, "win-nofqdn", "all-vars-device", NULL, "profile "
	    "\"all-vars-device\" is not installed on device \"win-nofqdn\": the device "
	    "has no value for {{Device_Serial}}");
}

Test(missing, device_variable_in_user_certificate)
{
	cs_plan_refused(cs_tenant, "ios-bare", "all-vars-user", "alice@contoso.com", "profile "
	    "\"all-vars-user\" is not installed on device \"ios-bare\": the device has "
	    "no value for {{SERIALNUMBER}}");
}

Test(missing, user_variable)
{
	cs_plan_refused(cs_tenant, "ios-full", "all-vars-user", "nomail@contoso.com", "profile "
	    "\"all-vars-user\" is not installed on device \"ios-full\": user "
	    "\"nomail@contoso.com\" has no value for {{EmailAddress}}");
}

Test(missing, fqdn_value_on_domain_joined_device)
{
	const struct cloudsim_device *d = cloudsim_find_device(cs_tenant, "win-nofqdn");

	cr_assert_not_null(d);
	cr_assert(d->domain_joined);
	cr_assert_null(d->fqdn);
	cs_plan_refused(cs_tenant, "win-nofqdn", "fqdn-win", NULL, "profile \"fqdn-win\" is not "
	    "installed on device \"win-nofqdn\": the device has no value for "
	    "{{FullyQualifiedDomainName}}");
}

/* ---- {{FullyQualifiedDomainName}}: Windows domain-joined devices only ---- */

TestSuite(fqdn, .init = cs_tenant_setup, .fini = cs_tenant_teardown);

Test(fqdn, not_windows)
{
	cs_plan_refused(cs_tenant, "ios-full", "fqdn-ios", NULL, "profile \"fqdn-ios\" is not "
	    "installed on device \"ios-full\": {{FullyQualifiedDomainName}} works only "
	    "for Windows domain-joined devices");
}

Test(fqdn, windows_domain_joined)
{
	struct ndes_challenge_claims claims;

	cs_plan_ok(cs_tenant, "win-dj", "fqdn-win", NULL, &claims);
	cr_expect_str_eq(claims.subject, "CN=WS042");
	cr_assert_eq(claims.n_sans, 1);
	cr_expect_str_eq(claims.sans[0].type, "dns");
	cr_expect_str_eq(claims.sans[0].value, "ws042.corp.contoso.com");
	ndes_challenge_claims_clear(&claims);
}

Test(fqdn, windows_not_domain_joined)
{
	/* win-wg has an fqdn, but is not joined to a domain */
	cr_assert_not_null(cloudsim_find_device(cs_tenant, "win-wg")->fqdn);
	cs_plan_refused(cs_tenant, "win-wg", "all-vars-device", NULL, "profile \"all-vars-device\" "
	    "is not installed on device \"win-wg\": {{FullyQualifiedDomainName}} works "
	    "only for Windows domain-joined devices");
}
