/* ndes-connector register, renew, unregister. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "crypto.h"
#include "enroll.h"
#include "errmsg.h"
#include "ipc_client.h"

int
cli_call(struct cli *c, bool mtls, const char *ca, const char *url, const char *path,
    const char *body, int *status, char **resp, size_t *resp_len)
{
	struct ndes_http_fetch_opts fo = { .method = "POST", .path = path };
	struct conn_cloud cloud;
	enum ndes_http_err e;
	char err[NDES_ERR_MAX];

	if (conn_cloud_init(&cloud, &c->cfg, url, ca, mtls ? c->st.client_cert : NULL,
	    mtls ? c->st.client_key : NULL, err, sizeof(err)) == -1)
		return cli_fail(strstr(err, "or others") != NULL ? CLI_PERMS : CLI_FAIL, "%s", err);
	fo.client = cloud.opts;
	if (body != NULL) {
		fo.content_type = "application/json";
		fo.body = body;
		fo.len = strlen(body);
	}
	e = ndes_http_fetch(&fo, status, resp, resp_len, err, sizeof(err));
	conn_cloud_clear(&cloud);
	switch (e) {
	case NDES_HTTP_OK:
		return CLI_OK;
	case NDES_HTTP_ERR_UNREACHABLE:
	case NDES_HTTP_ERR_TIMEOUT:
	case NDES_HTTP_ERR_PROXY:
	case NDES_HTTP_ERR_DROPPED:
		return cli_fail(CLI_UNREACHABLE, "cannot reach the cloud at %s: %s", url, err);
	case NDES_HTTP_ERR_TLS_UNTRUSTED:
		return cli_fail(CLI_UNTRUSTED, "the cloud's certificate is not trusted: %s (give "
		    "the CA that issued it with --ca-cert or cloud.ca_cert)", err);
	case NDES_HTTP_ERR_TLS:
		return cli_fail(CLI_UNTRUSTED, "TLS with the cloud failed: %s", err);
	default:
		return cli_fail(CLI_FAIL, "%s", err);
	}
}

void
cli_reload_crpd(struct cli *c)
{
	struct ndes_ipc_client *ipc;
	struct ndes_ipc_frame *reply = NULL;
	struct ndes_ipc_msg *m;
	struct ndes_ipc_reader r;
	const char *msg = "";
	uint32_t st = 1;
	char err[NDES_ERR_MAX];

	if ((ipc = ndes_ipc_client_connect(c->cfg.crp_socket, 5000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "ndes-connector: warning: cannot tell ndes-crpd to reload (%s); "
		    "it loads the new certificates on its next start or SIGHUP\n", err);
		return;
	}
	m = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, ndes_ipc_client_next_id(ipc));
	if (ndes_ipc_client_call(ipc, m, &reply, 10000, err, sizeof(err)) == 0 &&
	    ndes_ipc_frame_type(reply) == NDES_IPC_MSG_RELOAD_REPLY) {
		ndes_ipc_frame_reader(reply, &r);
		if (ndes_ipc_get_status_message(&r, &st, &msg) == -1)
			st = 1;
	} else
		snprintf(err, sizeof(err), "no RELOAD_REPLY");
	if (st == 0)
		printf("ndes-crpd reloaded: %s\n", msg);
	else
		fprintf(stderr, "ndes-connector: warning: ndes-crpd did not reload: %s\n",
		    msg[0] ? msg : err);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	ndes_ipc_client_free(ipc);
}

/* An error status of register/renew/unregister: message and exit code. */
static int
cli_refused(const char *what, int status, const char *body, size_t len)
{
	char text[1024], code[64];

	conn_cloud_error_text(status, body, len, text, sizeof(text));
	conn_cloud_error_code(body, len, code, sizeof(code));
	if (status == 401 && strncmp(code, "token_", 6) == 0)
		return cli_fail(CLI_TOKEN, "the cloud refused the registration token: %s", text);
	if (status == 403)
		return cli_fail(CLI_REFUSED, "the cloud refused this connector's certificate: %s "
		    "(register again)", text);
	return cli_fail(CLI_REFUSED, "the cloud refused the %s: %s", what, text);
}

