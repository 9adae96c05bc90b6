/* Error messages (errmsg.h). */
#include "errmsg.h"

#include <stdio.h>
#include <string.h>

/* err holds errlen - 1 bytes of a longer message: end it in "..." without
 * cutting a UTF-8 character in two. */
static void
err_mark_cut(char *err, size_t errlen)
{
	size_t end;
	int back;

	if (errlen < 4) {
		memset(err, '.', errlen - 1);
		err[errlen - 1] = '\0';
		return;
	}
	end = errlen - 4;
	for (back = 0; back < 3 && end > 0 && ((unsigned char)err[end] & 0xC0) == 0x80; back++)
		end--;
	memcpy(err + end, "...", 4);
}

void
ndes_err_vset(char *err, size_t errlen, const char *fmt, va_list ap)
{
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = vsnprintf(err, errlen, fmt, ap);
	if (n < 0)
		err[0] = '\0';
	else if ((size_t)n >= errlen)
		err_mark_cut(err, errlen);
}

void
ndes_err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(err, errlen, fmt, ap);
	va_end(ap);
}

void
ndes_err_prefix(char *err, size_t errlen, const char *fmt, ...)
{
	size_t room, old, plen, keep;
	va_list ap;
	char first;
	int n;

	if (err == NULL || errlen == 0)
		return;
	room = errlen - 1;
	old = strnlen(err, room);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plen = (size_t)n < room ? (size_t)n : room;
	keep = old < room - plen ? old : room - plen;
	memmove(err + plen, err, keep);
	first = keep > 0 ? err[plen] : '\0';	/* vsnprintf's NUL lands there */
	va_start(ap, fmt);
	vsnprintf(err, plen + 1, fmt, ap);
	va_end(ap);
	err[plen] = first;
	err[plen + keep] = '\0';
	if ((size_t)n + old > room)
		err_mark_cut(err, errlen);
}
