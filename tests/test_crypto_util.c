#include <criterion/criterion.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_crypto_util.h"

void
tu_setup(void)
{
	workdir_enter("ndes-crypto");
}

static char *
tu_vformat(const char *fmt, va_list ap)
{
	char *cmd;

	cr_assert_neq(vasprintf(&cmd, fmt, ap), -1);
	return cmd;
}

void
tu_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	cmd = tu_vformat(fmt, ap);
	va_end(ap);
	st = system(cmd);
	cr_assert_eq(st, 0, "command failed (%d): %s", st, cmd);
	free(cmd);
}

char *
tu_sh_out(const char *fmt, ...)
{
	char *cmd, *out = NULL;
	size_t cap = 0, len = 0;
	va_list ap;
	FILE *p;
	int c;

	va_start(ap, fmt);
	cmd = tu_vformat(fmt, ap);
	va_end(ap);
	cr_assert_not_null(p = popen(cmd, "r"));
	while ((c = fgetc(p)) != EOF) {
		if (len + 2 > cap)
			cr_assert_not_null(out = realloc(out, cap = cap * 2 + 256));
		out[len++] = (char)c;
	}
	cr_assert_eq(pclose(p), 0, "command failed: %s", cmd);
	free(cmd);
	if (out == NULL)
		cr_assert_not_null(out = calloc(1, 1));
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	out[len] = '\0';
	return out;
}

uint8_t *
tu_read(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", name);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	cr_assert_geq(n = ftell(f), 0);
	rewind(f);
	cr_assert_not_null(buf = malloc((size_t)n + 1));
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

void
tu_write(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(name, "wb");

	cr_assert_not_null(f, "cannot create %s", name);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

void
tu_expect_file_error(const char *err, const char *name, const char *reason)
{
	char want[2048];

	snprintf(want, sizeof(want), "%s: %s", workdir_path(name), reason);
	cr_assert_str_eq(err, want);
}

char *
tu_strip_colons(char *s)
{
	char *r = s, *w = s;

	for (; *r != '\0'; r++)
		if (*r != ':')
			*w++ = (char)toupper((unsigned char)*r);
	*w = '\0';
	return s;
}
