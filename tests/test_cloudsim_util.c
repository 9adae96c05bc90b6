#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cloudsim_util.h"

const char *
cs_data(const char *name)
{
	static char bufs[4][1024];
	static int next;
	const char *top = getenv("top_srcdir");
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/tests/data/cloudsim/%s",
	    top != NULL && *top != '\0' ? top : ".", name);
	return b;
}

struct cloudsim_config *
cs_load_tenant(void)
{
	struct cloudsim_config *c = NULL;
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(cloudsim_config_load(cs_data("tenant.yaml"), &c, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_not_null(c);
	return c;
}

struct cloudsim_config *cs_tenant;

void
cs_tenant_setup(void)
{
	cs_tenant = cs_load_tenant();
}

void
cs_tenant_teardown(void)
{
	cloudsim_config_free(cs_tenant);
	cs_tenant = NULL;
}

struct cloudsim_config *
cs_load_yaml(const char *yaml, char *err, size_t errlen)
{
	struct cloudsim_config *c = NULL;
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s", cs_data(""));
	dir[strlen(dir) - 1] = '\0';
	if (cloudsim_config_load_string("t.yaml", yaml, dir, &c, err, errlen) == -1) {
		cr_assert_null(c);
		return NULL;
	}
	cr_assert_not_null(c);
	return c;
}

static const char base_yaml[] =
    "tenant_id: 0c1d2e3f-aaaa-bbbb-cccc-000000000001\n"          /* 1 */
    "templates:\n"
    "  - {name: sig, validity_days: 365, purpose: signature}\n"
    "  - {name: enc, validity_days: 365, purpose: encryption}\n"
    "  - {name: gp, validity_days: 730, purpose: signature_and_encryption}\n"  /* 5 */
    "users:\n"
    "  - upn: alice@contoso.com\n"
    "    email: alice.smith@contoso.com\n"
    "  - upn: bob@contoso.com\n"
    "devices:\n"                                                    /* 10 */
    "  - id: d-ios\n"
    "    name: IPHONE\n"
    "    platform: ios\n"
    "    owner: alice@contoso.com\n"
    "  - id: d-win\n"                                               /* 15 */
    "    name: WS1\n"
    "    platform: windows_10\n"
    "    domain_joined: true\n"
    "    fqdn: ws1.corp.contoso.com\n"
    "groups:\n"                                                     /* 20 */
    "  - name: users\n"
    "    type: users\n"
    "    members: [alice@contoso.com, bob@contoso.com]\n"
    "  - name: devices\n"
    "    type: devices\n"                                           /* 25 */
    "    members: [d-ios, d-win]\n"
    "trusted_certificate_profiles:\n"
    "  - name: root-ios\n"
    "    platform: ios\n"
    "    certificate: root-ca.pem\n"                                /* 30 */
    "    assignments: [users, devices]\n"
    "  - name: root-mac\n"
    "    platform: macos\n"
    "    certificate: root-ca.pem\n"
    "  - name: root-android\n"                                      /* 35 */
    "    platform: android\n"
    "    certificate: root-ca.pem\n"
    "  - name: root-wp81\n"
    "    platform: windows_phone_81\n"
    "    certificate: root-ca.pem\n"                                /* 40 */
    "  - name: root-w81\n"
    "    platform: windows_81\n"
    "    certificate: root-ca.pem\n"
    "  - name: root-w10\n"
    "    platform: windows_10\n"                                    /* 45 */
    "    certificate: root-ca.pem\n"
    "    assignments: [devices]\n"
    "  - name: root-ae\n"
    "    platform: android_enterprise\n"
    "    certificate: root-ca.pem\n";                               /* 50 */

const char *
cs_base(void)
{
	return base_yaml;
}

void
cs_expect_error(const char *tail, const char *msg)
{
	char err[CLOUDSIM_ERR_MAX] = "", *yaml;

	cr_assert_neq(asprintf(&yaml, "%s%s", base_yaml, tail), -1);
	cr_assert_null(cs_load_yaml(yaml, err, sizeof(err)), "loaded:\n%s", yaml);
	cr_expect_str_eq(err, msg);
	free(yaml);
}

void
cs_plan_ok(const struct cloudsim_config *c, const char *device, const char *profile,
    const char *user, struct ndes_challenge_claims *claims)
{
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(cloudsim_plan(c, device, profile, user, NULL, time(NULL), claims,
	    err, sizeof(err)), 0, "%s", err);
}

void
cs_plan_refused(const struct cloudsim_config *c, const char *device, const char *profile,
    const char *user, const char *msg)
{
	struct ndes_challenge_claims claims;
	char err[CLOUDSIM_ERR_MAX] = "";

	cr_assert_eq(cloudsim_plan(c, device, profile, user, NULL, time(NULL), &claims,
	    err, sizeof(err)), -1);
	cr_expect_str_eq(err, msg);
	cr_expect_null(claims.subject);
	cr_expect_null(claims.profile_id);
}
