/* libFuzzer target: ndes-policy-exec's reader of micromdm's depot index.txt
 * (policy/exec_depot.c), which the depot watcher follows to notify crpd of
 * issued and revoked certificates.  scepserver writes the lines, with the
 * subject a device asked for.
 *
 * Input: the bytes of index.txt.  Invariants: a file refused as a whole
 * has a message and reports nothing; otherwise only complete lines (ended
 * by '\n') are read, at most one entry per line; every entry has a
 * one-character status, a serial and a file name; joined again with tabs,
 * an entry is exactly one of the input's lines (nothing truncated or
 * merged), in file order. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exec.h"

static const char *
depot_dir(void)
{
	static char dir[512];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/depot", fuzz_tmpdir());
		FUZZ_CHECK(mkdir(dir, 0700) == 0);
	}
	return dir;
}

static char *
joined(const struct exec_index_line *l)
{
	char *s;

	FUZZ_CHECK(asprintf(&s, "%c\t%s\t%s\t%s\t%s\t%s", l->status, l->expiry, l->revoked,
	    l->serial, l->file, l->subject) != -1);
	return s;
}

/* The next complete input line at or after *off equal to text; advances
 * *off past it.  false when there is none. */
static bool
find_line(const uint8_t *data, size_t size, size_t *off, const char *text)
{
	size_t len = strlen(text);

	while (*off < size) {
		const uint8_t *nl = memchr(data + *off, '\n', size - *off);
		size_t line_len;

		if (nl == NULL)
			return false;
		line_len = (size_t)(nl - (data + *off));
		if (line_len == len && memcmp(data + *off, text, len) == 0) {
			*off += line_len + 1;
			return true;
		}
		*off += line_len + 1;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_index_line *lines = NULL;
	size_t n = 0, off = 0;
	char err[512] = "";
	const char *dir = depot_dir();

	fuzz_write_file("depot/index.txt", data, size);
	if (exec_index_read(dir, &lines, &n, err, sizeof(err)) == -1) {
		/* a file refused as a whole: nothing is reported from it */
		FUZZ_CHECK(err[0] != '\0' && lines == NULL && n == 0);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *s = joined(&lines[i]);

		FUZZ_CHECK(lines[i].status != '\0');
		FUZZ_CHECK(lines[i].serial[0] != '\0' && lines[i].file[0] != '\0');
		FUZZ_CHECK(find_line(data, size, &off, s));
		free(s);
	}
	exec_index_free(lines, n);
	return 0;
}
