/* Process logging in the OpenSMTPD style: every line is prefixed with the
 * process name.  These are operator diagnostics on stderr (journald picks
 * them up under systemd); structured events go through events.h. */
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

/* Set the prefix and the most verbose level printed.  Defaults: "ndes", info. */
void log_init(const char *procname, enum log_level level);
const char *log_procname(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only for the process's own unrecoverable state, never for untrusted input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
