/* ndes_event_emit through the fallback sinks (JSON lines in a file, on
 * stderr), misuse of codes, strict mode, sink selection, threads. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "test_events_util.h"

static char *sink_path;

/* Every test of the suite has its own file sink and a captured stderr. */
static void
setup_file(void)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_FILE, NULL };

	cr_redirect_stderr();
	unsetenv("NDES_EVENTS_SINK");
	unsetenv("NDES_EVENTS_STRICT");
	log_init("ndes-evtest", LOG_LEVEL_INFO);
	sink_path = evt_tmpfile();
	o.path = sink_path;
	cr_assert_eq(ndes_events_init(&o), 0);
}

static void
teardown_file(void)
{
	ndes_events_close();
	unlink(sink_path);
	free(sink_path);
}

static json_t *
read_sink(size_t want)
{
	json_t *arr = evt_read_json_file(sink_path);

	cr_assert_eq(json_array_size(arr), want, "%zu lines", json_array_size(arr));
	return arr;
}

TestSuite(events_sink, .init = setup_file, .fini = teardown_file);

Test(events_sink, every_event_every_allowed_code_every_field)
{
	const struct ndes_event_info *ei;
	struct ndes_event_ctx ctx;
	size_t ev, c, k = 0, total = 0;
	json_t *arr;

	evt_full_ctx(&ctx, "tx-file-1");
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++) {
		ei = ndes_event_info((enum ndes_event)ev);
		for (c = 0; c < ei->ncodes; c++, total++)
			cr_assert_eq(ndes_event_emit(ei->event, ei->codes[c], &ctx), 0);
	}
	arr = read_sink(total);
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++) {
		ei = ndes_event_info((enum ndes_event)ev);
		for (c = 0; c < ei->ncodes; c++)
			evt_check_fields(json_array_get(arr, k++), ei->event, ei->codes[c], &ctx,
			    "ndes-evtest", 1);
	}
	json_decref(arr);
}

Test(events_sink, no_context_gives_base_fields_only)
{
	json_t *arr;

	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_SUCCESS, NULL), 0);
	arr = read_sink(1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_CONNECTOR_STARTED, 0, NULL, "ndes-evtest", 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "MESSAGE")),
	    "StartedConnectorService (10010) 0x00000000 Success");
	cr_assert_eq(json_object_size(json_array_get(arr, 0)), 11);
	json_decref(arr);
}

Test(events_sink, partial_context_and_exact_message)
{
	struct ndes_event_ctx ctx = { .device_id = "d1", .transaction_id = "t1",
		.detail = "challenge could not be parsed" };
	json_t *arr, *o;

	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_VERIFY_FAILURE,
	    NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED, &ctx), 0);
	arr = read_sink(1);
	o = json_array_get(arr, 0);
	evt_check_fields(o, NDES_EV_CRP_VERIFY_FAILURE, 0x410, &ctx, "ndes-evtest", 1);
	cr_assert_str_eq(json_string_value(json_object_get(o, "MESSAGE")),
	    "CRPVerifyMetric_Failure (20502) 0x00000410 CRPSCEPDeserialize_Failed: "
	    "challenge could not be parsed");
	cr_assert_str_eq(json_string_value(json_object_get(o, "MESSAGE_ID")),
	    "851e3729e9a7407593ac7695c8d59f1d");
	cr_assert_str_eq(json_string_value(json_object_get(o, "PRIORITY")), "3");
	cr_assert_null(json_object_get(o, "NDES_USER_ID"));
	json_decref(arr);
}

Test(events_sink, disallowed_code_is_recorded_as_unknown_error)
{
	struct ndes_event_ctx ctx = { .transaction_id = "t2" };
	json_t *arr, *o;

	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_VERIFY_SUCCESS,
	    NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED, &ctx), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("ndes-evtest: events: event 20500 CRPVerifyMetric_Success does not "
	    "allow diagnostic code 0x00000411 (CRPSCEPChallenge_Expired); recorded as 0x0FFFFFFF "
	    "Unknown_Error\n");
	arr = read_sink(1);
	o = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_DIAG_CODE")), "0x0FFFFFFF");
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_DIAG_NAME")), "Unknown_Error");
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_DIAG_CODE_REQUESTED")),
	    "0x00000411");
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_EVENT_ID")), "20500");
	cr_assert_str_eq(json_string_value(json_object_get(o, "MESSAGE")),
	    "CRPVerifyMetric_Success (20500) 0x0FFFFFFF Unknown_Error (requested 0x00000411 "
	    "CRPSCEPChallenge_Expired, not allowed for this event)");
	json_decref(arr);
}

