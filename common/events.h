/*
 * Events: the event IDs and diagnostic codes of the reference document
 * (DESIGN.md section 3) plus this project's extension codes, emitted to
 * journald with sd_journal_sendv, or as JSON lines to a fallback sink.
 * Everything here is generated from events.def; docs/events.md has the table.
 *
 * Emitting:
 *	struct ndes_event_ctx ctx = { .device_id = dev, .transaction_id = tid };
 *	ndes_event_emit(NDES_EV_CRP_VERIFY_FAILURE,
 *	    NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED, &ctx);
 *
 * Fields of every event: MESSAGE ("<Name> (<id>) 0x%08X <DiagName>[: detail]"),
 * MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER (log_procname()), NDES_EVENT_ID,
 * NDES_EVENT_NAME, NDES_DIAG_CODE ("0x%08X"), NDES_DIAG_NAME, and each non-NULL
 * context field (NDES_DEVICE_ID, NDES_USER_ID, NDES_TRANSACTION_ID,
 * NDES_CHALLENGE_ID, NDES_CA_NAME, NDES_TEMPLATE_NAME, NDES_THUMBPRINT,
 * NDES_SERIAL_NUMBER, NDES_REQUEST_ID).  The JSON sinks add _PID and
 * __REALTIME_TIMESTAMP (microseconds), as journalctl -o json shows them.
 *
 * All functions are thread-safe.
 */
#ifndef NDES_EVENTS_H
#define NDES_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ndes_event {
#define NDES_EVENT(id, name, sym, ...) NDES_EV_##sym,
#include "events.def"
};
/* Number of events; enum ndes_event values are 0 .. NDES_EVENT_COUNT - 1. */
enum { NDES_EVENT_COUNT = 0
#define NDES_EVENT(...) + 1
#include "events.def"
};

/* Diagnostic codes: NDES_DIAG_SUCCESS, NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED... */
enum ndes_diag {
#define NDES_DIAG(value, name, sym, ...) NDES_DIAG_##sym = (value),
#include "events.def"
};

enum ndes_diag_origin {
	NDES_DIAG_ORIGIN_REFERENCE,	/* the reference document's code: a contract */
	NDES_DIAG_ORIGIN_EXTENSION,	/* this project's finer reason (0x00001000+) */
};

struct ndes_event_info {
	enum ndes_event	 event;
	int		 id;		/* NDES_EVENT_ID, e.g. 20502 */
	const char	*name;		/* NDES_EVENT_NAME, e.g. "CRPVerifyMetric_Failure" */
	int		 priority;	/* syslog priority (LOG_ERR...) */
	const char	*message_id;	/* 32 lowercase hex digits */
	const uint32_t	*codes;		/* the diagnostic codes it may carry */
	size_t		 ncodes;
	const char	*subject_en, *text_en, *subject_ja, *text_ja;
};

struct ndes_diag_info {
	uint32_t		 code;
	const char		*name;	/* NDES_DIAG_NAME, e.g. "CRPSCEPDeserialize_Failed" */
	enum ndes_diag_origin	 origin;
	const char		*text_en, *text_ja;
};

/* Table lookups: NULL (or -1) for an unknown event, ID or code. */
const struct ndes_event_info *ndes_event_info(enum ndes_event ev);
const struct ndes_event_info *ndes_event_by_id(int id);
const char *ndes_event_name(enum ndes_event ev);
int ndes_event_id(enum ndes_event ev);
const char *ndes_event_message_id(enum ndes_event ev);
bool ndes_event_allows(enum ndes_event ev, uint32_t code);
const struct ndes_diag_info *ndes_diag_info(uint32_t code);
const char *ndes_diag_name(uint32_t code);
/* The diagnostic codes in table order, for i < ndes_diag_count(). */
size_t ndes_diag_count(void);
const struct ndes_diag_info *ndes_diag_at(size_t i);

/* Context of one event; every member may be NULL (field left out).  Values
 * are copied, capped at 512 bytes and made valid UTF-8.  `detail' is free
 * text appended to MESSAGE: never put a secret (challenge, key) there. */
struct ndes_event_ctx {
	const char *device_id;		/* NDES_DEVICE_ID */
	const char *user_id;		/* NDES_USER_ID */
	const char *transaction_id;	/* NDES_TRANSACTION_ID */
	const char *challenge_id;	/* NDES_CHALLENGE_ID */
	const char *ca_name;		/* NDES_CA_NAME */
	const char *template_name;	/* NDES_TEMPLATE_NAME */
	const char *thumbprint;		/* NDES_THUMBPRINT */
	const char *serial_number;	/* NDES_SERIAL_NUMBER */
	const char *request_id;		/* NDES_REQUEST_ID */
	const char *detail;		/* appended to MESSAGE */
};

/*
 * Emit one event (ctx may be NULL).  Returns 0 when the event was written.
 * A code the event does not allow is a caller bug: the event is still
 * written, with NDES_DIAG_CODE 0x0FFFFFFF (Unknown_Error) and the requested
 * code in NDES_DIAG_CODE_REQUESTED, a warning names both, and -1 is returned;
 * with NDES_EVENTS_STRICT=1 in the environment it abort()s instead.
 * Also -1 for an unknown event (nothing written) or when no sink took it.
 */
int ndes_event_emit(enum ndes_event ev, uint32_t code, const struct ndes_event_ctx *ctx);
/*
 * Batch this thread's JSON lines (file and stderr sinks, and the fallback
 * after a failed journald send): the events it emits until
 * ndes_event_batch_end() are kept in order and written there with one
 * write() at the end (earlier, in one write, past 64 KiB), so a commit's
 * events cost one system call.  Each emit then returns 0 once the line is
 * kept.  journald's events are sent at once as always.  Calls nest; the
 * outermost end writes, and returns -1 when that write failed (logged).
 */
void ndes_event_batch_begin(void);
int ndes_event_batch_end(void);

enum ndes_events_sink {
	NDES_EVENTS_SINK_AUTO,		/* journal if /run/systemd/journal/socket exists, else fallback */
	NDES_EVENTS_SINK_JOURNAL,	/* journald only (falls back to stderr if a send fails) */
	NDES_EVENTS_SINK_STDERR,	/* JSON lines on stderr */
	NDES_EVENTS_SINK_FILE,		/* JSON lines appended to path */
};

struct ndes_events_opts {
	enum ndes_events_sink	 sink;
	/* FILE: the file; AUTO: the fallback file (NULL: stderr). Copied. */
	const char		*path;
};

/*
 * Select the sink (opts NULL: auto, stderr fallback).  The environment
 * variable NDES_EVENTS_SINK (auto|journal|stderr|file:/path) overrides opts.
 * Without a call, the first emit initialises with NULL.  A file is opened
 * here (O_APPEND|O_CREAT, 0640): -1 if it cannot be, the sink is then unchanged.
 */
int ndes_events_init(const struct ndes_events_opts *opts);
/* The installation's name each event carries as NDES_INSTANCE, to tell
 * two installations on one journal apart (events_instance.c): name, or
 * with NULL/"" the NDES_INSTANCE environment variable, else the host name
 * (the default without a call).  Call it at start, before other threads
 * emit. */
void ndes_events_set_instance(const char *name);
const char *ndes_events_instance(void);
/* Close the file sink and go back to the uninitialised state. */
void ndes_events_close(void);
/* Parse "auto", "journal", "stderr" or "file:/path" (path points into spec). */
int ndes_events_parse_sink(const char *spec, struct ndes_events_opts *out);

#endif
