/* Text that goes into one line: messages, logs, events. */
#ifndef NDES_TEXT_H
#define NDES_TEXT_H

#include <stddef.h>

/* s into buf (NUL-terminated) with its control characters escaped as \n,
 * \t or \xNN: a message that quotes what someone else wrote (a
 * configuration value, a server's answer) stays one line.  Text that does
 * not fit is cut at a character boundary and ends in "..." (errmsg.h). */
void ndes_text_one_line(const char *s, char *buf, size_t len);

/* ch as it is, or escaped when it is a control character (as above), into
 * out; the bytes written (at most 4, no NUL). */
size_t ndes_text_char(unsigned char ch, char *out);

#endif
