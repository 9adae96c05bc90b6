#include "test_events_util.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

struct evt_ctx_key {
	const char *key;
	const char *(*get)(const struct ndes_event_ctx *);
};

#define EVT_GET(member) \
	static const char *get_##member(const struct ndes_event_ctx *c) { return c->member; }
EVT_GET(device_id)
EVT_GET(user_id)
EVT_GET(transaction_id)
EVT_GET(challenge_id)
EVT_GET(ca_name)
EVT_GET(template_name)
EVT_GET(thumbprint)
EVT_GET(serial_number)
EVT_GET(request_id)

static const struct evt_ctx_key evt_ctx_keys[] = {
	{ "NDES_DEVICE_ID", get_device_id },
	{ "NDES_USER_ID", get_user_id },
	{ "NDES_TRANSACTION_ID", get_transaction_id },
	{ "NDES_CHALLENGE_ID", get_challenge_id },
	{ "NDES_CA_NAME", get_ca_name },
	{ "NDES_TEMPLATE_NAME", get_template_name },
	{ "NDES_THUMBPRINT", get_thumbprint },
	{ "NDES_SERIAL_NUMBER", get_serial_number },
	{ "NDES_REQUEST_ID", get_request_id },
};
#define EVT_NCTX (sizeof(evt_ctx_keys) / sizeof(evt_ctx_keys[0]))

static const char *const evt_base_keys[] = {
	"MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "NDES_EVENT_ID",
	"NDES_EVENT_NAME", "NDES_DIAG_CODE", "NDES_DIAG_NAME", "NDES_INSTANCE",
};
#define EVT_NBASE (sizeof(evt_base_keys) / sizeof(evt_base_keys[0]))

json_t *
evt_read_json_lines(FILE *f)
{
	json_t *arr = json_array(), *obj;
	json_error_t err;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		obj = json_loads(line, 0, &err);
		cr_assert_not_null(obj, "not a JSON line (%s): %s", err.text, line);
		cr_assert(json_is_object(obj), "not an object: %s", line);
		json_array_append_new(arr, obj);
	}
	free(line);
	return arr;
}

json_t *
evt_read_json_file(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *arr;

	cr_assert_not_null(f, "open %s", path);
	arr = evt_read_json_lines(f);
	fclose(f);
	return arr;
}

void
evt_full_ctx(struct ndes_event_ctx *ctx, const char *tid)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->device_id = "dev-4c1f0b2e";
	ctx->user_id = "user-9a77";
	ctx->transaction_id = tid;
	ctx->challenge_id = "chal-0e5d";
	ctx->ca_name = "Test Issuing CA";
	ctx->template_name = "ndes-user";
	ctx->thumbprint = "5A1B3C9D0E2F4A6B8C0D1E2F3A4B5C6D7E8F9A0B";
	ctx->serial_number = "0A1B2C3D";
	ctx->request_id = "req-17";
	ctx->detail = "checked by the events test";
}

