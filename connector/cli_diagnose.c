/* ndes-connector diagnose: the table of checks, loading what they share,
 * printing the results (docs/connector.md, "Diagnose"). */
#include "cli_diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "errmsg.h"
#include "events.h"

static const struct {
	const char	*name;
	diag_fn		 run;
} diag_checks[] = {
	{ "configuration", diag_config },
	{ "crpd configuration", diag_crpd_config },
	{ "state folder", diag_state_dir },
	{ "registration", diag_registration },
	{ "registration keys", diag_reg_keys },
	{ "registration certificate", diag_reg_cert },
	{ "registration chain", diag_reg_chain },
	{ "CRP certificate", diag_crp_cert },
	{ "signing certificates", diag_signing },
	{ "connector socket", diag_connector_socket },
	{ "crpd socket", diag_crpd_socket },
	{ "cloud reachable", diag_cloud_reachable },
	{ "cloud trusted", diag_cloud_trusted },
	{ "cloud authentication", diag_cloud_auth },
	{ "clock skew", diag_clock },
	{ "CA folder", diag_ca_folder },
	{ "CA key", diag_ca_key },
	{ "CA certificate", diag_ca_cert },
	{ "CA issuer name", diag_ca_issuer },
	{ "CA CRL", diag_ca_crl },
	{ "cloud templates", diag_cloud_templates },
	{ "SCEP server user", diag_scep_user },
};
#define DIAG_NCHECKS (sizeof(diag_checks) / sizeof(diag_checks[0]))

static const char *const diag_labels[] = { "OK", "WARN", "FAIL", "SKIP" };
static const char *const diag_json_status[] = { "ok", "warn", "fail", "skip" };

/* The connector's configuration, the way the other commands load it. */
static void
diag_load_config(struct diag *d)
{
	struct cli *c = d->c;

	d->conf_path = c->config_path;
	if (d->conf_path == NULL && access(CONN_DEFAULT_CONFIG, F_OK) == 0)
		d->conf_path = CONN_DEFAULT_CONFIG;
	if (conn_conf_load(d->conf_path, &c->cfg, d->conf_err, sizeof(d->conf_err)) == -1)
		return;
	if (c->state_dir_opt != NULL) {
		free(c->cfg.state_dir);
		if ((c->cfg.state_dir = strdup(c->state_dir_opt)) == NULL) {
			snprintf(d->conf_err, sizeof(d->conf_err), "out of memory");
			return;
		}
	}
	if (conn_state_init(&c->st, c->cfg.state_dir) == -1) {
		snprintf(d->conf_err, sizeof(d->conf_err), "out of memory");
		return;
	}
	d->conf_ok = true;
}

/* crpd's configuration: --crpd-config, else its default file when present. */
static void
diag_load_crpd(struct diag *d)
{
	if ((d->crpd_path = cli_crpd_config_path(d->c)) == NULL)
		return;
	d->crpd_state = crpd_config_load(d->crpd_path, &d->crpd, d->crpd_err,
	    sizeof(d->crpd_err)) == 0 ? 1 : -1;
}

/* The registration, its certificate and key, the cloud the daemon uses. */
static void
diag_load_registration(struct diag *d)
{
	const struct conn_state *st = &d->c->st;
	const struct conn_cfg *cfg = &d->c->cfg;
	char err[NDES_ERR_MAX];
	EVP_PKEY *key;

	d->reg_state = conn_registration_load(st->registration, &d->reg, d->reg_err,
	    sizeof(d->reg_err));
	d->client = ndes_crypto_load_cert(st->client_cert, d->client_err,
	    sizeof(d->client_err));
	if ((key = ndes_crypto_load_key(st->client_key, NULL, err, sizeof(err))) != NULL)
		d->key_ok = true;
	EVP_PKEY_free(key);
	d->cloud_url = cfg->cloud.url != NULL ? cfg->cloud.url : d->reg.cloud_url;
	d->cloud_ca = cfg->cloud.ca_cert;
	if (d->cloud_ca == NULL && access(st->cloud_ca, R_OK) == 0)
		d->cloud_ca = st->cloud_ca;
}

static json_t *
diag_json(const char *name, const struct diag_result *r)
{
	char code[16];
	bool coded = r->status == DIAG_WARN || r->status == DIAG_FAIL;

	snprintf(code, sizeof(code), "0x%08X", r->code);
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s?}", "check", name,
	    "status", diag_json_status[r->status], "code", coded ? code : NULL,
	    "code_name", coded ? ndes_diag_name(r->code) : NULL, "detail", r->detail,
	    "fix", coded && r->fix[0] != '\0' ? r->fix : NULL);
}

static void
diag_print(const char *name, const struct diag_result *r)
{
	const char *cname = ndes_diag_name(r->code);

	if (r->status == DIAG_OK || r->status == DIAG_SKIP) {
		printf("%-5s %s: %s\n", diag_labels[r->status], name, r->detail);
		return;
	}
	printf("%-5s %s: 0x%08X %s: %s%s%s\n", diag_labels[r->status], name, r->code,
	    cname != NULL ? cname : "?", r->detail, r->fix[0] != '\0' ? "; fix: " : "",
	    r->fix);
}

/* Run every check; the number of each status in counts. */
static void
diag_run(struct diag *d, json_t *arr, int counts[4])
{
	struct diag_result r;

	for (size_t i = 0; i < DIAG_NCHECKS; i++) {
		memset(&r, 0, sizeof(r));
		if (i > 0 && !d->conf_ok)
			diag_skip(&r, "the configuration did not load");
		else
			diag_checks[i].run(d, &r);
		counts[r.status]++;
		if (arr != NULL)
			json_array_append_new(arr, diag_json(diag_checks[i].name, &r));
		else
			diag_print(diag_checks[i].name, &r);
		fflush(stdout);
	}
}

static void
diag_clear(struct diag *d)
{
	crpd_config_free(&d->crpd);
	conn_registration_clear(&d->reg);
	X509_free(d->client);
}

int
cli_diagnose(struct cli *c)
{
	struct diag d = { .c = c, .reg_state = 1 };
	int counts[4] = { 0 };
	json_t *arr = c->json ? json_array() : NULL;
	char *text;

	diag_load_config(&d);
	diag_load_crpd(&d);
	if (d.conf_ok)
		diag_load_registration(&d);
	diag_run(&d, arr, counts);
	if (arr != NULL) {
		text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text != NULL ? text : "[]");
		free(text);
		json_decref(arr);
	} else
		printf("%d ok, %d warn, %d failed, %d skipped\n", counts[DIAG_OK],
		    counts[DIAG_WARN], counts[DIAG_FAIL], counts[DIAG_SKIP]);
	diag_clear(&d);
	return counts[DIAG_FAIL] > 0 ? CLI_DIAGNOSE_FAILED : CLI_OK;
}
