/* ndes-crpd test harness: folder, PKI, config, process. */
#include "crpd_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "ipc_client.h"
#include "lib/testpki.h"
#include "lib/tmpdir.h"

char *
crpd_h_path(const struct crpd_h *h, const char *rel)
{
	char *p;

	cr_assert_neq(asprintf(&p, "%s/%s", h->dir, rel), -1);
	return p;
}

void
crpd_h_write_certs(const char *path, X509 **certs, size_t n)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(PEM_write_X509(f, certs[i]), 1);
	cr_assert_eq(fclose(f), 0);
}

void
crpd_h_write_key(const char *path, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f;

	cr_assert_neq(fd, -1, "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	cr_assert_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	cr_assert_eq(fclose(f), 0);
}

static void
harness_mkdir(const struct crpd_h *h, const char *rel)
{
	char *p = crpd_h_path(h, rel);

	cr_assert_eq(mkdir(p, 0700), 0, "%s: %s", p, strerror(errno));
	free(p);
}

/* The CRP pair and the signing certificate into h's folder. */
static void
harness_write_pki(struct crpd_h *h, bool crp, bool signing)
{
	char *p;

	if (crp) {
		p = crpd_h_path(h, "registration/crp.pem");
		crpd_h_write_certs(p, &h->crp_cert, 1);
		free(p);
		p = crpd_h_path(h, "registration/crp.key");
		crpd_h_write_key(p, h->crp_key);
		free(p);
	}
	if (signing) {
		p = crpd_h_path(h, "signing/signing-certs.pem");
		crpd_h_write_certs(p, &h->sign_cert, 1);
		free(p);
	}
}

static void
harness_pki(struct crpd_h *h, const struct crpd_h_opts *o)
{

	h->crp_key = testpki_key(o->crp_alg != NULL ? o->crp_alg : "ec-p256");
	h->crp_cert = testpki_cert(h->crp_key, "crp node", NULL, NULL, -60, 30);
	h->sign_key = testpki_key(o->sign_alg != NULL ? o->sign_alg : "ec-p256");
	h->sign_cert = testpki_cert(h->sign_key, "challenge signing", NULL, NULL, -60, 30);
	cr_assert(h->crp_key && h->crp_cert && h->sign_key && h->sign_cert);
	harness_mkdir(h, "registration");
	harness_mkdir(h, "signing");
	harness_write_pki(h, !o->no_crp_key, !o->no_signing);
}

void
crpd_h_share_pki(struct crpd_h *dst, const struct crpd_h *src)
{
	EVP_PKEY_free(dst->crp_key);
	EVP_PKEY_free(dst->sign_key);
	X509_free(dst->crp_cert);
	X509_free(dst->sign_cert);
	cr_assert_eq(EVP_PKEY_up_ref(src->crp_key), 1);
	cr_assert_eq(EVP_PKEY_up_ref(src->sign_key), 1);
	cr_assert_eq(X509_up_ref(src->crp_cert), 1);
	cr_assert_eq(X509_up_ref(src->sign_cert), 1);
	dst->crp_key = src->crp_key;
	dst->sign_key = src->sign_key;
	dst->crp_cert = src->crp_cert;
	dst->sign_cert = src->sign_cert;
	harness_write_pki(dst, true, true);
}

static void
harness_config(struct crpd_h *h, const struct crpd_h_opts *o)
{
	FILE *f = fopen(h->config, "w");

	cr_assert_not_null(f);
	fprintf(f, "tenant_id: \"%s\"\nstate_dir: %s\n"
	    "ipc:\n  socket: %s\n  mode: %s\n%s\n"
	    "connector:\n  socket: %s\n  retry_interval: 1s\n"
	    "workers: 2\nca_configuration: \"ca.example\\\\Test CA\"\n"
	    "certificate_authority: \"Test CA\"\nlog_level: debug\n",
	    CRPD_H_TENANT, h->dir, h->sock, o->socket_mode != NULL ? o->socket_mode : "0660",
	    o->ipc_extra != NULL ? o->ipc_extra : "", h->connector_sock);
	if (o->journal)
		fprintf(f, "events:\n  sink: journal\n");
	else
		fprintf(f, "events:\n  sink: file\n  path: %s\n", h->events);
	if (o->extra_yaml != NULL)
		fprintf(f, "%s\n", o->extra_yaml);
	cr_assert_eq(fclose(f), 0);
}

struct crpd_h *
crpd_h_new(const struct crpd_h_opts *opts)
{
	static const struct crpd_h_opts none;
	struct crpd_h *h = calloc(1, sizeof(*h));
	char tmpl[] = "/tmp/crpd-test-XXXXXX";

	if (opts == NULL)
		opts = &none;
	cr_assert_not_null(h);
	cr_assert_not_null(mkdtemp(tmpl));
	cr_assert_eq(chmod(tmpl, 0711), 0);
	h->dir = strdup(tmpl);
	h->config = crpd_h_path(h, "crpd.yaml");
	h->sock = crpd_h_path(h, "crp.sock");
	h->connector_sock = crpd_h_path(h, "connector.sock");
	h->events = crpd_h_path(h, "events.jsonl");
	h->log = crpd_h_path(h, "crpd.log");
	h->nofile_soft = opts->nofile_soft;
	h->nofile_hard = opts->nofile_hard;
	h->arg = opts->arg;
	harness_pki(h, opts);
	harness_config(h, opts);
	if ((h->journal = opts->journal))
		unsetenv("NDES_EVENTS_SINK");
	return h;
}

static char *
harness_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return strdup("");
	buf = calloc(1, 65536);
	len = fread(buf, 1, 65535, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static bool
harness_ping(const struct crpd_h *h)
{
	struct ndes_ipc_client *c = ndes_ipc_client_connect(h->sock, 500, NULL, 0);
	struct ndes_ipc_msg *m;
	struct ndes_ipc_frame *reply = NULL;
	bool ok;

	if (c == NULL)
		return false;
	m = ndes_ipc_msg_new(NDES_IPC_MSG_PING, ndes_ipc_client_next_id(c));
	ok = ndes_ipc_client_call(c, m, &reply, 2000, NULL, 0) == 0 &&
	    ndes_ipc_frame_type(reply) == NDES_IPC_MSG_PONG;
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	ndes_ipc_client_free(c);
	return ok;
}

static void
harness_exec(struct crpd_h *h)
{
	const char *top = getenv("top_builddir");
	char *bin;
	int fd;

	if (asprintf(&bin, "%s/crp/ndes-crpd", top != NULL ? top : ".") == -1)
		_exit(127);
	fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd != -1) {
		dup2(fd, 2);
		close(fd);
	}
	if (h->nofile_soft > 0 && setrlimit(RLIMIT_NOFILE, &(struct rlimit){
	    h->nofile_soft, h->nofile_hard }) == -1) {
		fprintf(stderr, "setrlimit: %s\n", strerror(errno));
		_exit(127);
	}
	execl(bin, "ndes-crpd", "--config", h->config, h->arg, (char *)NULL);	/* NULL: none */
	fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

void
crpd_h_spawn(struct crpd_h *h)
{
	cr_assert_eq(h->pid, 0, "crpd already running");
	clock_gettime(CLOCK_REALTIME, &h->started);
	h->pid = fork();
	cr_assert_neq(h->pid, -1);
	if (h->pid == 0)
		harness_exec(h);
}

bool
crpd_h_answers(const struct crpd_h *h)
{
	return harness_ping(h);
}

int
crpd_h_wait_exit(struct crpd_h *h, int ms)
{
	int status;

	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			return status;
		}
		usleep(10000);
	}
	return -1;
}