void
evt_expected_message(char *buf, size_t len, enum ndes_event ev, uint32_t code,
    const char *detail)
{
	snprintf(buf, len, "%s (%d) 0x%08X %s%s%s", ndes_event_name(ev), ndes_event_id(ev),
	    code, ndes_diag_name(code), detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static const char *
evt_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert_not_null(v, "field %s missing", key);
	cr_assert(json_is_string(v), "field %s is not a string", key);
	return json_string_value(v);
}

static int
evt_expected_key(const char *key, const struct ndes_event_ctx *ctx)
{
	size_t i;

	for (i = 0; i < EVT_NBASE; i++)
		if (strcmp(key, evt_base_keys[i]) == 0)
			return 1;
	for (i = 0; ctx != NULL && i < EVT_NCTX; i++)
		if (strcmp(key, evt_ctx_keys[i].key) == 0 && evt_ctx_keys[i].get(ctx) != NULL)
			return 1;
	return 0;
}

const char *evt_instance;

/* evt_instance, else $NDES_INSTANCE, else the host name (events.h). */
static const char *
evt_expected_instance(void)
{
	static char host[256];
	const char *env = getenv("NDES_INSTANCE");

	if (evt_instance != NULL)
		return evt_instance;
	if (env != NULL && env[0] != '\0')
		return env;
	cr_assert_eq(gethostname(host, sizeof(host) - 1), 0);
	return host;
}

static void
evt_check_json_extras(json_t *obj)
{
	struct timeval now;
	char pid[32];
	long long ts;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	cr_assert_str_eq(evt_str(obj, "_PID"), pid);
	gettimeofday(&now, NULL);
	ts = atoll(evt_str(obj, "__REALTIME_TIMESTAMP"));
	cr_assert(ts > (long long)now.tv_sec * 1000000LL - 60000000LL &&
	    ts <= (long long)now.tv_sec * 1000000LL + now.tv_usec, "timestamp %lld", ts);
}

void
evt_check_fields(json_t *obj, enum ndes_event ev, uint32_t code,
    const struct ndes_event_ctx *ctx, const char *ident, int json_sink)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);
	char msg[2048], num[32];
	const char *key, *want;
	json_t *v;
	size_t i;

	evt_expected_message(msg, sizeof(msg), ev, code, ctx != NULL ? ctx->detail : NULL);
	cr_assert_str_eq(evt_str(obj, "MESSAGE"), msg);
	cr_assert_str_eq(evt_str(obj, "MESSAGE_ID"), ei->message_id);
	snprintf(num, sizeof(num), "%d", ei->priority);
	cr_assert_str_eq(evt_str(obj, "PRIORITY"), num);
	cr_assert_str_eq(evt_str(obj, "SYSLOG_IDENTIFIER"), ident);
	cr_assert_str_eq(evt_str(obj, "NDES_INSTANCE"), evt_expected_instance());
	snprintf(num, sizeof(num), "%d", ei->id);
	cr_assert_str_eq(evt_str(obj, "NDES_EVENT_ID"), num);
	cr_assert_str_eq(evt_str(obj, "NDES_EVENT_NAME"), ei->name);
	snprintf(num, sizeof(num), "0x%08X", code);
	cr_assert_str_eq(evt_str(obj, "NDES_DIAG_CODE"), num);
	cr_assert_str_eq(evt_str(obj, "NDES_DIAG_NAME"), ndes_diag_name(code));
	for (i = 0; i < EVT_NCTX; i++) {
		want = ctx != NULL ? evt_ctx_keys[i].get(ctx) : NULL;
		if (want != NULL)
			cr_assert_str_eq(evt_str(obj, evt_ctx_keys[i].key), want);
		else
			cr_assert_null(json_object_get(obj, evt_ctx_keys[i].key), "%s present",
			    evt_ctx_keys[i].key);
	}
	json_object_foreach(obj, key, v) {
		if (json_sink && (strcmp(key, "_PID") == 0 || strcmp(key, "__REALTIME_TIMESTAMP") == 0))
			continue;
		if (json_sink || strncmp(key, "NDES_", 5) == 0)
			cr_assert(evt_expected_key(key, ctx), "unexpected field %s", key);
	}
	if (json_sink)
		evt_check_json_extras(obj);
}

uint32_t
evt_specific_code(enum ndes_event ev)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);

	cr_assert(ei->ncodes >= 2);
	return ei->ncodes > 2 ? ei->codes[ei->ncodes - 2] : ei->codes[0];
}

char *
evt_tmpfile(void)
{
	char *path = strdup("/tmp/ndes-events-test.XXXXXX");
	int fd;

	cr_assert_not_null(path);
	fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp");
	close(fd);
	return path;
}

void
evt_ensure_journal(void)
{
	const char *srcdir = getenv("top_srcdir");
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "bash '%s/tests/lib/journal.sh' ensure",
	    srcdir != NULL ? srcdir : ".");
	st = system(cmd);
	cr_assert(st != -1 && WIFEXITED(st), "cannot run %s", cmd);
	if (WEXITSTATUS(st) == 77)
		cr_skip_test("no journald and none can be started here");
	cr_assert_eq(WEXITSTATUS(st), 0, "journal.sh ensure failed");
}

json_t *
evt_journal_query(const char *match)
{
	const char *jctl = getenv("JOURNALCTL") != NULL ? getenv("JOURNALCTL") : "journalctl";
	char cmd[1024];
	json_t *arr;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --sync >/dev/null 2>&1; '%s' --no-pager -o json %s",
	    jctl, jctl, match);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	arr = evt_read_json_lines(p);
	pclose(p);
	return arr;
}

json_t *
evt_journal_read(const char *match, size_t want)
{
	json_t *arr = NULL;

	for (int i = 0; i < 50; i++) {
		json_decref(arr);
		arr = evt_journal_query(match);
		if (json_array_size(arr) >= want)
			break;
		usleep(100000);
	}
	cr_assert_eq(json_array_size(arr), want, "%s: %zu entries", match, json_array_size(arr));
	return arr;
}
