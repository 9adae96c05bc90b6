/* The ABI table (<ndes/policy.h>) and its one exported symbol. */
#include "config.h"

#include "policy_int.h"

#include <string.h>

static int
entry_initialize(const char *config_path, struct ndes_policy **out, char *err, size_t errlen)
{
	struct policy_cfg cfg;
	int rc;

	if (out == NULL) {
		ndes_err_set(err, errlen, "initialize: no place for the handle");
		return NDES_POLICY_E_INVALID;
	}
	*out = NULL;
	if (policy_config_load(config_path, &cfg, err, errlen) == -1)
		return NDES_POLICY_E_CONFIG;
	rc = policy_new(&cfg, out, err, errlen);
	policy_config_free(&cfg);
	return rc;
}

static void
entry_uninitialize(struct ndes_policy *pol)
{
	policy_free(pol);
}

static int
entry_generate_challenge(struct ndes_policy *pol, const char *template_name,
    const char *params, char *challenge, size_t challenge_len)
{
	if (challenge != NULL && challenge_len > 0)
		challenge[0] = '\0';
	return NDES_POLICY_E_NOT_SUPPORTED;
}

static int
entry_notify(struct ndes_policy *pol, const char *challenge, const char *txn,
    int disposition, uint32_t hresult, const uint8_t *cert, size_t cert_len)
{
	char err[NDES_ERR_MAX];
	int rc;

	rc = policy_notify(pol, challenge, txn, disposition, hresult, cert, cert_len, "",
	    err, sizeof(err));
	if (rc != NDES_POLICY_OK && pol != NULL)
		policy_log(pol, NDES_POLICY_LOG_WARNING, "notify (disposition %d): %s",
		    disposition, err);
	return rc;
}

const char *
policy_strerror(int result)
{
	switch (result) {
	case NDES_POLICY_OK:
		return "ok";
	case NDES_POLICY_E_INVALID:
		return "invalid argument";
	case NDES_POLICY_E_CONFIG:
		return "configuration refused";
	case NDES_POLICY_E_NOT_SUPPORTED:
		return "not supported";
	case NDES_POLICY_E_UNAVAILABLE:
		return "ndes-crpd unavailable";
	case NDES_POLICY_E_TIMEOUT:
		return "timed out";
	case NDES_POLICY_E_PROTOCOL:
		return "protocol error";
	case NDES_POLICY_E_REJECTED:
		return "rejected by ndes-crpd";
	case NDES_POLICY_E_NOMEM:
		return "out of memory";
	}
	return "unknown result";
}

static const struct ndes_policy_v1 policy_v1 = {
	.abi_version = NDES_POLICY_ABI_VERSION,
	.size = sizeof(struct ndes_policy_v1),
	.version = PACKAGE_VERSION,
	.initialize = entry_initialize,
	.uninitialize = entry_uninitialize,
	.generate_challenge = entry_generate_challenge,
	.verify_request = policy_verify,
	.notify = entry_notify,
	.set_log = policy_set_log,
	.strerror = policy_strerror,
};

__attribute__((visibility("default"))) const struct ndes_policy_v1 *
ndes_policy_entry(unsigned abi_version)
{
	return abi_version == NDES_POLICY_ABI_VERSION ? &policy_v1 : NULL;
}
