/* The admin subcommands' one HTTP call (cli.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cloudsim_cli.h"
#include "errmsg.h"
#include "http_client.h"
#include "log.h"
#include "model.h"
#include "service.h"

#define CLI_TIMEOUT_MS 60000

/* The admin port a running service wrote to state_dir/ports.json, or -1. */
static int
cli_running_port(const char *state_dir)
{
	char path[4096];
	json_t *ports;
	json_int_t port, pid;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/ports.json", state_dir);
	if ((ports = json_load_file(path, 0, NULL)) == NULL)
		return -1;
	port = json_integer_value(json_object_get(ports, "adminPort"));
	pid = json_integer_value(json_object_get(ports, "pid"));
	if (port > 0 && port < 65536 && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
		rc = (int)port;
	json_decref(ports);
	return rc;
}

static int
cli_config_url(const char *config, char *url, size_t len)
{
	struct cloudsim_config *cfg = NULL;
	char err[CLOUDSIM_ERR_MAX], addr[64];
	int port;

	if (cloudsim_config_load(config, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ndes-cloud-sim: %s\n", err);
		return -1;
	}
	cloudsim_loopback_address(cfg->service.admin_address, addr, sizeof(addr));
	if ((port = cli_running_port(cfg->service.state_dir)) < 0)
		port = (int)cfg->service.admin_port;
	snprintf(url, len, strchr(addr, ':') ? "http://[%s]:%d" : "http://%s:%d", addr, port);
	cloudsim_config_free(cfg);
	return 0;
}

/* An error answer: "ndes-cloud-sim: <code>: <message>" on stderr. */
static int
cli_refused(int status, const char *body)
{
	json_t *answer = json_loads(body, 0, NULL);
	json_t *error = json_object_get(answer, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *msg = json_string_value(json_object_get(error, "message"));

	if (code != NULL && msg != NULL)
		fprintf(stderr, "ndes-cloud-sim: %s: %s\n", code, msg);
	else
		fprintf(stderr, "ndes-cloud-sim: the service answered %d: %.200s\n", status, body);
	json_decref(answer);
	return CLOUDSIM_EXIT_REFUSED;
}

static int
cli_fetch(const char *url, const char *method, const char *path, const char *text,
    json_t **answer)
{
	struct ndes_http_fetch_opts o = {
		.client = { .base_url = url, .timeout_ms = CLI_TIMEOUT_MS },
		.method = method, .path = path, .content_type = text ? "application/json" : NULL,
		.body = text, .len = text ? strlen(text) : 0,
	};
	char err[NDES_ERR_MAX], *body = NULL;
	enum ndes_http_err e;
	size_t len = 0;
	int status = 0, rc;

	e = ndes_http_fetch(&o, &status, &body, &len, err, sizeof(err));
	if (e == NDES_HTTP_ERR_USAGE) {
		fprintf(stderr, "ndes-cloud-sim: %s\n", err);
		return CLOUDSIM_EXIT_USAGE;
	}
	if (e != NDES_HTTP_OK) {
		fprintf(stderr, "ndes-cloud-sim: cannot reach the service at %s: %s\n", url, err);
		return CLOUDSIM_EXIT_UNREACHABLE;
	}
	if (status < 200 || status > 299)
		rc = cli_refused(status, body);
	else if ((*answer = json_loads(body, 0, NULL)) == NULL) {
		fprintf(stderr, "ndes-cloud-sim: the service answered %d without JSON\n", status);
		rc = CLOUDSIM_EXIT_REFUSED;
	} else
		rc = CLOUDSIM_EXIT_OK;
	free(body);
	return rc;
}

int
cloudsim_cli_call(const char *admin_url, const char *config, const char *method,
    const char *path, json_t *body, json_t **answer)
{
	char url[300], *text = NULL;
	int rc;

	*answer = NULL;
	if (admin_url != NULL)
		snprintf(url, sizeof(url), "%s", admin_url);
	else if (config != NULL) {
		if (cli_config_url(config, url, sizeof(url)) != 0)
			return CLOUDSIM_EXIT_USAGE;
	} else
		snprintf(url, sizeof(url), "%s", CLOUDSIM_DEFAULT_ADMIN_URL);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		return CLOUDSIM_EXIT_REFUSED;
	log_debug("%s %s%s", method, url, path);
	rc = cli_fetch(url, method, path, text, answer);
	free(text);
	return rc;
}
