/* Helpers shared by the cloudsim model tests. */
#ifndef NDES_TEST_CLOUDSIM_UTIL_H
#define NDES_TEST_CLOUDSIM_UTIL_H

#include "model.h"

/* $top_srcdir/tests/data/cloudsim/<name> (a static buffer, 4 in turn). */
const char *cs_data(const char *name);
/* tests/data/cloudsim/tenant.yaml, asserted to load. */
struct cloudsim_config *cs_load_tenant(void);
/* That tenant for a whole suite:
 * TestSuite(x, .init = cs_tenant_setup, .fini = cs_tenant_teardown). */
extern struct cloudsim_config *cs_tenant;
void cs_tenant_setup(void);
void cs_tenant_teardown(void);
/* Load YAML text as "t.yaml" (relative paths against tests/data/cloudsim):
 * NULL and the message in err on failure. */
struct cloudsim_config *cs_load_yaml(const char *yaml, char *err, size_t errlen);
/* cs_base() followed by `tail`, asserted to fail with exactly `msg`. */
void cs_expect_error(const char *tail, const char *msg);
/* A small valid tenant (templates, users, devices, groups, trusted
 * profiles) that ends just before "scep_profiles:"; CS_BASE_LINES lines. */
const char *cs_base(void);
#define CS_BASE_LINES 50
/* Plan, asserting success; claims to be cleared by the caller. */
void cs_plan_ok(const struct cloudsim_config *, const char *device, const char *profile,
    const char *user, struct ndes_challenge_claims *);
/* Plan, asserting refusal with exactly `msg`. */
void cs_plan_refused(const struct cloudsim_config *, const char *device, const char *profile,
    const char *user, const char *msg);

#endif
