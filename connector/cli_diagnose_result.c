/* ndes-connector diagnose: setting a check's result (cli_diagnose.h).  The
 * checks in cli_diagnose_*.c call these; cli_diagnose.c, which runs the
 * checks, calls them too, so they live below all of them. */
#include "cli_diagnose.h"

#include <stdarg.h>
#include <stdio.h>

static void diag_set(struct diag_result *, enum diag_status, uint32_t, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

static void
diag_set(struct diag_result *r, enum diag_status st, uint32_t code, const char *fmt,
    va_list ap)
{
	r->status = st;
	r->code = code;
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
}

#define DIAG_SETTER(fn, st)						\
void									\
fn(struct diag_result *r, const char *fmt, ...)				\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	diag_set(r, st, 0, fmt, ap);					\
	va_end(ap);							\
}
DIAG_SETTER(diag_ok, DIAG_OK)
DIAG_SETTER(diag_skip, DIAG_SKIP)

#define DIAG_CODED_SETTER(fn, st)					\
void									\
fn(struct diag_result *r, uint32_t code, const char *fmt, ...)		\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	diag_set(r, st, code, fmt, ap);					\
	va_end(ap);							\
}
DIAG_CODED_SETTER(diag_fail, DIAG_FAIL)
DIAG_CODED_SETTER(diag_warn, DIAG_WARN)

void
diag_fix(struct diag_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->fix, sizeof(r->fix), fmt, ap);
	va_end(ap);
}