Test(events_sink, code_of_no_table_is_disallowed_everywhere)
{
	json_t *arr;
	size_t ev;

	for (ev = 0; ev < NDES_EVENT_COUNT; ev++)
		cr_assert_eq(ndes_event_emit((enum ndes_event)ev, 0x12345678, NULL), -1);
	arr = read_sink(NDES_EVENT_COUNT);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "MESSAGE")),
	    "StartedConnectorService (10010) 0x0FFFFFFF Unknown_Error (requested 0x12345678 "
	    "unknown, not allowed for this event)");
	json_decref(arr);
}

Test(events_sink, strict_mode_aborts_on_disallowed_code, .signal = SIGABRT)
{
	setenv("NDES_EVENTS_STRICT", "1", 1);
	unlink(sink_path);	/* no teardown after abort() */
	ndes_event_emit(NDES_EV_UPLOAD_SUCCESS, NDES_DIAG_OUTBOX_FULL, NULL);
	cr_assert_fail("strict mode did not abort");
}

Test(events_sink, strict_mode_passes_allowed_codes)
{
	setenv("NDES_EVENTS_STRICT", "1", 1);
	cr_assert_eq(ndes_event_emit(NDES_EV_UPLOAD_FAILURE, NDES_DIAG_OUTBOX_FULL, NULL), 0);
	json_decref(read_sink(1));
}

Test(events_sink, unknown_event_writes_nothing)
{
	cr_assert_eq(ndes_event_emit((enum ndes_event)NDES_EVENT_COUNT, 0, NULL), -1);
	cr_assert_eq(ndes_event_emit((enum ndes_event)-3, 0, NULL), -1);
	json_decref(read_sink(0));
}

Test(events_sink, values_are_bounded_valid_utf8)
{
	char big[2000], cut[600];
	struct ndes_event_ctx ctx = { .device_id = "ab\xff\xfe" "cd\xe3\x81", .user_id = big,
		.ca_name = cut, .template_name = "line1\nline2" };
	json_t *arr, *o;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(cut, 'y', 511);
	strcpy(cut + 511, "\xc3\xa9z");	/* é would straddle byte 512 */
	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STOPPED, 0, &ctx), 0);
	arr = read_sink(1);
	o = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_DEVICE_ID")), "ab??cd??");
	cr_assert_eq(strlen(json_string_value(json_object_get(o, "NDES_USER_ID"))), 512);
	cr_assert_eq(strlen(json_string_value(json_object_get(o, "NDES_CA_NAME"))), 511);
	cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_TEMPLATE_NAME")), "line1\nline2");
	json_decref(arr);
}

Test(events_sink, japanese_values_pass_unchanged)
{
	struct ndes_event_ctx ctx = { .user_id = "山田太郎", .detail = "証明書要求" };
	json_t *arr;

	cr_assert_eq(ndes_event_emit(NDES_EV_PKCS_ISSUE_SUCCESS, 0, &ctx), 0);
	arr = read_sink(1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_PKCS_ISSUE_SUCCESS, 0, &ctx, "ndes-evtest", 1);
	json_decref(arr);
}

struct thread_arg {
	char tid[32];
	int n;
	bool batched;	/* inside ndes_event_batch_begin()/_end() */
};

static void *
emit_many(void *p)
{
	struct thread_arg *a = p;
	struct ndes_event_ctx ctx;
	int i;

	evt_full_ctx(&ctx, a->tid);
	if (a->batched)
		ndes_event_batch_begin();
	for (i = 0; i < a->n; i++)
		if (ndes_event_emit(NDES_EV_CRP_VERIFY_WARNING, NDES_DIAG_SAN_MISMATCH, &ctx) != 0)
			return p;
	if (a->batched && ndes_event_batch_end() != 0)
		return p;
	return NULL;
}

/* Threads emitting at once (in batches or not): every line whole. */
static void
concurrent_emits(bool batched)
{
	enum { NT = 8, PER = 150 };
	struct thread_arg args[NT];
	pthread_t th[NT];
	int count[NT] = { 0 }, t;
	void *ret;
	json_t *arr, *o;
	size_t i;

	for (t = 0; t < NT; t++) {
		snprintf(args[t].tid, sizeof(args[t].tid), "thread-%d", t);
		args[t].n = PER;
		args[t].batched = batched;
		cr_assert_eq(pthread_create(&th[t], NULL, emit_many, &args[t]), 0);
	}
	for (t = 0; t < NT; t++) {
		pthread_join(th[t], &ret);
		cr_assert_null(ret);
	}
	arr = read_sink(NT * PER);
	json_array_foreach(arr, i, o) {
		t = atoi(json_string_value(json_object_get(o, "NDES_TRANSACTION_ID")) + 7);
		cr_assert(t >= 0 && t < NT);
		count[t]++;
		cr_assert_str_eq(json_string_value(json_object_get(o, "NDES_DIAG_NAME")),
		    "NDES_San_Mismatch");
	}
	for (t = 0; t < NT; t++)
		cr_assert_eq(count[t], PER);
	json_decref(arr);
}

