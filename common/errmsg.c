/* Error messages (errmsg.h). */
#include "errmsg.h"

#include <stdio.h>
#include <string.h>

/* How many of the bytes s[0..end) hold whole UTF-8 characters: end, or
 * the start of a last character that does not end by end. */
static size_t
utf8_whole(const char *s, size_t end)
{
	size_t j = end, need;
	unsigned char lead;

	while (j > 0 && end - j < 3 && ((unsigned char)s[j - 1] & 0xC0) == 0x80)
		j--;
	if (j == 0)
		return end;
	lead = (unsigned char)s[j - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return j - 1 + need > end ? j - 1 : end;
}

void
ndes_err_mark_cut(char *err, size_t errlen)
{
	size_t end;

	if (err == NULL || errlen == 0)
		return;
	if (errlen < 4) {
		memset(err, '.', errlen - 1);
		err[errlen - 1] = '\0';
		return;
	}
	end = strnlen(err, errlen - 1);
	if (end > errlen - 4)
		end = errlen - 4;
	memcpy(err + utf8_whole(err, end), "...", 4);
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
		ndes_err_mark_cut(err, errlen);
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
		ndes_err_mark_cut(err, errlen);
}
