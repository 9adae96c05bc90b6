/* Test helpers for the ndes-cloud-sim service (test_cloudsim_svc_util.h). */
#include "test_cloudsim_svc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/pem.h>

#include "b64.h"
#include "crypto.h"
#include "csr.h"
#include "lib/testpki.h"
#include "tls.h"

static char *
read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	cr_assert(fp != NULL, "%s: %s", path, strerror(errno));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	cr_assert(fread(buf, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	return buf;
}

static void
write_all(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	cr_assert(fp != NULL, "%s: %s", path, strerror(errno));
	cr_assert(fputs(text, fp) >= 0);
	cr_assert(fclose(fp) == 0);
}

/* service.yaml with one optional "old\0new" substitution. */
static void
sim_write_config(struct sim *s, const char *replace)
{
	const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	char path[512], *yaml, *at, *out;

	snprintf(path, sizeof(path), "%s/tests/data/cloudsim/service.yaml", src);
	yaml = read_all(path);
	if (replace != NULL) {
		const char *old = replace, *new = replace + strlen(replace) + 1;

		at = strstr(yaml, old);
		cr_assert(at != NULL, "fixture has no \"%s\"", old);
		cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - yaml), yaml, new,
		    at + strlen(old)) > 0);
		free(yaml);
		yaml = out;
	}
	write_all(s->config, yaml);
	free(yaml);
}

static void
sim_write_ca(struct sim *s)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(key, "Svc Issuing CA", NULL, NULL, -60, 3650);
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/ca.pem", s->dir);
	fp = fopen(path, "w");
	cr_assert(fp != NULL && PEM_write_X509(fp, ca) == 1);
	fclose(fp);
	X509_free(ca);
	EVP_PKEY_free(key);
}

void
sim_setup(struct sim *s, const char *replace, const char *serve_args)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/cloudsim-svc-XXXXXX");
	cr_assert(mkdtemp(s->dir) != NULL);
	snprintf(s->config, sizeof(s->config), "%s/service.yaml", s->dir);
	snprintf(s->state, sizeof(s->state), "%s/state", s->dir);
	snprintf(s->args, sizeof(s->args), "%s", serve_args ? serve_args : "");
	sim_write_config(s, replace);
	sim_write_ca(s);
	sim_start(s);
}

static void
sim_exec(struct sim *s)
{
	const char *build = getenv("top_builddir") ? getenv("top_builddir") : ".";
	char prog[512], log[512], args[256], *argv[32], *save = NULL;
	int n = 0, fd;

	snprintf(prog, sizeof(prog), "%s/cloudsim/ndes-cloud-sim", build);
	snprintf(log, sizeof(log), "%s/serve.log", s->dir);
	snprintf(args, sizeof(args), "%s", s->args);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	dup2(fd, 1);
	dup2(fd, 2);
	argv[n++] = "ndes-cloud-sim";
	argv[n++] = "serve";
	argv[n++] = "--config";
	argv[n++] = s->config;
	argv[n++] = "--listen-port";
	argv[n++] = "0";
	argv[n++] = "--admin-port";
	argv[n++] = "0";
	for (char *a = strtok_r(args, " ", &save); a != NULL && n < 30;
	    a = strtok_r(NULL, " ", &save))
		argv[n++] = a;
	argv[n] = NULL;
	execv(prog, argv);
	_exit(127);
}

/* ports.json written by our child, or 0 while not yet. */
static int
sim_read_ports(struct sim *s)
{
	char path[512];
	json_t *ports;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/ports.json", s->state);
	if ((ports = json_load_file(path, 0, NULL)) == NULL)
		return 0;
	if (json_integer_value(json_object_get(ports, "pid")) == s->pid) {
		s->api_port = (int)json_integer_value(json_object_get(ports, "listenPort"));
		s->admin_port = (int)json_integer_value(json_object_get(ports, "adminPort"));
		ok = 1;
	}
	json_decref(ports);
	return ok;
}

