/* Assertions on the configuration loader (common/config_loader.h). */
#ifndef NDES_TEST_CONFIG_EXPECT_H
#define NDES_TEST_CONFIG_EXPECT_H

#include "config_loader.h"

/* yaml, loaded as file name with schema into out, is refused with exactly
 * msg. */
void config_expect_refused(const char *name, const char *yaml,
    const struct ndes_config_schema *schema, void *out, const char *msg);

#endif
