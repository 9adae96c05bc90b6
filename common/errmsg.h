/* Error messages: the one size and the way they nest (HACKING.md, "Errors").
 *
 * A function that can fail for a reason a person must read takes
 * (char *err, size_t errlen) and writes one line there.  The buffers for
 * such messages are NDES_ERR_MAX bytes everywhere, so a message handed up
 * is never cut by a smaller buffer on its way.  A caller adds its context
 * in place, in the callee's buffer, with ndes_err_prefix() (no second
 * buffer), and what still does not fit is cut at a UTF-8 character boundary
 * and ends in "...": a cut is never silent.
 *
 * err may be NULL (errlen then 0) where a caller does not want the text.
 * Pure code: libc only, no global state (the policy module carries it). */
#ifndef NDES_ERRMSG_H
#define NDES_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

#define NDES_ERR_MAX 1024

/* fmt... into err; a message longer than errlen - 1 bytes is cut and ends
 * in "...". */
void ndes_err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ndes_err_vset(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* fmt... in front of the message already in err, "<prefix><message>", cut
 * as above.  The arguments must not point into err. */
void ndes_err_prefix(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* err holds the start of a message that did not fit: end it in "..." (in
 * place of its last bytes when err is full), never inside a character. */
void ndes_err_mark_cut(char *err, size_t errlen);

#endif