static void
cli_print_registered(const char *verb, const struct conn_registration *reg, X509 *client)
{
	char until[32] = "?";

	ndes_crypto_not_after_iso8601(client, until, sizeof(until));
	printf("%s connector %s (tenant %s) with %s\nclient certificate %s, valid until %s\n",
	    verb, reg->connector_id, reg->tenant_id ? reg->tenant_id : "?", reg->cloud_url,
	    reg->client_thumbprint, until);
}

/* Copy the CA the cloud was verified against into the state folder. */
static int
cli_keep_ca(struct cli *c, const char *ca, char *err, size_t errlen)
{
	STACK_OF(X509) *certs;
	int r;

	if (ca == NULL || strcmp(ca, c->st.cloud_ca) == 0)
		return 0;
	if ((certs = ndes_crypto_load_certs(ca, err, errlen)) == NULL)
		return -1;
	r = conn_write_certs(c->st.cloud_ca, certs, err, errlen);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static int
cli_enroll_finish(struct cli *c, struct conn_enroll *e, const char *resp, size_t len,
    struct conn_registration *reg, bool renewal, const char *ca)
{
	struct conn_enroll_reply rep;
	char err[NDES_ERR_MAX];
	int r = CLI_FAIL;

	if (conn_enroll_parse(resp, len, e, &rep, err, sizeof(err)) == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	/* the CA first: a running daemon takes the registration once
	 * registration.json names the new certificate, and verifies the cloud
	 * with the copy from then on */
	if (cli_keep_ca(c, ca, err, sizeof(err)) == -1 ||
	    conn_enroll_store(&c->st, e, &rep, reg, renewal, err, sizeof(err)) == -1)
		cli_fail(CLI_FAIL, "cannot write the registration into %s: %s", c->st.dir, err);
	else {
		cli_print_registered(renewal ? "renewed" : "registered as", reg, rep.client);
		cli_reload_crpd(c);
		r = CLI_OK;
	}
	conn_enroll_reply_clear(&rep);
	return r;
}

static const char *
cli_ca(struct cli *c, bool registered)
{
	if (c->ca_cert != NULL)
		return c->ca_cert;
	if (c->cfg.cloud.ca_cert != NULL)
		return c->cfg.cloud.ca_cert;
	return registered && access(c->st.cloud_ca, R_OK) == 0 ? c->st.cloud_ca : NULL;
}

static int
cli_prepare(struct cli *c, bool create)
{
	char err[NDES_ERR_MAX];

	if (conn_state_prepare(&c->st, create, err, sizeof(err)) == -1)
		return cli_fail(strstr(err, "writable") ? CLI_PERMS : CLI_FAIL, "%s", err);
	if (c->cfg.fips && conn_fips_enable(err, sizeof(err)) == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	return CLI_OK;
}

int
cli_register(struct cli *c)
{
	struct conn_registration reg = { 0 };
	struct conn_enroll e;
	char err[NDES_ERR_MAX], host[256], *body = NULL, *resp = NULL;
	size_t len = 0;
	int r, status = 0;

	if (c->cloud == NULL || c->token == NULL)
		return cli_fail(CLI_USAGE, "register needs --cloud URL and --token T");
	if (strncmp(c->cloud, "https://", 8) != 0)
		return cli_fail(CLI_USAGE, "--cloud must be an https:// URL");
	if ((r = cli_prepare(c, true)) != CLI_OK)
		return r;
	if (!c->force && access(c->st.registration, F_OK) == 0)
		return cli_fail(CLI_FAIL, "%s: already registered; run `ndes-connector unregister` "
		    "first (or register --force)", c->st.registration);
	if (c->name == NULL && gethostname(host, sizeof(host)) == 0)
		c->name = host;
	if (conn_enroll_prepare(&e, c->name != NULL ? c->name : "ndes-connector", err,
	    sizeof(err)) == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	body = conn_enroll_register_body(&e, c->token, c->name != NULL ? c->name : "");
	r = cli_call(c, false, cli_ca(c, false), c->cloud, "/connectors/register", body, &status,
	    &resp, &len);
	if (r == CLI_OK && status != 201)
		r = cli_refused("registration", status, resp, len);
	else if (r == CLI_OK) {
		reg.cloud_url = strdup(c->cloud);
		reg.name = c->name != NULL ? strdup(c->name) : NULL;
		r = cli_enroll_finish(c, &e, resp, len, &reg, false, cli_ca(c, false));
	}
	conn_registration_clear(&reg);
	conn_enroll_clear(&e);
	free(body);
	free(resp);
	return r;
}

/* The registration, or an exit code. */
static int
cli_need_registration(struct cli *c, struct conn_registration *reg)
{
	char err[NDES_ERR_MAX];
	int r;

	if ((r = cli_prepare(c, false)) != CLI_OK)
		return r;
	if ((r = conn_registration_load(c->st.registration, reg, err, sizeof(err))) == 1)
		return cli_fail(CLI_NOT_REGISTERED, "not registered (%s does not exist); run "
		    "`ndes-connector register`", c->st.registration);
	if (r == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	return CLI_OK;
}

int
cli_renew(struct cli *c)
{
	struct conn_registration reg = { 0 };
	struct conn_enroll e = { 0 };
	char err[NDES_ERR_MAX], *body = NULL, *resp = NULL;
	const char *url;
	size_t len = 0;
	int r, status = 0;

	if ((r = cli_need_registration(c, &reg)) != CLI_OK)
		return r;
	url = c->cfg.cloud.url != NULL ? c->cfg.cloud.url : reg.cloud_url;
	if (conn_enroll_prepare(&e, reg.name != NULL ? reg.name : "ndes-connector", err,
	    sizeof(err)) == -1) {
		r = cli_fail(CLI_FAIL, "%s", err);
		goto out;
	}
	body = conn_enroll_renew_body(&e);
	r = cli_call(c, true, cli_ca(c, true), url, "/connectors/renew", body, &status, &resp,
	    &len);
	if (r == CLI_OK && status != 200)
		r = cli_refused("renewal", status, resp, len);
	else if (r == CLI_OK)
		r = cli_enroll_finish(c, &e, resp, len, &reg, true, NULL);
out:
	conn_registration_clear(&reg);
	conn_enroll_clear(&e);
	free(body);
	free(resp);
	return r;
}

int
cli_unregister(struct cli *c)
{
	struct conn_registration reg = { 0 };
	const char *files[] = { c->st.client_cert, c->st.client_key, c->st.crp_cert,
	    c->st.crp_key, c->st.crp_prev_cert, c->st.crp_prev_key, c->st.ca_chain,
	    c->st.cloud_ca, c->st.registration };
	char *resp = NULL;
	size_t len = 0;
	int r, status = 0;

	if ((r = cli_need_registration(c, &reg)) != CLI_OK)
		return r;
	r = cli_call(c, true, cli_ca(c, true), c->cfg.cloud.url != NULL ? c->cfg.cloud.url :
	    reg.cloud_url, "/connectors/unregister", NULL, &status, &resp, &len);
	if (r == CLI_OK && status != 204 && status != 200 && !(status == 403 && c->force))
		r = cli_refused("unregistration", status, resp, len);
	else if (r == CLI_OK) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (unlink(files[i]) == -1 && errno != ENOENT)
				fprintf(stderr, "ndes-connector: %s: %s\n", files[i], strerror(errno));
		printf("unregistered connector %s; its keys and certificates were removed from "
		    "%s\n", reg.connector_id, c->st.reg_dir);
		cli_reload_crpd(c);
	}
	conn_registration_clear(&reg);
	free(resp);
	return r;
}
