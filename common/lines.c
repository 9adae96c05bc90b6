/* Strict line reader (lines.h). */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the UTF-8 sequence starting at s (n bytes left), 0 if bad. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2, cp = c & 0x1Fu;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 3, cp = c & 0x0Fu;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 4, cp = c & 0x07u;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

bool
ndes_utf8_valid(const unsigned char *s, size_t len, size_t *bad)
{
	size_t i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(s + i, len - i)) == 0) {
			if (bad != NULL)
				*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

int
ndes_lines_init(struct ndes_lines *r, FILE *fp, const char *name, size_t max, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	r->name = name;
	r->max = max;
	r->flags = flags;
	return (r->line = malloc(max + 2)) == NULL ? -1 : 0;
}

void
ndes_lines_clear(struct ndes_lines *r)
{
	free(r->line);
	r->line = NULL;
}

/* Reads up to the newline, at most max + 1 bytes: 1 newline seen, 0 end of
 * file first, -1 too long or a read error (errno 0 when too long). */
static int
lines_fill(struct ndes_lines *r)
{
	int c;

	r->len = 0;
	while ((c = getc_unlocked(r->fp)) != EOF) {
		if (c == '\n')
			return 1;
		if (r->len == r->max + ((r->flags & NDES_LINES_CRLF) ? 1 : 0)) {
			errno = 0;
			return -1;
		}
		r->line[r->len++] = (char)c;
	}
	return ferror(r->fp) ? -1 : 0;
}

static enum ndes_line_status
lines_check(struct ndes_lines *r, char *err, size_t errlen)
{
	const char *nul = memchr(r->line, '\0', r->len);
	size_t bad;

	if (nul != NULL && (r->flags & NDES_LINES_SECRET))
		snprintf(err, errlen, "%s:%zu: a NUL byte", r->name, r->lineno);
	else if (nul != NULL)
		snprintf(err, errlen, "%s:%zu: a NUL byte at column %zu", r->name, r->lineno,
		    (size_t)(nul - r->line) + 1);
	else if (ndes_utf8_valid((const unsigned char *)r->line, r->len, &bad))
		return NDES_LINE_OK;
	else if (r->flags & NDES_LINES_SECRET)
		snprintf(err, errlen, "%s:%zu: not UTF-8", r->name, r->lineno);
	else
		snprintf(err, errlen, "%s:%zu: not UTF-8 (byte 0x%02X at column %zu)", r->name,
		    r->lineno, (unsigned char)r->line[bad], bad + 1);
	return NDES_LINE_BAD;
}

enum ndes_line_status
ndes_lines_next(struct ndes_lines *r, char *err, size_t errlen)
{
	int rc = lines_fill(r);

	r->lineno++;
	if (rc == -1) {
		if ((r->io_error = errno != 0))
			snprintf(err, errlen, "%s: %s", r->name, strerror(errno));
		else
			snprintf(err, errlen, "%s:%zu: longer than %zu bytes", r->name, r->lineno,
			    r->max);
		return NDES_LINE_BAD;
	}
	if (rc == 0 && r->len == 0)
		return NDES_LINE_END;
	if ((r->flags & NDES_LINES_CRLF) && rc == 1 && r->len > 0 && r->line[r->len - 1] == '\r')
		r->len--;
	r->line[r->len] = '\0';
	if (r->len > r->max) {
		snprintf(err, errlen, "%s:%zu: longer than %zu bytes", r->name, r->lineno, r->max);
		return NDES_LINE_BAD;
	}
	if (lines_check(r, err, errlen) == NDES_LINE_BAD)
		return NDES_LINE_BAD;
	if (rc == 0 && !(r->flags & NDES_LINES_UNTERMINATED_OK))
		return NDES_LINE_OPEN;
	return NDES_LINE_OK;
}

/* The descriptor of a secret file, checked through it (no race with a
 * chmod or a rename between the check and the read). */
static int
secret_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd == -1 || fstat(fd, &st) == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: not a regular file", path);
	else if ((flags & NDES_SECRET_PRIVATE) && (st.st_mode & 066) != 0)
		snprintf(err, errlen, "%s: mode %04o: %s by group or others; chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777), (st.st_mode & 044) ? "readable" : "writable");
	else
		return fd;
	if (fd != -1)
		close(fd);
	return -1;
}

int
ndes_secret_read(const char *path, unsigned flags, char **out, char *err, size_t errlen)
{
	int fd = secret_open(path, flags, err, errlen);
	enum ndes_line_status st = NDES_LINE_BAD;
	struct ndes_lines r = { 0 };
	FILE *f;

	*out = NULL;
	if (fd == -1)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (ndes_lines_init(&r, f, path, NDES_SECRET_LINE_MAX, NDES_LINES_CRLF |
	    NDES_LINES_UNTERMINATED_OK | NDES_LINES_SECRET) == -1)
		snprintf(err, errlen, "%s: out of memory", path);
	else if ((st = ndes_lines_next(&r, err, errlen)) == NDES_LINE_END)
		snprintf(err, errlen, "%s: empty file", path);
	fclose(f);
	if (st != NDES_LINE_OK) {
		if (r.line != NULL)
			explicit_bzero(r.line, NDES_SECRET_LINE_MAX + 2);
		ndes_lines_clear(&r);
		return -1;
	}
	*out = r.line;		/* taken over */
	return 0;
}

void
ndes_secret_free(char *secret)
{
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}