char *
crpd_h_log(const struct crpd_h *h)
{
	return harness_read_file(h->log);
}

void
crpd_h_start(struct crpd_h *h)
{
	crpd_h_spawn(h);
	crpd_h_wait_ready(h);
}

void
crpd_h_wait_ready(struct crpd_h *h)
{
	int status;

	for (int i = 0; i < 200; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			char *log = harness_read_file(h->log);

			h->pid = 0;
			cr_assert_fail("ndes-crpd exited at start (status 0x%x):\n%s", status, log);
		}
		if (harness_ping(h))
			return;
		usleep(50000);
	}
	cr_assert_fail("ndes-crpd did not answer on %s:\n%s", h->sock,
	    harness_read_file(h->log));
}

static int
harness_wait(pid_t pid, int ms)
{
	int status;

	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

void
crpd_h_stop(struct crpd_h *h)
{
	int status;

	if (h->pid == 0)
		return;
	cr_assert_eq(kill(h->pid, SIGTERM), 0);
	status = harness_wait(h->pid, 15000);
	h->pid = 0;
	cr_assert(status != -1, "ndes-crpd did not stop on SIGTERM");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "ndes-crpd did not exit cleanly (status 0x%x):\n%s", status,
	    harness_read_file(h->log));
}

struct crpd_h *
crpd_h_launch(const struct crpd_h_opts *opts)
{
	struct crpd_h *h = crpd_h_new(opts);

	crpd_h_start(h);
	return h;
}

void
crpd_h_finish(struct crpd_h **hp)
{
	if (*hp == NULL)
		return;
	crpd_h_stop(*hp);
	crpd_h_free(*hp);
	*hp = NULL;
}

void
crpd_h_kill9(struct crpd_h *h)
{
	int status;

	if (h->pid == 0)
		return;
	kill(h->pid, SIGKILL);
	waitpid(h->pid, &status, 0);
	h->pid = 0;
}

void
crpd_h_free(struct crpd_h *h)
{
	if (h == NULL)
		return;
	crpd_h_kill9(h);
	tmpdir_discard(h->dir);
	EVP_PKEY_free(h->crp_key);
	EVP_PKEY_free(h->sign_key);
	X509_free(h->crp_cert);
	X509_free(h->sign_cert);
	free(h->dir);
	free(h->config);
	free(h->sock);
	free(h->connector_sock);
	free(h->events);
	free(h->log);
	free(h);
}

int
crpd_h_http_port(struct crpd_h *h)
{
	char *log = harness_read_file(h->log), *p;
	int port = -1;

	if ((p = strstr(log, "http: listening on ")) != NULL &&
	    (p = strstr(p, " port ")) != NULL)
		port = atoi(p + 6);
	free(log);
	cr_assert_gt(port, 0, "crpd logged no HTTP port");
	return port;
}
