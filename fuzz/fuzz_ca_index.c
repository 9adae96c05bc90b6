/* libFuzzer target: the `openssl ca` index.txt reader of the connector's CA
 * folder (connector/ca_index.c).  index.txt is written by `openssl ca`,
 * micromdm's scepserver and the connector; lines carry subjects that
 * devices chose.
 *
 * Input: the bytes of index.txt.  Invariants: a refusal has a message and
 * leaves nothing; when the file loads, every entry has status V, R or E and
 * a serial; saving it writes back exactly the lines that were read (blank
 * lines and CRs at a line's end aside): the connector rewrites index.txt
 * after a revocation and must not change or drop what it does not
 * understand; the saved file loads to the same entries; ca_index_find()
 * finds every serial at or before its entry. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_int.h"

/* The next line of data at *off (without its "\n"), skipping blank ones
 * (empty or only CRs); false at the end. */
static bool
next_line(const uint8_t *data, size_t size, size_t *off, const uint8_t **line, size_t *len)
{
	while (*off < size) {
		const uint8_t *nl = memchr(data + *off, '\n', size - *off);
		size_t n = nl != NULL ? (size_t)(nl - (data + *off)) : size - *off, k = 0;

		*line = data + *off;
		*len = n;
		*off += n + (nl != NULL);
		while (k < n && (*line)[k] == '\r')
			k++;
		if (k < n)
			return true;
	}
	return false;
}

/* Every line of the saved file is the next non-blank line of the input,
 * exactly or less CRs at its end (a CRLF file), and nothing is left over. */
static void
check_written_back(const uint8_t *data, size_t size, const uint8_t *saved, size_t saved_len)
{
	const uint8_t *in, *out;
	size_t in_off = 0, out_off = 0, in_len, out_len;

	while (next_line(saved, saved_len, &out_off, &out, &out_len)) {
		FUZZ_CHECK(next_line(data, size, &in_off, &in, &in_len));
		FUZZ_CHECK(in_len >= out_len && memcmp(in, out, out_len) == 0);
		for (size_t i = out_len; i < in_len; i++)
			FUZZ_CHECK(in[i] == '\r');
	}
	FUZZ_CHECK(!next_line(data, size, &in_off, &in, &in_len));
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	FUZZ_CHECK(fp != NULL && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	FUZZ_CHECK(buf != NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
check_same(const struct ca_index *a, const struct ca_index *b)
{
	FUZZ_CHECK(a->n == b->n);
	for (size_t i = 0; i < a->n; i++) {
		FUZZ_CHECK(a->e[i].status == b->e[i].status);
		FUZZ_CHECK(strcmp(a->e[i].expiry, b->e[i].expiry) == 0);
		FUZZ_CHECK(strcmp(a->e[i].revocation, b->e[i].revocation) == 0);
		FUZZ_CHECK(strcmp(a->e[i].serial, b->e[i].serial) == 0);
		FUZZ_CHECK(strcmp(a->e[i].file, b->e[i].file) == 0);
		FUZZ_CHECK(strcmp(a->e[i].subject, b->e[i].subject) == 0);
	}
}

static void
check_entries(const struct ca_index *idx)
{
	for (size_t i = 0; i < idx->n; i++) {
		ssize_t at;

		FUZZ_CHECK(idx->e[i].status == 'V' || idx->e[i].status == 'R' ||
		    idx->e[i].status == 'E');
		FUZZ_CHECK(idx->e[i].serial[0] != '\0');
		at = ca_index_find(idx, idx->e[i].serial);
		/* -1: not a hex number, which no entry can then match. */
		FUZZ_CHECK(at == -1 || (size_t)at <= i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_index idx, again;
	char err[512], saved_path[600];
	const char *path = fuzz_write_file("index.txt", data, size);
	uint8_t *saved;
	size_t saved_len;

	if (ca_index_load(path, &idx, err, sizeof(err)) != 0) {	/* -1, or CA_FILE_MALFORMED */
		FUZZ_CHECK(err[0] != '\0' && idx.n == 0 && idx.e == NULL);
		return 0;
	}
	check_entries(&idx);
	snprintf(saved_path, sizeof(saved_path), "%s/index.saved", fuzz_tmpdir());
	FUZZ_CHECK(ca_index_save(saved_path, &idx, err, sizeof(err)) == 0);
	saved = slurp(saved_path, &saved_len);
	check_written_back(data, size, saved, saved_len);
	FUZZ_CHECK(ca_index_load(saved_path, &again, err, sizeof(err)) == 0);
	check_same(&idx, &again);
	ca_index_clear(&again);
	ca_index_clear(&idx);
	free(saved);
	return 0;
}
