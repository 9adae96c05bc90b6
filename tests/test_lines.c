/* The strict line reader (common/lines.h): lines as they are, and every
 * kind of line that must be refused, not truncated. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lines.h"

/* Reads text (len bytes) with max and flags: the statuses one per call,
 * "|"-separated ("1:line" for a line, "2:line" for an open last one, "0"
 * at the end), the message of a refusal in err. */
static void
read_all(const char *text, size_t len, size_t max, unsigned flags, char *out, size_t outlen,
    char *err)
{
	FILE *fp = fmemopen((void *)text, len, "r");
	struct ndes_lines r;
	enum ndes_line_status st;
	size_t n = 0;

	cr_assert_not_null(fp);
	cr_assert_eq(ndes_lines_init(&r, fp, "f.txt", max, flags), 0);
	err[0] = out[0] = '\0';
	do {
		st = ndes_lines_next(&r, err, 256);
		n += (size_t)snprintf(out + n, outlen - n, "%s%d%s%s", n ? "|" : "", (int)st,
		    st > 0 ? ":" : "", st > 0 ? r.line : "");
	} while (st == NDES_LINE_OK);
	ndes_lines_clear(&r);
	fclose(fp);
}

#define READ(text, max, flags) read_all(text, sizeof(text) - 1, max, flags, out, \
	sizeof(out), err)

Test(lines, lines_as_they_are)
{
	char out[512], err[256];

	READ("V\t1\t\t01\tunknown\t/CN=a\n\nZ\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\n", 64, 0);
	cr_assert_str_eq(out, "1:V\t1\t\t01\tunknown\t/CN=a|1:|1:Z\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x94\x91|0");
	READ("", 64, 0);
	cr_assert_str_eq(out, "0");
	READ("12345678\n", 8, 0);
	cr_assert_str_eq(out, "1:12345678|0", "exactly max bytes");
	READ("a\r\nb\n", 8, NDES_LINES_CRLF);
	cr_assert_str_eq(out, "1:a|1:b|0");
	READ("a\r\n", 8, 0);
	cr_assert_str_eq(out, "1:a\r|0", "CR kept without NDES_LINES_CRLF");
}

Test(lines, a_last_line_without_newline)
{
	char out[512], err[256];

	READ("a\nhalf", 8, 0);
	cr_assert_str_eq(out, "1:a|2:half", "reported open, not as a line");
	READ("01", 8, NDES_LINES_UNTERMINATED_OK);
	cr_assert_str_eq(out, "1:01|0");
}

Test(lines, a_nul_byte_is_refused_with_its_place)
{
	char out[512], err[256];

	READ("ok\nV\t1\t\t0A\x00" "B\tunknown\t/CN=x\n", 64, 0);
	cr_assert_str_eq(out, "1:ok|-1");
	cr_assert_str_eq(err, "f.txt:2: a NUL byte at column 8");
	READ("\x00\n", 64, 0);
	cr_assert_str_eq(err, "f.txt:1: a NUL byte at column 1");
}

Test(lines, over_long_lines_are_refused)
{
	char out[512], err[256];

	READ("123456789\nok\n", 8, 0);
	cr_assert_str_eq(out, "-1");
	cr_assert_str_eq(err, "f.txt:1: longer than 8 bytes");
	READ("12345678\r\n", 8, NDES_LINES_CRLF);
	cr_assert_str_eq(out, "1:12345678|0", "the CR does not count");
	READ("123456789\r\n", 8, NDES_LINES_CRLF);
	cr_assert_str_eq(err, "f.txt:1: longer than 8 bytes");
	READ("ok\n123456789", 8, NDES_LINES_UNTERMINATED_OK);
	cr_assert_str_eq(out, "1:ok|-1");
	cr_assert_str_eq(err, "f.txt:2: longer than 8 bytes");
}

