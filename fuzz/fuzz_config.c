/* libFuzzer target: the YAML configuration loader (common/config*.c) with
 * the schema of every program, through each program's own loader:
 *   'c' ndes-crpd (common/crpd_config.c)      'n' ndes-connectord (connector/conf.c)
 *   's' ndes-cloud-sim (cloudsim/config.c, with its rules)
 *   'p' the policy module and ndes-policy-exec (policy/policy_config.c)
 *
 * Input: the program letter (any other byte picks one by its value), then
 * the file's bytes, written to a file the loader reads as the daemons do.
 * The file's folder holds depot/ca.pem (a certificate) for the paths the
 * examples name.
 * Invariants: a refusal is one non-empty line that names the file; a
 * configuration that loads equals itself key by key
 * (ndes_config_key_equal) and frees cleanly. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "crpd_config.h"
#include "crypto.h"
#include "policy_int.h"
#include "model.h"

static void
check_refusal(const char *path, const char *err)
{
	fuzz_note("refused: %s", err);
	FUZZ_CHECK(err[0] != '\0');
	FUZZ_CHECK(strchr(err, '\n') == NULL);
	FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
}

static void
load_crpd(const char *path)
{
	struct crpd_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX] = "";

	if (crpd_config_load(path, &cfg, err, sizeof(err)) == -1) {
		check_refusal(path, err);
		return;
	}
	FUZZ_CHECK(ndes_config_key_equal(&crpd_config_schema, NULL, &cfg, &cfg) == 1);
	crpd_config_free(&cfg);
}

static void
load_connector(const char *path)
{
	struct conn_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX] = "";

	if (conn_conf_load(path, &cfg, err, sizeof(err)) == -1) {
		check_refusal(path, err);
		return;
	}
	FUZZ_CHECK(ndes_config_key_equal(&conn_config_schema, NULL, &cfg, &cfg) == 1);
	conn_conf_free(&cfg);
}

static void
load_cloudsim(const char *path)
{
	struct cloudsim_config *cfg;
	char err[CLOUDSIM_ERR_MAX] = "";

	if (cloudsim_config_load(path, &cfg, err, sizeof(err)) == -1) {
		check_refusal(path, err);
		FUZZ_CHECK(cfg == NULL);
		return;
	}
	cloudsim_config_free(cfg);
}

static void
load_policy(const char *path)
{
	struct policy_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX] = "";

	if (policy_config_load(path, &cfg, err, sizeof(err)) == -1) {
		check_refusal(path, err);
		return;
	}
	FUZZ_CHECK(cfg.crp_socket != NULL && cfg.timeout >= 1 && cfg.connections >= 1);
	policy_config_free(&cfg);
}

/* The files the example configurations name, next to the fuzzed one:
 * cloud-sim's trusted root (depot/ca.pem). */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[512], *pem = ndes_crypto_cert_to_pem(fuzz_cert("signer"));

	snprintf(dir, sizeof(dir), "%s/depot", fuzz_tmpdir());
	FUZZ_CHECK(pem != NULL && mkdir(dir, 0700) == 0);
	fuzz_write_file("depot/ca.pem", (const uint8_t *)pem, strlen(pem));
	free(pem);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const loaders[])(const char *) = {
		load_crpd, load_connector, load_cloudsim, load_policy,
	};
	const char *path;
	size_t which;

	if (size < 1)
		return 0;
	switch (data[0]) {
	case 'c': which = 0; break;
	case 'n': which = 1; break;
	case 's': which = 2; break;
	case 'p': which = 3; break;
	default: which = data[0] % 4; break;
	}
	path = fuzz_write_file("config.yaml", data + 1, size - 1);
	loaders[which](path);
	return 0;
}
