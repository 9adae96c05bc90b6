/* micromdm's depot as scepserver 2.1.0 writes it (depot/file/depot.go):
 *   ca.pem, ca.key, serial, index.txt, and one <CN>.<serial>.pem per issued
 *   certificate (created O_EXCL, mode 0444, written, closed);
 *   index.txt: `openssl ca` database lines, tab-separated:
 *	V	271129192004Z		02	dev1.2.pem	/C=US/O=Contoso/OU=MDM/CN=dev1
 *   on re-enrollment of the same subject (-allowrenew) the older lines are
 *   rewritten in place as
 *	R	271129192004Z	261129192012Z	02	dev1.2.pem	/C=US/...
 *   before the new V line is appended. */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

bool
exec_depot_is_cert(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".pem") == 0 && strcmp(name, "ca.pem") != 0 &&
	    name[0] != '.';
}

static int
index_split(char *line, struct exec_index_line *out)
{
	char *f[6], *p = line;
	int i;

	/* strsep, not strtok: the revocation date of a V line is empty. */
	for (i = 0; i < 6; i++)
		if ((f[i] = strsep(&p, "\t")) == NULL)
			return -1;
	if (p != NULL || strlen(f[0]) != 1 || f[3][0] == '\0' || f[4][0] == '\0')
		return -1;
	out->status = f[0][0];
	out->expiry = strdup(f[1]);
	out->revoked = strdup(f[2]);
	out->serial = strdup(f[3]);
	out->file = strdup(f[4]);
	out->subject = strdup(f[5]);
	return out->subject != NULL && out->file != NULL && out->serial != NULL &&
	    out->revoked != NULL && out->expiry != NULL ? 0 : -1;
}

static void
index_line_clear(struct exec_index_line *l)
{
	free(l->expiry);
	free(l->revoked);
	free(l->serial);
	free(l->file);
	free(l->subject);
	memset(l, 0, sizeof(*l));
}

void
exec_index_free(struct exec_index_line *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		index_line_clear(&lines[i]);
	free(lines);
}

/* Appends the split line to *lines (growing it); -1 when malformed or out
 * of memory (err set). */
static int
index_add(struct exec_index_line **lines, size_t *n, size_t *cap, char *line,
    const struct ndes_lines *r, char *err, size_t errlen)
{
	struct exec_index_line *grown;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((grown = realloc(*lines, *cap * sizeof(**lines))) == NULL) {
			ndes_err_set(err, errlen, "out of memory");
			return -1;
		}
		*lines = grown;
	}
	memset(&(*lines)[*n], 0, sizeof(**lines));
	if (index_split(line, &(*lines)[*n]) == -1) {
		index_line_clear(&(*lines)[*n]);
		ndes_err_set(err, errlen, "%s:%zu: malformed index line", r->name, r->lineno);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Every complete line, strictly (lines.h): a NUL byte, an over-long line,
 * text that is not UTF-8 or a line without its six fields refuses the whole
 * read (nothing is reported from a file that cannot be trusted); a last line
 * without newline is being written: the read stops before it. */
static int
index_read_lines(FILE *f, const char *path, struct exec_index_line **lines, size_t *n,
    char *err, size_t errlen)
{
	struct ndes_lines r;
	enum ndes_line_status st;
	size_t cap = 0;
	int rc = 0;

	if (ndes_lines_init(&r, f, path, EXEC_INDEX_LINE_MAX, 0) == -1) {
		ndes_err_set(err, errlen, "out of memory");
		return -1;
	}
	while (rc == 0 && (st = ndes_lines_next(&r, err, errlen)) == NDES_LINE_OK)
		if (r.len > 0)
			rc = index_add(lines, n, &cap, r.line, &r, err, errlen);
	if (rc == 0 && st == NDES_LINE_BAD)
		rc = -1;
	ndes_lines_clear(&r);
	return rc;
}

int
exec_index_read(const char *depot, struct exec_index_line **linesp, size_t *np, char *err,
    size_t errlen)
{
	struct exec_index_line *lines = NULL;
	char path[4096];
	size_t n = 0;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/index.txt", depot);
	*linesp = NULL;
	*np = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		ndes_err_set(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = index_read_lines(f, path, &lines, &n, err, errlen);
	fclose(f);
	if (rc == -1) {
		exec_index_free(lines, n);
		return -1;
	}
	*linesp = lines;
	*np = n;
	return 0;
}
