/* The policy module's configuration: one YAML file shared by
 * ndes_policy.so and ndes-policy-exec (docs/policy.md). */
#include "policy_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config_loader.h"

#ifndef NDES_SYSCONFDIR
#define NDES_SYSCONFDIR "/etc"
#endif

static const char *
check_socket_path(const void *value, char *buf, size_t buflen)
{
	const char *path = *(char *const *)value;
	struct sockaddr_un sun;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(buf, buflen, "socket path longer than %zu bytes",
		    sizeof(sun.sun_path) - 1);
		return buf;
	}
	return NULL;
}

static const struct ndes_config_field exec_fields[] = {
	NDES_CFG_SIZE("max_request", struct policy_exec_cfg, max_request,
	    NDES_CFG_RANGE(1024, 256 * 1024), NDES_CFG_DEFAULT("128KiB")),
	NDES_CFG_PATH("state_dir", struct policy_exec_cfg, state_dir,
	    NDES_CFG_DEFAULT("/var/lib/ndes/policy-exec")),
	NDES_CFG_BOOL("log_journal", struct policy_exec_cfg, log_journal,
	    NDES_CFG_DEFAULT("true")),
};
static const struct ndes_config_schema exec_schema =
    NDES_CFG_SCHEMA(struct policy_exec_cfg, exec_fields);

static const struct ndes_config_field policy_fields[] = {
	NDES_CFG_PATH("crp_socket", struct policy_cfg, crp_socket,
	    NDES_CFG_DEFAULT("/run/ndes/crp.sock"), NDES_CFG_VALIDATE(check_socket_path)),
	NDES_CFG_DURATION("timeout", struct policy_cfg, timeout, NDES_CFG_RANGE(1, 300),
	    NDES_CFG_DEFAULT("5s")),
	NDES_CFG_INT("connections", struct policy_cfg, connections, NDES_CFG_RANGE(1, 64),
	    NDES_CFG_DEFAULT("4")),
	NDES_CFG_STRING("template_name", struct policy_cfg, template_name,
	    NDES_CFG_DEFAULT("")),
	NDES_CFG_MAP("exec", struct policy_cfg, exec, exec_schema),
};
static const struct ndes_config_schema policy_schema =
    NDES_CFG_SCHEMA(struct policy_cfg, policy_fields);

const char *
policy_config_default_path(void)
{
	return NDES_SYSCONFDIR "/ndes/policy.yaml";
}

int
policy_config_load(const char *path, struct policy_cfg *cfg, char *err, size_t errlen)
{
	if (path == NULL) {
		path = policy_config_default_path();
		if (access(path, F_OK) == -1 && errno == ENOENT)
			return ndes_config_load_string("(built-in defaults)", "{}",
			    &policy_schema, cfg, err, errlen);
	}
	return ndes_config_load(path, &policy_schema, cfg, err, errlen);
}

void
policy_config_free(struct policy_cfg *cfg)
{
	ndes_config_free(&policy_schema, cfg);
}