/* The lines in the sink file now (no assertion on their number). */
static size_t
sink_lines(void)
{
	json_t *arr = evt_read_json_file(sink_path);
	size_t n = json_array_size(arr);

	json_decref(arr);
	return n;
}

static void
emit_tid(const char *tid)
{
	struct ndes_event_ctx ctx;

	evt_full_ctx(&ctx, tid);
	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_VERIFY_SUCCESS, NDES_DIAG_SUCCESS, &ctx), 0);
}

/* A batch (crpd's group commit) is written at its outermost end, in order;
 * nothing of it before. */
Test(events_sink, batch_is_written_at_its_end_in_order)
{
	struct ndes_event_ctx ctx;
	json_t *arr;

	emit_tid("before");
	ndes_event_batch_begin();
	emit_tid("b-1");
	ndes_event_batch_begin();
	emit_tid("b-2");
	cr_assert_eq(ndes_event_batch_end(), 0);
	emit_tid("b-3");
	cr_assert_eq(sink_lines(), 1, "a batch's line was written before its end");
	cr_assert_eq(ndes_event_batch_end(), 0);
	cr_assert_eq(ndes_event_batch_end(), 0, "an end without a begin is a no-op");
	emit_tid("after");
	arr = read_sink(5);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0),
	    "NDES_TRANSACTION_ID")), "before");
	for (size_t i = 1; i <= 3; i++) {
		char want[8];

		snprintf(want, sizeof(want), "b-%zu", i);
		cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, i),
		    "NDES_TRANSACTION_ID")), want);
	}
	evt_full_ctx(&ctx, "after");
	evt_check_fields(json_array_get(arr, 4), NDES_EV_CRP_VERIFY_SUCCESS, NDES_DIAG_SUCCESS,
	    &ctx, "ndes-evtest", 1);
	json_decref(arr);
}

/* A large batch does not grow without bound: past 64 KiB what it holds
 * is written, whole lines only. */
Test(events_sink, large_batch_is_written_before_its_end)
{
	size_t mid;

	ndes_event_batch_begin();
	for (int i = 0; i < 200; i++)
		emit_tid("large");
	mid = sink_lines();
	cr_assert(mid > 0 && mid < 200, "%zu lines written inside the batch", mid);
	cr_assert_eq(ndes_event_batch_end(), 0);
	json_decref(read_sink(200));
}

Test(events_sink, concurrent_emits_keep_lines_whole)
{
	concurrent_emits(false);
}

Test(events_sink, concurrent_batches_keep_lines_whole)
{
	concurrent_emits(true);
}

Test(events_sink, file_that_cannot_be_opened_keeps_the_old_sink)
{
	struct ndes_events_opts bad = { NDES_EVENTS_SINK_FILE, "/nonexistent-dir/x/events.json" };
	struct ndes_events_opts nopath = { NDES_EVENTS_SINK_FILE, NULL };

	cr_assert_eq(ndes_events_init(&bad), -1);
	cr_assert_eq(ndes_events_init(&nopath), -1);
	cr_assert_eq(ndes_event_emit(NDES_EV_DOWNLOAD_SUCCESS, 0, NULL), 0);
	json_decref(read_sink(1));
}

Test(events_sink, environment_overrides_the_options)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_STDERR, NULL };
	char *other = evt_tmpfile(), spec[300];
	json_t *arr;

	snprintf(spec, sizeof(spec), "file:%s", other);
	setenv("NDES_EVENTS_SINK", spec, 1);
	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_REVOKE_SUCCESS, 0, NULL), 0);
	arr = evt_read_json_file(other);
	cr_assert_eq(json_array_size(arr), 1);
	json_decref(arr);
	json_decref(read_sink(0));
	unlink(other);
	free(other);
}

Test(events_stderr, json_line_on_stderr, .init = cr_redirect_stderr)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_STDERR, NULL };
	struct ndes_event_ctx ctx;
	json_t *arr;

	unsetenv("NDES_EVENTS_SINK");
	log_init("ndes-evtest", LOG_LEVEL_INFO);
	evt_full_ctx(&ctx, "tx-stderr");
	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_REVOKE_FAILURE, NDES_DIAG_REVOKE_ALREADY_REVOKED, &ctx), 0);
	fflush(stderr);
	arr = evt_read_json_lines(cr_get_redirected_stderr());
	cr_assert_eq(json_array_size(arr), 1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_REVOKE_FAILURE, 0x1302, &ctx, "ndes-evtest", 1);
	json_decref(arr);
	ndes_events_close();
}

