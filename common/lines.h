/* Strict reading of line-based text files: the CA folder's index.txt,
 * serial and crlnumber, micromdm's depot index.txt, the depot watcher's
 * state file, one-line secret files (docs/security.md, "Faults").
 *
 * A line ends with "\n" and holds at most `max` bytes before it.  A line
 * with a NUL byte, a longer line, or one that is not UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) is refused with
 * "NAME:LINE: why", never truncated or skipped: a reader that goes on
 * after a refusal, or writes the file back, would lose what it did not
 * understand.  A line is read at most max + 1 bytes far, so a huge line
 * costs no memory. */
#ifndef NDES_LINES_H
#define NDES_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Flags. */
#define NDES_LINES_CRLF		0x01	/* a "\r" before the "\n" is removed */
#define NDES_LINES_UNTERMINATED_OK	0x02	/* a last line without "\n" is a line */
#define NDES_LINES_SECRET	0x04	/* messages say nothing of the text (no byte, no
					 * column): passwords */

enum ndes_line_status {
	NDES_LINE_BAD = -1,	/* refused (or a read error): the message in err */
	NDES_LINE_END = 0,	/* end of the file */
	NDES_LINE_OK = 1,	/* r->line, r->len: one line without its newline */
	NDES_LINE_OPEN = 2,	/* the last line has no "\n" yet (being written?);
				 * r->line holds it (checked like any line) */
};

struct ndes_lines {
	FILE		*fp;
	const char	*name;		/* for messages, usually the path */
	size_t		 max;
	unsigned	 flags;
	size_t		 lineno;	/* of the line just read, from 1 */
	char		*line;		/* NUL-terminated */
	size_t		 len;
	bool		 io_error;	/* NDES_LINE_BAD came from reading, not the text */
};

/* 0, or -1 when out of memory.  fp stays the caller's. */
int	ndes_lines_init(struct ndes_lines *r, FILE *fp, const char *name, size_t max,
	    unsigned flags);
enum ndes_line_status ndes_lines_next(struct ndes_lines *r, char *err, size_t errlen);
void	ndes_lines_clear(struct ndes_lines *r);

/* One-line secret files (a password, a passphrase): the first line of
 * path, read with NDES_LINES_SECRET (a "\r\n" or a missing last newline is
 * fine; an empty file is refused).  With NDES_SECRET_PRIVATE the file must
 * be a regular file that group and others can neither read nor write (mode
 * 0600 or 0400): "PATH: mode 0644: readable by group or others; chmod 600
 * it".  0 and *out malloc'd (ndes_secret_free() it), or -1 with the reason
 * in err, which never shows the text. */
#define NDES_SECRET_LINE_MAX	4096
#define NDES_SECRET_PRIVATE	0x01
int	ndes_secret_read(const char *path, unsigned flags, char **out, char *err,
	    size_t errlen);
/* Overwrite and free (NULL is fine). */
void	ndes_secret_free(char *secret);

/* Whether s[0..len) is UTF-8 (as above); on false *bad is the offset of the
 * first byte that is not. */
bool	ndes_utf8_valid(const unsigned char *s, size_t len, size_t *bad);

#endif
