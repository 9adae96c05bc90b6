/* crpd's reply operations (crp/reply.h), in process: the jobs (verify,
 * notify, reload) answer through a test transport's table and never know
 * which transport it is; the HTTP transport's table turns answers into
 * status codes and bodies (a local request, common/http.h).  Real worker
 * threads, a real libevent loop and a real state.db. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "challenge_store.h"
#include "crp_db.h"
#include "crpd.h"
#include "disposition.h"
#include "events.h"
#include "http.h"
#include "http_api.h"
#include "jobs.h"
#include "log.h"
#include "storage.h"
#include "work.h"

/* ---- A test transport: it writes down what it is asked, as text ---- */

struct capture {
	char	 said[1024];	/* each answer, one line each */
	int	 answers;
	int	 released;
	int	 answers_before_release;
};

static void record(struct capture *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
record(struct capture *c, const char *fmt, ...)
{
	size_t used = strlen(c->said);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->said + used, sizeof(c->said) - used, fmt, ap);
	va_end(ap);
	c->answers++;
}

static const char *
or_null(const char *s)
{
	return s != NULL ? s : "(null)";
}

static void
test_verified(void *state, const struct crp_verify_answer *a)
{
	record(state, "verified=%d event=%d code=0x%08X reason=%s ids=%s,%s,%s txn=%s\n",
	    a->verified, a->event_id, a->code, a->reason, or_null(a->challenge_id),
	    or_null(a->device_id), or_null(a->user_id), or_null(a->transaction_id));
}

static void
test_notified(void *state, const struct crp_notify_answer *a)
{
	record(state, "bad_request=%d accepted=%d code=0x%08X message=%s\n", a->bad_request,
	    a->accepted, a->code, a->message);
}

static void
test_reloaded(void *state, const struct crp_reload_answer *a)
{
	record(state, "status=%u message=%s\n", a->status, a->message);
}

static void
test_release(void *state)
{
	struct capture *c = state;

	c->released++;
	c->answers_before_release = c->answers;
}

static const struct crp_reply_ops test_ops = { "test", test_verified, test_notified,
	test_reloaded, test_release };

/* ---- A daemon with no listener: keys, state.db, one worker ---- */

static char dir[] = "/tmp/crpd-reply-XXXXXX";
static struct crpd d;
static int outbox_kicks;

static void
count_kick(struct crpd *dd)
{
	outbox_kicks++;
}

static void
setup(void)
{
	struct ndes_events_opts ev = { NDES_EVENTS_SINK_FILE, NULL };
	char path[256], events[256], err[512];

	log_init("test-reply", LOG_LEVEL_WARN);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	ev.path = events;
	cr_assert_eq(ndes_events_init(&ev), 0);
	memset(&d, 0, sizeof(d));
	outbox_kicks = 0;
	crp_keyholder_init(&d.keys);
	d.cfg.tenant_id = "8a1f2c3d-0000-4000-8000-000000000001";
	d.cfg.max_queue = 4;
	d.key_paths.crp_cert = d.key_paths.crp_key = "/nonexistent/crp";
	d.key_paths.crp_previous_cert = d.key_paths.crp_previous_key = "/nonexistent/prev";
	d.key_paths.signing_certs = "/nonexistent/signing.pem";
	d.outbox_queued = count_kick;
	evthread_use_pthreads();
	cr_assert_not_null(d.base = event_base_new());
	snprintf(path, sizeof(path), "%s/state.db", dir);
	cr_assert_not_null(d.db = crp_db_open(path, err, sizeof(err)), "%s", err);
	cr_assert_not_null(d.store = crp_store_sqlite_new(d.db));
	cr_assert_not_null(d.work = crp_work_new(d.base, &d, d.db, d.store, NULL, 1));
}

static void
teardown(void)
{
	char cmd[300];

	crp_work_free(d.work);
	crp_store_free(d.store);
	ndes_db_close(d.db);
	crp_keyholder_destroy(&d.keys);
	event_base_free(d.base);
	ndes_events_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(crpd_reply, .init = setup, .fini = teardown, .timeout = 30);

/* Run the loop until the transport's state was released. */
static void
wait_released(const struct capture *c)
{
	while (c->released == 0)
		cr_assert_neq(event_base_loop(d.base, EVLOOP_ONCE), -1);
}

static struct crp_reply
test_reply(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	return (struct crp_reply){ &test_ops, c };
}

Test(crpd_reply, verify_answers_through_the_ops_it_was_given)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct capture c;
	struct crp_reply reply = test_reply(&c);

	cr_assert(crp_admit(&d));
	crp_verify_submit(&d, &reply, junk, sizeof(junk), "UserTemplate", "txn-reply-1");
	/* taken over: the caller's reply goes nowhere now */
	cr_assert_null(reply.ops);
	cr_assert_null(reply.state);
	wait_released(&c);
	cr_assert_str_eq(c.said, "verified=0 event=20502 code=0x0000100D reason=certificate "
	    "request is not a DER PKCS#10 request ids=(null),(null),(null) txn=txn-reply-1\n");
	cr_assert_eq(c.released, 1);
	cr_assert_eq(c.answers_before_release, 1, "answered once, then released");
	cr_assert_eq(d.inflight, 0, "the job gave its admission back");
}

