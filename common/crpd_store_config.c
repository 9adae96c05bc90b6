/* The `store:` section of crpd.yaml (store_config.h). */
#include "crpd_store_config.h"

#include <stddef.h>

static const char *const backend_names[] = { "sqlite", "postgresql", NULL };
static const char *const sslmode_names[] = { "verify-full", "require", "disable", NULL };

static const char *
store_validate(const void *value, char *buf, size_t buflen)
{
	const struct crpd_store_cfg *s = value;

	if (s->backend == CRPD_STORE_POSTGRESQL && s->conninfo == NULL)
		return "backend postgresql needs conninfo";
	if (s->backend == CRPD_STORE_SQLITE && (s->conninfo != NULL || s->password_file != NULL ||
	    s->sslrootcert != NULL))
		return "conninfo, password_file and sslrootcert go with backend postgresql only";
	if (s->sslmode == CRPD_STORE_SSL_DISABLE && s->sslrootcert != NULL)
		return "sslrootcert with sslmode disable: nothing would check it";
	return NULL;
}

static const struct ndes_config_field store_fields[] = {
	NDES_CFG_ENUM("backend", struct crpd_store_cfg, backend, backend_names,
	    NDES_CFG_DEFAULT("sqlite")),
	NDES_CFG_STRING("conninfo", struct crpd_store_cfg, conninfo),
	NDES_CFG_PATH("password_file", struct crpd_store_cfg, password_file),
	NDES_CFG_ENUM("sslmode", struct crpd_store_cfg, sslmode, sslmode_names,
	    NDES_CFG_DEFAULT("verify-full")),
	NDES_CFG_PATH("sslrootcert", struct crpd_store_cfg, sslrootcert),
	NDES_CFG_DURATION("connect_timeout", struct crpd_store_cfg, connect_timeout,
	    NDES_CFG_RANGE(1, 300), NDES_CFG_DEFAULT("5s")),
};
const struct ndes_config_schema crpd_store_schema =
    NDES_CFG_SCHEMA(struct crpd_store_cfg, store_fields, .validate = store_validate);

const char *
crpd_store_sslmode_name(int sslmode)
{
	if (sslmode < 0 || sslmode >= (int)(sizeof(sslmode_names) / sizeof(sslmode_names[0])) - 1)
		return "verify-full";
	return sslmode_names[sslmode];
}
