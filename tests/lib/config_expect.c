/* Assertions on the configuration loader: see config_expect.h. */
#include "config_expect.h"

#include <criterion/criterion.h>

void
config_expect_refused(const char *name, const char *yaml,
    const struct ndes_config_schema *schema, void *out, const char *msg)
{
	char err[NDES_CONFIG_ERR_MAX] = "";

	cr_assert_eq(ndes_config_load_string(name, yaml, schema, out, err, sizeof(err)), -1,
	    "%s accepted:\n%s", name, yaml);
	cr_assert_str_eq(err, msg, "%s:\n%s", name, yaml);
}
