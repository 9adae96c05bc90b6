#include "test_connd_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <openssl/pem.h>

#include "ca.h"
#include "conn_outbox.h"
#include "crypto.h"
#include "d_note.h"
#include "events.h"
#include "lib/testpki.h"
#include "log.h"
#include "test_connector_util.h"
#include "test_events_util.h"

time_t tcd_time;

static time_t
tcd_now(void)
{
	return tcd_time;
}

void
tcd_setup(struct tcd *t, const char *yaml)
{
	struct ndes_events_opts ev = { NDES_EVENTS_SINK_FILE, NULL };
	char err[1024];
	FILE *f;

	memset(t, 0, sizeof(*t));
	tcd_time = time(NULL);
	log_init("test", LOG_LEVEL_WARN);
	f = fopen(workdir_path("conn.yaml"), "w");
	cr_assert_not_null(f);
	fprintf(f, "state_dir: %s\nipc: {socket: %s}\ncrp_socket: %s\n%s\n", workdir_path("state"),
	    workdir_path("connector.sock"), workdir_path("crp.sock"), yaml != NULL ? yaml : "");
	fclose(f);
	cr_assert_eq(conn_conf_load(workdir_path("conn.yaml"), &t->cfg, err, sizeof(err)), 0, "%s",
	    err);
	snprintf(t->events, sizeof(t->events), "%s", workdir_path("events.json"));
	unsetenv("NDES_EVENTS_SINK");
	ev.path = t->events;
	cr_assert_eq(ndes_events_init(&ev), 0);
	cr_assert_eq(conn_state_init(&t->st, t->cfg.state_dir), 0);
	cr_assert_eq(conn_state_prepare(&t->st, true, err, sizeof(err)), 0, "%s", err);
	t->env.ob = conn_outbox_open(t->st.outbox_db, t->cfg.outbox.max_items, err, sizeof(err));
	cr_assert_not_null(t->env.ob, "%s", err);
	t->env.notes = connd_notes_new(t->env.ob);
	t->env.base = event_base_new();
	cr_assert(t->env.notes != NULL && t->env.base != NULL);
	t->env.cfg = &t->cfg;
	t->env.st = &t->st;
	t->env.now = tcd_now;
}

void
tcd_teardown(struct tcd *t)
{
	conn_ca_free(t->env.ca);
	event_base_free(t->env.base);
	connd_notes_free(t->env.notes);
	conn_outbox_close(t->env.ob);
	conn_state_clear(&t->st);
	conn_conf_free(&t->cfg);
	ndes_events_close();
}

/* The stand-in cloud. */
#define TCD_MAX_CALLS 64

struct tcd_call {
	char		 call[256];
	char		*body;
	connd_call_cb	 cb;
	void		*arg;
};

static struct tcd_call tcd_calls[TCD_MAX_CALLS];
static size_t tcd_ncalls;
static int tcd_ready_answer;

static int
tcd_ready(void *impl)
{
	return tcd_ready_answer;
}

static int
tcd_call(void *impl, const char *method, const char *path, const char *text,
    connd_call_cb cb, void *arg)
{
	struct tcd_call *c = &tcd_calls[tcd_ncalls];

	cr_assert_lt(tcd_ncalls, TCD_MAX_CALLS);
	snprintf(c->call, sizeof(c->call), "%s %s", method, path);
	c->body = text != NULL ? strdup(text) : NULL;
	c->cb = cb;
	c->arg = arg;
	tcd_ncalls++;
	return 0;
}

struct connd_caller
tcd_caller(void)
{
	static const struct connd_caller_ops ops = { .ready = tcd_ready, .call = tcd_call };
	struct connd_caller c = { &ops, NULL };

	return c;
}

void
tcd_cloud_ready(int r)
{
	tcd_ready_answer = r;
}

size_t
tcd_pending(void)
{
	return tcd_ncalls;
}

const char *
tcd_pending_call(size_t i)
{
	cr_assert_lt(i, tcd_ncalls);
	return tcd_calls[i].call;
}

const char *
tcd_pending_body(size_t i)
{
	cr_assert_lt(i, tcd_ncalls);
	return tcd_calls[i].body;
}

void
tcd_answer(int status, const char *body)
{
	struct tcd_call c;
	struct ndes_http_result res = { .err = NDES_HTTP_OK, .errmsg = "", .status = status,
	    .request_id = "8d3f2c1e-0000-4000-8000-000000000001" };

	cr_assert_gt(tcd_ncalls, 0, "no call waits for an answer");
	c = tcd_calls[0];
	memmove(&tcd_calls[0], &tcd_calls[1], (tcd_ncalls - 1) * sizeof(tcd_calls[0]));
	tcd_ncalls--;
	if (status == 0) {
		res.err = NDES_HTTP_ERR_UNREACHABLE;
		res.errmsg = "cannot reach 127.0.0.1:9: Connection refused";
	}
	res.body = body != NULL ? body : "{}";
	res.len = strlen(res.body);
	c.cb(&res, c.arg);
	free(c.body);
}

int
tcd_events(const struct tcd *t, const char *id, const char *code)
{
	json_t *all = evt_read_json_file(t->events), *e;
	const char *got;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, e) {
		got = json_string_value(json_object_get(e, "NDES_DIAG_CODE"));
		if (strcmp(json_string_value(json_object_get(e, "NDES_EVENT_ID")), id) == 0 &&
		    (code == NULL || (got != NULL && strcmp(got, code) == 0)))
			n++;
	}
	json_decref(all);
	return n;
}

static void
tcd_write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	if (key != NULL)
		cr_assert(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	else
		cr_assert(PEM_write_X509(f, cert));
	fclose(f);
	chmod(path, 0600);
}

void
tcd_register(struct tcd *t, time_t not_before, time_t not_after, char *thumb,
    size_t thumblen)
{
	EVP_PKEY *ca_key = testpki_key("ec-p256"), *key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(ca_key, "Test Cloud CA", NULL, NULL, -3600, 3650);
	X509 *cert = testpki_cert(key, "connector", ca, ca_key, 0, 1);
	struct conn_registration reg = { .connector_id = "c0ffee00-0000-4000-8000-000000000001",
	    .tenant_id = "7e1a0000-0000-4000-8000-000000000002",
	    .cloud_url = "https://127.0.0.1:9", .name = "connector", .client_thumbprint = thumb,
	    .registered_at = (int64_t)not_before };
	char err[512];

	cr_assert(ASN1_TIME_set(X509_getm_notBefore(cert), not_before) != NULL);
	cr_assert(ASN1_TIME_set(X509_getm_notAfter(cert), not_after) != NULL);
	cr_assert(X509_sign(cert, ca_key, EVP_sha256()) > 0);
	ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, thumblen);
	tcd_write_pem(t->st.client_key, key, NULL);
	tcd_write_pem(t->st.client_cert, NULL, cert);
	tcd_write_pem(t->st.cloud_ca, NULL, ca);
	cr_assert_eq(conn_registration_save(t->st.registration, &reg, err, sizeof(err)), 0,
	    "%s", err);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}