void
sim_start(struct sim *s)
{
	char log[512];
	int status;

	s->pid = fork();
	cr_assert(s->pid >= 0);
	if (s->pid == 0)
		sim_exec(s);
	for (int i = 0; i < 3000; i++) {
		if (sim_read_ports(s))
			return;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			snprintf(log, sizeof(log), "%s/serve.log", s->dir);
			cr_assert_fail("ndes-cloud-sim serve exited: %s", read_all(log));
		}
		usleep(10000);
	}
	cr_assert_fail("ndes-cloud-sim serve did not write ports.json");
}

void
sim_stop(struct sim *s)
{
	char log[512];
	int status = 0;

	if (s->pid <= 0)
		return;
	cr_assert(kill(s->pid, SIGTERM) == 0);
	cr_assert(waitpid(s->pid, &status, 0) == s->pid);
	s->pid = 0;
	snprintf(log, sizeof(log), "%s/serve.log", s->dir);
	/* Under the sanitizers a leak or an error makes the exit status non-zero. */
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "serve did not exit cleanly (status 0x%x): %s", status, read_all(log));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
sim_teardown(struct sim *s)
{
	sim_stop(s);
	if (s->dir[0] != '\0' && getenv("KEEP_SIM") == NULL)
		nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
}

struct sim sim;

void
sim_default_setup(void)
{
	sim_setup(&sim, NULL, NULL);
}

void
sim_default_teardown(void)
{
	sim_teardown(&sim);
}

void
sim_registered_setup(struct conn *c, const char *serve_args, const char *crp_alg)
{
	sim_setup(&sim, NULL, serve_args);
	conn_init(c, crp_alg);
	sim_register_ok(&sim, c);
}

void
sim_registered_teardown(struct conn *c)
{
	conn_free(c);
	sim_teardown(&sim);
}

char *
sim_admin_text(struct sim *s, const char *method, const char *path, json_t *body, int *status)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, *answer = NULL;
	char url[64], err[256];
	struct ndes_http_fetch_opts o = { .client = { .base_url = url, .timeout_ms = 30000 },
	    .method = method, .path = path, .content_type = "application/json",
	    .body = text, .len = text ? strlen(text) : 0 };
	size_t len = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->admin_port);
	cr_assert_eq(ndes_http_fetch(&o, status, &answer, &len, err, sizeof(err)), NDES_HTTP_OK,
	    "admin %s %s: %s", method, path, err);
	free(text);
	return answer;
}

json_t *
sim_admin(struct sim *s, const char *method, const char *path, json_t *body, int *status)
{
	char *answer = sim_admin_text(s, method, path, body, status);
	json_t *out = json_loads(answer, 0, NULL);

	free(answer);
	return out;
}

X509 *
sim_ca(struct sim *s)
{
	char path[512], err[256];
	X509 *ca;

	snprintf(path, sizeof(path), "%s/pki/ca.pem", s->state);
	ca = ndes_crypto_load_cert(path, err, sizeof(err));
	cr_assert(ca != NULL, "%s", err);
	return ca;
}

enum ndes_http_err
sim_api_raw(struct sim *s, X509 *cert, EVP_PKEY *key, const char *method, const char *path,
    const char *body, int *status, char **answer)
{
	STACK_OF(X509) *cas = sk_X509_new_null();
	char url[64], err[512];
	SSL_CTX *ctx;
	size_t len = 0;
	enum ndes_http_err e;

	sk_X509_push(cas, sim_ca(s));
	ctx = ndes_tls_client_ctx_mem(cas, cert, key, err, sizeof(err));
	cr_assert(ctx != NULL, "%s", err);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", s->api_port);
	{
		struct ndes_http_fetch_opts o = { .client = { .base_url = url, .tls = ctx,
		    .timeout_ms = 30000, .api_version = "5019-05-05" }, .method = method,
		    .path = path, .content_type = body ? "application/json" : NULL, .body = body,
		    .len = body ? strlen(body) : 0 };

		*answer = NULL;
		e = ndes_http_fetch(&o, status, answer, &len, err, sizeof(err));
	}
	SSL_CTX_free(ctx);
	sk_X509_pop_free(cas, X509_free);
	return e;
}

