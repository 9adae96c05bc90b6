/* Emitting events: check the code against the table, build the fields
 * once (sanitised, bounded), hand them to the sink (events_sink.c). */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_int.h"
#include "log.h"

#define EV_VALUE_MAX		512	/* bytes per context field */
#define EV_DETAIL_MAX		1024	/* bytes of detail in MESSAGE */

static const struct {
	const char	*key;
	size_t		 off;
} ev_ctx_fields[] = {
	{ "NDES_DEVICE_ID", offsetof(struct ndes_event_ctx, device_id) },
	{ "NDES_USER_ID", offsetof(struct ndes_event_ctx, user_id) },
	{ "NDES_TRANSACTION_ID", offsetof(struct ndes_event_ctx, transaction_id) },
	{ "NDES_CHALLENGE_ID", offsetof(struct ndes_event_ctx, challenge_id) },
	{ "NDES_CA_NAME", offsetof(struct ndes_event_ctx, ca_name) },
	{ "NDES_TEMPLATE_NAME", offsetof(struct ndes_event_ctx, template_name) },
	{ "NDES_THUMBPRINT", offsetof(struct ndes_event_ctx, thumbprint) },
	{ "NDES_SERIAL_NUMBER", offsetof(struct ndes_event_ctx, serial_number) },
	{ "NDES_REQUEST_ID", offsetof(struct ndes_event_ctx, request_id) },
};

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t
ev_utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return n;
}

/* Copy at most max bytes of in into out, invalid UTF-8 bytes as '?', never
 * cutting a character.  Returns the bytes written (out is NUL-terminated). */
static size_t
ev_sanitize(char *out, const char *in, size_t max)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t left = strlen(in), o = 0, n;

	while (left > 0) {
		n = ev_utf8_len(s, left);
		if (o + (n == 0 ? 1 : n) > max)
			break;
		if (n == 0) {
			out[o++] = '?';
			n = 1;
		} else {
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
		left -= n;
	}
	out[o] = '\0';
	return o;
}

static int
ev_add(struct ndes_ev_record *rec, const char *key, const char *value, size_t max)
{
	size_t klen = strlen(key), vlen = strlen(value);
	char *kv;

	if (rec->n >= NDES_EV_FIELDS_MAX)
		return -1;
	if (vlen > max)
		vlen = max;
	if ((kv = malloc(klen + 1 + vlen + 1)) == NULL)
		return -1;
	memcpy(kv, key, klen);
	kv[klen] = '=';
	ev_sanitize(kv + klen + 1, value, vlen);
	rec->f[rec->n].kv = kv;
	rec->f[rec->n].klen = klen;
	rec->n++;
	return 0;
}

static int
ev_addf(struct ndes_ev_record *rec, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ev_addf(struct ndes_ev_record *rec, const char *key, const char *fmt, ...)
{
	char buf[EV_DETAIL_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ev_add(rec, key, buf, sizeof(buf));
}

static void
ev_record_clear(struct ndes_ev_record *rec)
{
	while (rec->n > 0)
		free(rec->f[--rec->n].kv);
}

static const char *
ev_diag_label(uint32_t code)
{
	const char *name = ndes_diag_name(code);

	return name != NULL ? name : "unknown";
}

static int
ev_add_message(struct ndes_ev_record *rec, const struct ndes_event_info *ei, uint32_t code,
    uint32_t requested, const char *detail)
{
	char dbuf[EV_DETAIL_MAX + 1], rbuf[96] = "";

	if (requested != code)
		snprintf(rbuf, sizeof(rbuf), " (requested 0x%08X %s, not allowed for this event)",
		    requested, ev_diag_label(requested));
	if (detail != NULL)
		ev_sanitize(dbuf, detail, EV_DETAIL_MAX);
	return ev_addf(rec, "MESSAGE", "%s (%d) 0x%08X %s%s%s%s", ei->name, ei->id, code,
	    ev_diag_label(code), rbuf, detail != NULL ? ": " : "", detail != NULL ? dbuf : "");
}

static int
ev_record_build(struct ndes_ev_record *rec, const struct ndes_event_info *ei, uint32_t code,
    uint32_t requested, const struct ndes_event_ctx *ctx)
{
	const char *value;
	size_t i;
	int rc = 0;

	rc |= ev_add_message(rec, ei, code, requested, ctx != NULL ? ctx->detail : NULL);
	rc |= ev_add(rec, "MESSAGE_ID", ei->message_id, EV_VALUE_MAX);
	rc |= ev_addf(rec, "PRIORITY", "%d", ei->priority);
	rc |= ev_add(rec, "SYSLOG_IDENTIFIER", log_procname(), EV_VALUE_MAX);
	rc |= ev_add(rec, "NDES_INSTANCE", ndes_events_instance(), EV_VALUE_MAX);
	rc |= ev_addf(rec, "NDES_EVENT_ID", "%d", ei->id);
	rc |= ev_add(rec, "NDES_EVENT_NAME", ei->name, EV_VALUE_MAX);
	rc |= ev_addf(rec, "NDES_DIAG_CODE", "0x%08X", code);
	rc |= ev_add(rec, "NDES_DIAG_NAME", ev_diag_label(code), EV_VALUE_MAX);
	if (requested != code)
		rc |= ev_addf(rec, "NDES_DIAG_CODE_REQUESTED", "0x%08X", requested);
	for (i = 0; ctx != NULL && i < sizeof(ev_ctx_fields) / sizeof(ev_ctx_fields[0]); i++) {
		value = *(const char *const *)(const void *)((const char *)ctx + ev_ctx_fields[i].off);
		if (value != NULL)
			rc |= ev_add(rec, ev_ctx_fields[i].key, value, EV_VALUE_MAX);
	}
	return rc != 0 ? -1 : 0;
}

/* A code the event does not allow: a bug of the caller, never silent. */
static void
ev_report_misuse(const struct ndes_event_info *ei, uint32_t code)
{
	const char *strict = getenv("NDES_EVENTS_STRICT");

	log_warnx("events: event %d %s does not allow diagnostic code 0x%08X (%s); "
	    "recorded as 0x%08X %s", ei->id, ei->name, code, ev_diag_label(code),
	    (unsigned)NDES_DIAG_UNKNOWN_ERROR, ev_diag_label(NDES_DIAG_UNKNOWN_ERROR));
	if (strict != NULL && strcmp(strict, "1") == 0)
		abort();
}

int
ndes_event_emit(enum ndes_event ev, uint32_t code, const struct ndes_event_ctx *ctx)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);
	struct ndes_ev_record rec = { .n = 0 };
	uint32_t effective = code;
	bool allowed;
	int rc;

	if (ei == NULL) {
		log_warnx("events: unknown event %d not emitted", (int)ev);
		return -1;
	}
	allowed = ndes_event_allows(ev, code);
	if (!allowed) {
		ev_report_misuse(ei, code);
		effective = NDES_DIAG_UNKNOWN_ERROR;
	}
	rc = ev_record_build(&rec, ei, effective, code, ctx);
	if (rc == 0)
		rc = ndes_events_deliver(&rec);
	else
		log_warnx("events: out of memory building event %d", ei->id);
	ev_record_clear(&rec);
	return allowed ? rc : -1;
}