Test(crpd_reply, notify_bad_request_and_unknown_challenge)
{
	struct crp_notify_in in = {
		.challenge = "", .transaction_id = "txn-reply-2", .description = "",
		.disposition = NDES_POLICY_DISPOSITION_SUCCESS,
	};
	struct capture c;
	struct crp_reply reply = test_reply(&c);

	/* Success without the issued certificate: refused as malformed */
	cr_assert(crp_admit(&d));
	crp_notify_submit(&d, &reply, &in);
	wait_released(&c);
	cr_assert_str_eq(c.said, "bad_request=1 accepted=0 code=0x0FFFFFFF message=a Success "
	    "notification needs the issued certificate\n");
	cr_assert_eq(c.answers_before_release, 1);

	/* Failure for a transaction nobody verified: not accepted, nothing queued */
	in.disposition = NDES_POLICY_DISPOSITION_FAILURE;
	reply = test_reply(&c);
	cr_assert(crp_admit(&d));
	crp_notify_submit(&d, &reply, &in);
	wait_released(&c);
	cr_assert_str_eq(c.said, "bad_request=0 accepted=0 code=0x00001102 message=no verified "
	    "request matches this notification (challenge, issued certificate's key or "
	    "transaction ID)\n");
	cr_assert_eq(c.answers_before_release, 1);
	cr_assert_eq(outbox_kicks, 0, "nothing was queued for the connector");
	cr_assert_eq(d.inflight, 0);
}

Test(crpd_reply, reload_answers_or_goes_nowhere)
{
	struct capture c;
	struct crp_reply nowhere = { NULL, NULL }, reply = test_reply(&c);
	struct crp_keyset *ks;

	cr_assert_null(crp_keyholder_get(&d.keys), "nothing loaded yet");
	/* SIGHUP's reload: loaded all the same, the answer goes nowhere */
	crp_reload_submit(&d, &nowhere);
	crp_reload_submit(&d, &reply);
	wait_released(&c);
	/* only the second one answers here; missing files are no error */
	cr_assert_str_eq(c.said, "status=0 message=loaded 0 CRP encryption keys, "
	    "0 signing certificates\n");
	cr_assert_eq(c.answers_before_release, 1);
	cr_assert_not_null(ks = crp_keyholder_get(&d.keys));
	crp_keyset_unref(ks);
}

/* ---- The HTTP transport's table ---- */

static const struct crp_verify_answer v_ok = { true, 20500, 0, "", "c-1", "dev-1", "user-1",
	"txn-1" };
static const struct crp_verify_answer v_refused = { false, 20501, NDES_DIAG_SAN_MISMATCH,
	"SANs differ", "c-2", NULL, NULL, "" };
static const struct crp_verify_answer v_unknown = { false, 20502, NDES_DIAG_UNKNOWN_ERROR,
	"ndes-crpd is shutting down", NULL, NULL, NULL, NULL };
static const struct crp_notify_answer n_ok = { false, true, 0, "recorded" };
static const struct crp_notify_answer n_bad = { true, false, NDES_DIAG_UNKNOWN_ERROR, "not DER" };
static const struct crp_notify_answer n_unknown = { false, false,
	NDES_DIAG_NOTIFY_UNKNOWN_CHALLENGE, "no match" };
static const struct crp_notify_answer n_full = { false, false,
	NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, "disk full" };

/* Each answer through the HTTP transport's table, for a request from no
 * connection (its reply is captured): the status and the exact body. */
Test(crpd_reply, http_answers)
{
	static const struct {
		const struct crp_verify_answer *v;	/* else n */
		const struct crp_notify_answer *n;
		int status;
		const char *body;
	} cases[] = {
		{ &v_ok, NULL, 201, "{\"verified\":true,\"eventId\":20500,\"diagCode\":"
		  "\"0x00000000\",\"message\":\"\",\"challengeId\":\"c-1\",\"deviceId\":"
		  "\"dev-1\",\"userId\":\"user-1\"}" },
		{ &v_refused, NULL, 403, "{\"error\":{\"code\":\"NDES_San_Mismatch\",\"message\":"
		  "\"SANs differ\",\"eventId\":20501,\"diagCode\":\"0x00001004\"},\"verified\":"
		  "false,\"challengeId\":\"c-2\",\"deviceId\":null,\"userId\":null}" },
		{ &v_unknown, NULL, 503, "{\"error\":{\"code\":\"Unknown_Error\",\"message\":"
		  "\"ndes-crpd is shutting down\",\"eventId\":20502,\"diagCode\":\"0x0FFFFFFF\"},"
		  "\"verified\":false,\"challengeId\":null,\"deviceId\":null,\"userId\":null}" },
		{ NULL, &n_ok, 204, "" },
		{ NULL, &n_bad, 400, "{\"error\":{\"code\":\"bad_request\",\"message\":"
		  "\"not DER\"}}" },
		{ NULL, &n_unknown, 404, "{\"error\":{\"code\":\"NDES_Notify_UnknownChallenge\","
		  "\"message\":\"no match\",\"eventId\":20602,\"diagCode\":\"0x00001102\"}}" },
		{ NULL, &n_full, 503, "{\"error\":{\"code\":\"NDES_ChallengeStore_Unavailable\","
		  "\"message\":\"disk full\",\"eventId\":20602,\"diagCode\":\"0x00001020\"}}" },
	};
	struct ndes_http_captured out;
	struct ndes_http_request *req;
	struct crp_reply reply;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&out, 0, sizeof(out));
		req = ndes_http_request_local("POST", "/x", NULL, 0, NULL, NULL, &out);
		cr_assert_not_null(req);
		reply = crp_http_reply(req);
		if (cases[i].v != NULL)
			reply.ops->verified(reply.state, cases[i].v);
		else
			reply.ops->notified(reply.state, cases[i].n);
		crp_reply_release(&reply);
		cr_assert_eq(out.status, cases[i].status, "case %zu: %d", i, out.status);
		cr_assert_str_eq(out.body != NULL ? out.body : "", cases[i].body, "case %zu", i);
		ndes_http_captured_clear(&out);
	}
}