json_t *
sim_api(struct sim *s, const struct conn *conn, const char *method, const char *path,
    const char *body, int *status)
{
	char *answer = NULL;
	json_t *out;

	cr_assert_eq(sim_api_raw(s, conn ? conn->client_cert : NULL,
	    conn ? conn->client_key : NULL, method, path, body, status, &answer), NDES_HTTP_OK,
	    "%s %s failed", method, path);
	out = json_loads(answer, 0, NULL);
	free(answer);
	return out;
}

char *
sim_token(struct sim *s, long long lifetime)
{
	json_t *body = lifetime ? json_pack("{s:I}", "lifetimeSeconds", (json_int_t)lifetime) :
	    json_object();
	json_t *answer;
	char *token;
	int status = 0;

	answer = sim_admin(s, "POST", "/admin/tokens", body, &status);
	cr_assert_eq(status, 201);
	token = strdup(json_string_value(json_object_get(answer, "token")));
	json_decref(answer);
	json_decref(body);
	return token;
}

void
conn_init(struct conn *c, const char *crp_alg)
{
	memset(c, 0, sizeof(*c));
	c->client_key = testpki_key("ec-p256");
	c->crp_key = testpki_key(crp_alg);
	cr_assert(c->client_key != NULL && c->crp_key != NULL);
}

void
conn_free(struct conn *c)
{
	EVP_PKEY_free(c->client_key);
	EVP_PKEY_free(c->crp_key);
	X509_free(c->client_cert);
	X509_free(c->crp_cert);
	memset(c, 0, sizeof(*c));
}

char *
csr_b64(EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"test", -1,
	    -1, 0);
	cr_assert(X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_sign(req, key, EVP_sha256()) > 0);
	cr_assert(ndes_csr_to_der(req, &der, &len) == 0);
	b64 = ndes_b64_encode(der, len);
	free(der);
	X509_REQ_free(req);
	return b64;
}

X509 *
cert_b64(const char *b64)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *cert;

	cr_assert(b64 != NULL);
	cr_assert(ndes_b64_decode(b64, strlen(b64), &der, &len) == 0);
	cert = ndes_crypto_cert_from_der(der, len);
	free(der);
	cr_assert(cert != NULL);
	return cert;
}

int
sim_register(struct sim *s, const char *token, struct conn *c, json_t **answer)
{
	char *client = csr_b64(c->client_key), *crp = csr_b64(c->crp_key), *text;
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "token", token, "name", "test connector",
	    "clientCsr", client, "crpCsr", crp), *out;
	int status = 0;

	text = json_dumps(body, JSON_COMPACT);
	out = sim_api(s, NULL, "POST", "/connectors/register", text, &status);
	if (status == 201) {
		snprintf(c->id, sizeof(c->id), "%s",
		    json_string_value(json_object_get(out, "connectorId")));
		X509_free(c->client_cert);
		X509_free(c->crp_cert);
		c->client_cert = cert_b64(json_string_value(json_object_get(out,
		    "clientCertificate")));
		c->crp_cert = cert_b64(json_string_value(json_object_get(out, "crpCertificate")));
	}
	if (answer != NULL)
		*answer = out;
	else
		json_decref(out);
	json_decref(body);
	free(text);
	free(client);
	free(crp);
	return status;
}

void
sim_register_ok(struct sim *s, struct conn *c)
{
	char *token = sim_token(s, 0);
	int status = sim_register(s, token, c, NULL);

	cr_assert_eq(status, 201);
	free(token);
}

const char *
err_code(json_t *answer)
{
	const char *code = json_string_value(json_object_get(json_object_get(answer, "error"),
	    "code"));

	return code ? code : "";
}

const char *
err_msg(json_t *answer)
{
	const char *msg = json_string_value(json_object_get(json_object_get(answer, "error"),
	    "message"));

	return msg ? msg : "";
}
