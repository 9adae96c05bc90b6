/* Process logging in the OpenSMTPD style: every line is prefixed with the
 * process name.  These are operator diagnostics on stderr (journald picks
 * them up under systemd); structured events go through events.h.
 *
 * Repeated lines are rate-limited so that a flood (a client opening
 * connections as fast as it can, accept() failing in a loop) cannot fill the
 * journal: the lines of one log statement (one format string; for the
 * pass-through format "%s" the text itself, digits ignored) are printed at
 * most `burst` times per window of `interval_ms`.  The rest are counted, and
 * one line reports them when that statement is next used after its window,
 * or at log_flush_suppressed() (at most a second late on any log call):
 *
 *     ndes-crpd: suppressed 743 similar lines in 10 s, the last: ipc ...
 *
 * libevent's own messages come here too (log_init() installs the callback),
 * keyed by their text with digits ignored.  Thread-safe. */
#ifndef NDES_LOG_H
#define NDES_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* The level names in enum order ("warn", "info", "debug"), NULL-terminated:
 * the values a daemon's `log_level` setting takes. */
extern const char *const log_level_names[];
/* The level named name; info for an unknown name. */
enum log_level log_level_from_name(const char *name);
/* base raised by `steps` levels (one per -v/--verbose on a command line:
 * warn -> info -> debug), never past debug; steps <= 0 leaves it. */
enum log_level log_level_raise(enum log_level base, int steps);

/* Set the prefix and the most verbose level printed.  Defaults: "ndes", info. */
void log_init(const char *procname, enum log_level level);
const char *log_procname(void);

/* Defaults: 20 lines per statement per 10 s.  burst 0 turns the limit off. */
#define LOG_RATE_BURST 20
#define LOG_RATE_INTERVAL_MS 10000
void log_set_rate_limit(unsigned burst, unsigned interval_ms);
/* Report every count of suppressed lines now (at exit, and in tests). */
void log_flush_suppressed(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only for the process's own unrecoverable state, never for untrusted input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
