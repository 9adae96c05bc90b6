/* cloudsim model leak check.  Criterion's children leave with _exit(), so
 * LeakSanitizer never looks at them; this plain program loads good and bad
 * configurations (failing after allocations were made) and plans every
 * (device, profile, user) of the test tenant in one process that exits
 * normally, so that the sanitizer build fails it on any leak.  TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

static const char *const bad_tails[] = {
	/* fails in rules_profile.c after the SAN defaults were allocated */
	"    subject_alternative_names: [{type: email}, {type: upn}]\n    template: nope\n",
	/* fails after the default EKU and the template name were allocated */
	"    extended_key_usages: [clientAuth, fooAuth]\n",
	/* a validator message */
	"    subject_alternative_names: [{type: uri, value: \"a|b\"}]\n",
	/* a schema error */
	"    nonsense: 1\n",
};

static const char profile_head[] =
    "scep_profiles:\n  - name: p\n    platform: ios\n    certificate_type: user\n"
    "    subject_name_format: custom\n    custom_subject: \"CN={{UserName}},O=x\"\n"
    "    key_usage: [digitalSignature]\n    root_certificate: root\n"
    "    scep_server_urls: [http://localhost/scep]\n    assignments: [users]\n";

#define BASE "tenant_id: t\ntemplates: [{name: sig, validity_days: 30, " \
	"purpose: signature}]\nusers: [{upn: a@b.c}]\ngroups: [{name: users, type: " \
	"users, members: [a@b.c]}]\ntrusted_certificate_profiles: [{name: root, " \
	"platform: ios, certificate: root-ca.pem, assignments: [users]}]\n%s%s"

static int
bad_loads(const char *dir)
{
	struct cloudsim_config *c;
	char err[CLOUDSIM_ERR_MAX], *yaml;
	int fail = 0;

	for (size_t i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
		if (asprintf(&yaml, BASE, profile_head, bad_tails[i]) == -1)
			return 1;
		if (cloudsim_config_load_string("t.yaml", yaml, dir, &c, err,
		    sizeof(err)) != -1 || c != NULL)
			fail = 1;
		if (getenv("CLOUDSIM_LEAKS_VERBOSE") != NULL)
			printf("# %s\n", err);
		free(yaml);
	}
	if (asprintf(&yaml, BASE, profile_head, "") == -1)
		return 1;
	if (cloudsim_config_load_string("t.yaml", yaml, dir, &c, err, sizeof(err)) == -1)
		fail = 1;
	cloudsim_config_free(c);
	free(yaml);
	return fail;
}

static int
plan_all(const struct cloudsim_config *c, X509 *ca)
{
	const char *users[] = { NULL, "alice@contoso.com", "nomail@contoso.com",
	    "outsider@contoso.com", "eve@contoso.com" };
	struct ndes_challenge_claims claims;
	char err[CLOUDSIM_ERR_MAX], *subj;
	int ok = 0;
	json_t *j;

	for (size_t p = 0; p < c->n_profiles; p++)
		for (size_t d = 0; d < c->n_devices; d++)
			for (size_t u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
				if (cloudsim_plan(c, c->devices[d].id, c->profiles[p].name,
				    users[u], u % 2 ? ca : NULL, time(NULL), &claims, err,
				    sizeof(err)) == -1)
					continue;
				ok++;
				subj = cloudsim_subject_to_openssl_subj(claims.subject);
				j = cloudsim_subject_to_json(claims.subject);
				free(subj);
				json_decref(j);
				ndes_challenge_claims_clear(&claims);
			}
	return ok;
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char dir[1024], path[1100], err[CLOUDSIM_ERR_MAX];
	struct cloudsim_config *c;
	int fail, planned;

	snprintf(dir, sizeof(dir), "%s/tests/data/cloudsim", top && *top ? top : ".");
	printf("1..3\n");
	snprintf(path, sizeof(path), "%s/tenant.yaml", dir);
	fail = cloudsim_config_load(path, &c, err, sizeof(err)) == -1;
	printf("%s 1 - load the test tenant%s%s\n", fail ? "not ok" : "ok",
	    fail ? ": " : "", fail ? err : "");
	if (fail)
		return 1;
	planned = plan_all(c, c->trusted_profiles[0].certificate);
	printf("%s 2 - plan every device, profile and user (%d planned)\n",
	    planned > 10 ? "ok" : "not ok", planned);
	cloudsim_config_free(c);
	snprintf(path, sizeof(path), "%s/bad-template.yaml", dir);
	if (cloudsim_config_load(path, &c, err, sizeof(err)) != -1)
		fail = 1;
	fail |= bad_loads(dir);
	printf("%s 3 - failed loads free everything\n", fail ? "not ok" : "ok");
	return fail || planned <= 10;
}
