/* index.txt of an `openssl ca` / micromdm folder: one certificate per line,
 * six tab-separated fields: status (V valid, R revoked, E expired), expiry,
 * revocation date[,reason] (empty unless R), serial (hex), file name
 * ("unknown" when not kept), subject (/C=../CN=..). */
#include "ca_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

#define CA_INDEX_FIELDS 6

void
ca_index_clear(struct ca_index *idx)
{
	for (size_t i = 0; i < idx->n; i++) {
		free(idx->e[i].expiry);
		free(idx->e[i].revocation);
		free(idx->e[i].serial);
		free(idx->e[i].file);
		free(idx->e[i].subject);
	}
	free(idx->e);
	idx->e = NULL;
	idx->n = 0;
}

static int
ca_index_parse_line(char *line, struct ca_index_entry *e)
{
	char *f[CA_INDEX_FIELDS];
	char *p = line;

	for (int i = 0; i < CA_INDEX_FIELDS; i++) {
		f[i] = p;
		if (i < CA_INDEX_FIELDS - 1) {
			if ((p = strchr(p, '\t')) == NULL)
				return -1;
			*p++ = '\0';
		}
	}
	if (strlen(f[0]) != 1 || strchr("VRE", f[0][0]) == NULL || f[3][0] == '\0')
		return -1;
	e->status = f[0][0];
	if ((e->expiry = strdup(f[1])) == NULL || (e->revocation = strdup(f[2])) == NULL ||
	    (e->serial = strdup(f[3])) == NULL || (e->file = strdup(f[4])) == NULL ||
	    (e->subject = strdup(f[5])) == NULL)
		return -1;
	return 0;
}

int
ca_index_load(const char *path, struct ca_index *idx, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	memset(idx, 0, sizeof(*idx));
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		struct ca_index_entry *grown;

		lineno++;
		/* A NUL would cut the line short, and a rewrite would drop the rest. */
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(err, errlen, "%s:%zu: malformed index line (NUL byte)", path,
			    lineno);
			goto fail;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((grown = realloc(idx->e, (idx->n + 1) * sizeof(*grown))) == NULL)
			goto fail;
		idx->e = grown;
		memset(&idx->e[idx->n], 0, sizeof(idx->e[0]));
		idx->n++;
		if (ca_index_parse_line(line, &idx->e[idx->n - 1]) == -1) {
			snprintf(err, errlen, "%s:%zu: malformed index line", path, lineno);
			goto fail;
		}
	}
	free(line);
	fclose(fp);
	return 0;
fail:
	free(line);
	fclose(fp);
	ca_index_clear(idx);
	return -1;
}

static char *
ca_index_format(const struct ca_index_entry *e)
{
	char *s;

	if (asprintf(&s, "%c\t%s\t%s\t%s\t%s\t%s\n", e->status, e->expiry,
	    e->revocation != NULL ? e->revocation : "", e->serial,
	    e->file != NULL ? e->file : "unknown", e->subject) == -1)
		return NULL;
	return s;
}

int
ca_index_append(const char *path, const struct ca_index_entry *e, char *err, size_t errlen)
{
	char *line = ca_index_format(e);
	int fd, r = -1;
	size_t len;

	if (line == NULL)
		return -1;
	len = strlen(line);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (write(fd, line, len) != (ssize_t)len || fsync(fd) == -1)
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	else
		r = 0;
	if (fd != -1)
		close(fd);
	free(line);
	return r;
}

int
ca_index_save(const char *path, const struct ca_index *idx, char *err, size_t errlen)
{
	struct stat sb;
	char *text = NULL, *line;
	size_t len = 0;
	mode_t mode = 0644;
	int r = -1;

	if (stat(path, &sb) == 0)
		mode = sb.st_mode & 07777;
	for (size_t i = 0; i < idx->n; i++) {
		char *grown;

		if ((line = ca_index_format(&idx->e[i])) == NULL)
			goto out;
		if ((grown = realloc(text, len + strlen(line) + 1)) == NULL) {
			free(line);
			goto out;
		}
		text = grown;
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	r = ndes_crypto_write_file(path, text != NULL ? text : "", len, mode, err, errlen);
out:
	free(text);
	return r;
}

ssize_t
ca_index_find(const struct ca_index *idx, const char *serial)
{
	for (size_t i = 0; i < idx->n; i++)
		if (ndes_crypto_serial_equal(idx->e[i].serial, serial) == 1)
			return (ssize_t)i;
	return -1;
}
