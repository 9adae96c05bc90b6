/* Text that goes into one line.  See text.h. */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "errmsg.h"

size_t
ndes_text_char(unsigned char ch, char *out)
{
	if (ch == '\n')
		return (size_t)sprintf(out, "\\n");
	if (ch == '\t')
		return (size_t)sprintf(out, "\\t");
	if (ch < 0x20 || ch == 0x7f)
		return (size_t)sprintf(out, "\\x%02x", ch);
	out[0] = (char)ch;
	return 1;
}

void
ndes_text_one_line(const char *s, char *buf, size_t len)
{
	char	esc[8];
	size_t	n = 0, k;

	if (len == 0)
		return;
	for (; *s != '\0'; s++) {
		k = ndes_text_char((unsigned char)*s, esc);
		if (n + k >= len) {
			buf[n] = '\0';
			ndes_err_mark_cut(buf, len);
			return;
		}
		memcpy(buf + n, esc, k);
		n += k;
	}
	buf[n] = '\0';
}
