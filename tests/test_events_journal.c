/* Events through a real journald: emit every event, read each back with
 * journalctl -o json NDES_EVENT_ID=<id> and check every field.  When no
 * journald runs (a container), tests/lib/journal.sh starts one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "test_events_util.h"

static char run_tag[64];

static void
setup(void)
{
	struct timespec ts;

	evt_ensure_journal();
	unsetenv("NDES_EVENTS_SINK");
	unsetenv("NDES_EVENTS_STRICT");
	clock_gettime(CLOCK_REALTIME, &ts);
	srand((unsigned)(ts.tv_nsec ^ getpid()));
	snprintf(run_tag, sizeof(run_tag), "evtest-%ld-%ld-%d", (long)getpid(), (long)ts.tv_sec,
	    rand());
	log_init("ndes-evtest", LOG_LEVEL_INFO);
}

static void
teardown(void)
{
	ndes_events_close();
}

TestSuite(events_journal, .init = setup, .fini = teardown, .timeout = 60);

Test(events_journal, every_event_reads_back_with_every_field)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_JOURNAL, NULL };
	struct ndes_event_ctx ctx;
	char match[256];
	json_t *arr, *e;
	size_t ev;

	evt_full_ctx(&ctx, run_tag);
	cr_assert_eq(ndes_events_init(&o), 0);
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++)
		cr_assert_eq(ndes_event_emit((enum ndes_event)ev, evt_specific_code(ev), &ctx), 0);
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++) {
		snprintf(match, sizeof(match), "NDES_EVENT_ID=%d NDES_TRANSACTION_ID=%s",
		    ndes_event_id((enum ndes_event)ev), run_tag);
		arr = evt_journal_read(match, 1);
		e = json_array_get(arr, 0);
		evt_check_fields(e, (enum ndes_event)ev, evt_specific_code(ev), &ctx, "ndes-evtest", 0);
		cr_assert_str_eq(json_string_value(json_object_get(e, "_TRANSPORT")), "journal");
		json_decref(arr);
	}
}

Test(events_journal, message_id_finds_the_event)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_JOURNAL, NULL };
	struct ndes_event_ctx ctx = { .transaction_id = run_tag, .device_id = "dev-mid" };
	char match[256];
	json_t *arr;

	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_VERIFY_WARNING,
	    NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED, &ctx), 0);
	snprintf(match, sizeof(match), "MESSAGE_ID=%s NDES_TRANSACTION_ID=%s",
	    ndes_event_message_id(NDES_EV_CRP_VERIFY_WARNING), run_tag);
	arr = evt_journal_read(match, 1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_CRP_VERIFY_WARNING, 0x411, &ctx,
	    "ndes-evtest", 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "PRIORITY")), "4");
	json_decref(arr);
}

Test(events_journal, disallowed_code_reaches_the_journal_as_unknown_error)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_JOURNAL, NULL };
	struct ndes_event_ctx ctx = { .transaction_id = run_tag };
	char match[256];
	json_t *arr, *e;

	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CRP_VERIFY_FAILURE,
	    NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED, &ctx), -1);
	snprintf(match, sizeof(match), "NDES_EVENT_ID=20502 NDES_TRANSACTION_ID=%s", run_tag);
	arr = evt_journal_read(match, 1);
	e = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_CODE")), "0x0FFFFFFF");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_NAME")), "Unknown_Error");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_CODE_REQUESTED")),
	    "0x00000411");
	json_decref(arr);
}

Test(events_journal, auto_uses_the_journal_when_its_socket_exists)
{
	char *path = evt_tmpfile(), match[256];
	struct ndes_events_opts o = { NDES_EVENTS_SINK_AUTO, path };
	struct ndes_event_ctx ctx = { .transaction_id = run_tag };
	json_t *arr;

	cr_assert_eq(ndes_events_init(&o), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_DOWNLOAD_FAILURE, NDES_DIAG_CLOUD_UNTRUSTED, &ctx), 0);
	snprintf(match, sizeof(match), "NDES_EVENT_ID=20402 NDES_TRANSACTION_ID=%s", run_tag);
	arr = evt_journal_read(match, 1);
	evt_check_fields(json_array_get(arr, 0), NDES_EV_DOWNLOAD_FAILURE, 0x1203, &ctx,
	    "ndes-evtest", 0);
	json_decref(arr);
	arr = evt_read_json_file(path);
	cr_assert_eq(json_array_size(arr), 0, "the fallback file got the event");
	json_decref(arr);
	unlink(path);
	free(path);
}

/* Two installations on one journal: each event names its own
 * (NDES_INSTANCE), the host name by default, $NDES_INSTANCE, or the
 * name the daemon's YAML gives (events.instance). */
Test(events_journal, events_carry_the_installation_name)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_JOURNAL, NULL };
	struct ndes_event_ctx ctx = { .transaction_id = run_tag };
	static const char *const names[] = { NULL, "ndes-paris", "ndes-lyon" };
	char match[640], host[256];
	json_t *arr;

	cr_assert_eq(gethostname(host, sizeof(host) - 1), 0);
	cr_assert_eq(ndes_events_init(&o), 0);
	for (size_t i = 0; i < 3; i++) {
		unsetenv("NDES_INSTANCE");
		if (i == 1)
			setenv("NDES_INSTANCE", names[i], 1);
		ndes_events_set_instance(i == 2 ? names[i] : NULL);
		cr_assert_eq(ndes_event_emit(NDES_EV_UPLOAD_SUCCESS, 0, &ctx), 0);
		snprintf(match, sizeof(match), "NDES_TRANSACTION_ID=%s NDES_INSTANCE=%s", run_tag,
		    i == 0 ? host : names[i]);
		arr = evt_journal_read(match, 1);
		cr_assert_eq(json_array_size(arr), 1, "no event with %s", match);
		evt_instance = i == 0 ? host : names[i];
		evt_check_fields(json_array_get(arr, 0), NDES_EV_UPLOAD_SUCCESS, 0, &ctx,
		    "ndes-evtest", 0);
		json_decref(arr);
	}
	evt_instance = NULL;
	unsetenv("NDES_INSTANCE");
	ndes_events_set_instance(NULL);
}