Test(events_stderr, bad_environment_is_ignored_with_a_warning, .init = cr_redirect_stderr)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_STDERR, NULL };

	log_init("ndes-evtest", LOG_LEVEL_INFO);
	setenv("NDES_EVENTS_SINK", "syslog", 1);
	cr_assert_eq(ndes_events_init(&o), 0);
	fflush(stderr);
	cr_assert_stderr_eq_str("ndes-evtest: events: NDES_EVENTS_SINK=syslog not understood, ignored\n");
	ndes_events_close();
}

/* Hide the journal socket in a private mount namespace: auto must fall back. */
static void
hide_journal_socket(void)
{
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		cr_skip_test("no private mount namespace here (%s)", strerror(errno));
	if (access("/run/systemd/journal", F_OK) == 0 &&
	    mount("tmpfs", "/run/systemd/journal", "tmpfs", 0, NULL) == -1)
		cr_skip_test("cannot hide the journal socket (%s)", strerror(errno));
	cr_assert_neq(access("/run/systemd/journal/socket", F_OK), 0);
}

Test(events_auto, no_journal_socket_falls_back_to_the_file)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_AUTO, NULL };
	struct ndes_event_ctx ctx;
	char *path;
	json_t *arr;

	hide_journal_socket();
	o.path = path = evt_tmpfile();
	unsetenv("NDES_EVENTS_SINK");
	log_init("ndes-evtest", LOG_LEVEL_INFO);
	evt_full_ctx(&ctx, "tx-auto");
	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_NOTIFY_FAILURE, NDES_DIAG_CONNECTOR_UNAVAILABLE,
	    &ctx), 0);
	arr = evt_read_json_file(path);
	cr_assert_eq(json_array_size(arr), 1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_CRP_NOTIFY_FAILURE, 0x1101, &ctx,
	    "ndes-evtest", 1);
	json_decref(arr);
	ndes_events_close();
	unlink(path);
	free(path);
}

Test(events_auto, no_journal_socket_and_no_file_means_stderr, .init = cr_redirect_stderr)
{
	json_t *arr;

	hide_journal_socket();
	unsetenv("NDES_EVENTS_SINK");
	log_init("ndes-evtest", LOG_LEVEL_INFO);
	/* no ndes_events_init: the first emit initialises (auto) */
	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STARTED, 0, NULL), 0);
	fflush(stderr);
	arr = evt_read_json_lines(cr_get_redirected_stderr());
	cr_assert_eq(json_array_size(arr), 1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_CONNECTOR_STARTED, 0, NULL, "ndes-evtest", 1);
	json_decref(arr);
}

Test(events_parse, sink_specs)
{
	struct ndes_events_opts o;

	cr_assert_eq(ndes_events_parse_sink("auto", &o), 0);
	cr_assert(o.sink == NDES_EVENTS_SINK_AUTO && o.path == NULL);
	cr_assert_eq(ndes_events_parse_sink("journal", &o), 0);
	cr_assert(o.sink == NDES_EVENTS_SINK_JOURNAL && o.path == NULL);
	cr_assert_eq(ndes_events_parse_sink("stderr", &o), 0);
	cr_assert(o.sink == NDES_EVENTS_SINK_STDERR && o.path == NULL);
	cr_assert_eq(ndes_events_parse_sink("file:/var/log/ndes/events.json", &o), 0);
	cr_assert_eq(o.sink, NDES_EVENTS_SINK_FILE);
	cr_assert_str_eq(o.path, "/var/log/ndes/events.json");
	cr_assert_eq(ndes_events_parse_sink("auto:/tmp/e.json", &o), 0);
	cr_assert_eq(o.sink, NDES_EVENTS_SINK_AUTO);
	cr_assert_str_eq(o.path, "/tmp/e.json");
	cr_assert_eq(ndes_events_parse_sink("file:", &o), -1);
	cr_assert_eq(ndes_events_parse_sink("", &o), -1);
	cr_assert_eq(ndes_events_parse_sink("journald", &o), -1);
	cr_assert_eq(ndes_events_parse_sink("File:/x", &o), -1);
	cr_assert_eq(ndes_events_parse_sink(NULL, &o), -1);
	cr_assert_eq(ndes_events_parse_sink("auto", NULL), -1);
}