Test(lines, text_that_is_not_utf8_is_refused)
{
	static const char *const bad[] = {
		"Caf\xe9\n",		/* Latin-1 */
		"\xc0\xaf\n",		/* overlong '/' */
		"\xe0\x80\xaf\n",	/* overlong, 3 bytes */
		"\xed\xa0\x80\n",	/* a surrogate */
		"\xf4\x90\x80\x80\n",	/* past U+10FFFF */
		"\xe2\x82\n",		/* cut short */
		"\x80\n",		/* a lone continuation byte */
		"\xff\n",
	};
	char out[512], err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		read_all(bad[i], strlen(bad[i]), 64, 0, out, sizeof(out), err);
		cr_assert_str_eq(out, "-1", "case %zu", i);
		cr_assert(strncmp(err, "f.txt:1: not UTF-8 (byte 0x", 27) == 0, "case %zu: %s", i,
		    err);
	}
	READ("Caf\xe9\n", 64, 0);
	cr_assert_str_eq(err, "f.txt:1: not UTF-8 (byte 0xE9 at column 4)");
}

Test(lines, secret_files_get_messages_without_their_text)
{
	char out[512], err[256];

	READ("p4\x00ss\n", 64, NDES_LINES_SECRET);
	cr_assert_str_eq(err, "f.txt:1: a NUL byte");
	READ("p\xe9" "4ss\n", 64, NDES_LINES_SECRET);
	cr_assert_str_eq(err, "f.txt:1: not UTF-8");
}

/* A secret file holding text with mode; its path (static). */
static const char *
secret_file(const char *text, mode_t mode)
{
	static char path[] = "/tmp/test-secret-XXXXXX";
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test-secret-XXXXXX");
	cr_assert_neq((fd = mkstemp(path)), -1);
	cr_assert_not_null((f = fdopen(fd, "w")));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

Test(lines, secret_files_first_line_and_mode)
{
	static const struct {
		const char *text;
		mode_t mode;
		unsigned flags;
		const char *want, *err;	/* want NULL: refused with err after "PATH: " */
	} cases[] = {
		{ "s3cret\r\nignored\n", 0600, NDES_SECRET_PRIVATE, "s3cret", NULL },
		{ "s3cret", 0400, NDES_SECRET_PRIVATE, "s3cret", NULL },
		{ "s3cret\n", 0644, NDES_SECRET_PRIVATE, NULL,
		    "mode 0644: readable by group or others; chmod 600 it" },
		{ "s3cret\n", 0640, NDES_SECRET_PRIVATE, NULL,
		    "mode 0640: readable by group or others; chmod 600 it" },
		{ "s3cret\n", 0602, NDES_SECRET_PRIVATE, NULL,
		    "mode 0602: writable by group or others; chmod 600 it" },
		{ "s3cret\n", 0644, 0, "s3cret", NULL },
		{ "", 0600, NDES_SECRET_PRIVATE, NULL, "empty file" },
		{ "s3\xff" "cret\n", 0600, NDES_SECRET_PRIVATE, NULL, "1: not UTF-8" },
	};
	char err[256], want[512], *out;
	const char *path;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = secret_file(cases[i].text, cases[i].mode);
		err[0] = '\0';
		if (cases[i].want != NULL) {
			cr_assert_eq(ndes_secret_read(path, cases[i].flags, &out, err, sizeof(err)),
			    0, "case %zu: %s", i, err);
			cr_assert_str_eq(out, cases[i].want, "case %zu", i);
			ndes_secret_free(out);
		} else {
			cr_assert_eq(ndes_secret_read(path, cases[i].flags, &out, err, sizeof(err)),
			    -1, "case %zu", i);
			cr_assert_null(out);
			snprintf(want, sizeof(want), "%s%s%s", path,
			    cases[i].err[0] == '1' ? ":" : ": ", cases[i].err);
			cr_assert_str_eq(err, want, "case %zu", i);
			cr_assert_null(strstr(err, "s3"), "case %zu: %s", i, err);
		}
		unlink(path);
	}
	cr_assert_eq(ndes_secret_read("/tmp", NDES_SECRET_PRIVATE, &out, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "/tmp: not a regular file");
}
