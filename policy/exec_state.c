/* What the depot watcher has handled, kept across restarts so that no
 * certificate is notified twice and none issued while it was stopped is
 * missed.  A small string set (chained hash) saved as text:
 *	# ndes-policy-exec watch-depot state
 *	depot /srv/scep/depot
 *	cert dev1.2.pem
 *	revoked 02
 */
#include "exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "lines.h"

#define STATE_BUCKETS 4096
#define STATE_LINE_MAX (PATH_MAX + 32)

struct state_entry {
	struct state_entry *next;
	char key[];		/* "<kind> <name>" */
};

struct exec_state {
	char *path;
	char *depot;
	struct state_entry *buckets[STATE_BUCKETS];
	size_t count;
	bool dirty;
};

static size_t
state_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % STATE_BUCKETS;
}

static bool
state_has_key(const struct exec_state *st, const char *key)
{
	const struct state_entry *e;

	for (e = st->buckets[state_hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return true;
	return false;
}

static int
state_add_key(struct exec_state *st, const char *key)
{
	struct state_entry *e;
	size_t h = state_hash(key);

	if (state_has_key(st, key))
		return 0;
	if ((e = malloc(sizeof(*e) + strlen(key) + 1)) == NULL)
		return -1;
	strcpy(e->key, key);
	e->next = st->buckets[h];
	st->buckets[h] = e;
	st->count++;
	st->dirty = true;
	return 0;
}

bool
exec_state_has(const struct exec_state *st, const char *kind, const char *name)
{
	char key[PATH_MAX + 32];

	snprintf(key, sizeof(key), "%s %s", kind, name);
	return state_has_key(st, key);
}

int
exec_state_add(struct exec_state *st, const char *kind, const char *name)
{
	char key[PATH_MAX + 32];

	/* what the state file could not hold, or its reader would refuse */
	if (strchr(name, '\n') != NULL || !ndes_utf8_valid((const unsigned char *)name,
	    strlen(name), NULL) || strlen(name) + 16 > STATE_LINE_MAX)
		return -1;
	snprintf(key, sizeof(key), "%s %s", kind, name);
	return state_add_key(st, key);
}

const char *
exec_state_path(const struct exec_state *st)
{
	return st->path;
}

void
exec_state_free(struct exec_state *st)
{
	struct state_entry *e, *next;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < STATE_BUCKETS; i++)
		for (e = st->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(st->path);
	free(st->depot);
	free(st);
}

/* The saved lines, strictly (lines.h): a NUL byte, an over-long line, text
 * that is not UTF-8 or a cut last line refuse the file (a key read short
 * would mark the wrong certificate handled).  Lines other than "cert NAME"
 * and "revoked SERIAL" (the header) are skipped. */
static int
state_read_lines(struct exec_state *st, FILE *f, char *err, size_t errlen)
{
	struct ndes_lines r;
	enum ndes_line_status st_line;
	int rc = 0;

	if (ndes_lines_init(&r, f, st->path, STATE_LINE_MAX, 0) == -1) {
		ndes_err_set(err, errlen, "out of memory");
		return -1;
	}
	while (rc == 0 && (st_line = ndes_lines_next(&r, err, errlen)) == NDES_LINE_OK)
		if ((strncmp(r.line, "cert ", 5) == 0 || strncmp(r.line, "revoked ", 8) == 0) &&
		    state_add_key(st, r.line) == -1) {
			ndes_err_set(err, errlen, "out of memory");
			rc = -1;
		}
	if (rc == 0 && st_line == NDES_LINE_OPEN)
		ndes_err_set(err, errlen, "%s:%zu: the last line has no newline", st->path,
		    r.lineno);
	if (rc == 0 && st_line != NDES_LINE_END)
		rc = -1;
	ndes_lines_clear(&r);
	return rc;
}

/* Read the saved lines; a missing file is a fresh start. */
static int
state_load(struct exec_state *st, bool *fresh, char *err, size_t errlen)
{
	FILE *f = fopen(st->path, "re");
	int rc;

	*fresh = f == NULL && errno == ENOENT;
	if (f == NULL) {
		if (*fresh)
			return 0;
		ndes_err_set(err, errlen, "%s: %s", st->path, strerror(errno));
		return -1;
	}
	rc = state_read_lines(st, f, err, errlen);
	fclose(f);
	st->dirty = false;
	return rc;
}

/* <state_dir>/depot-<first 16 hex digits of SHA-256(real path)>.state */
static char *
state_file(const char *state_dir, const char *depot)
{
	char hex[NDES_CRYPTO_HEX_MAX], *path;

	if (ndes_crypto_digest_hex((const uint8_t *)depot, strlen(depot), EVP_sha256(), hex,
	    sizeof(hex)) == -1)
		return NULL;
	hex[16] = '\0';
	if (asprintf(&path, "%s/depot-%s.state", state_dir, hex) == -1)
		return NULL;
	return path;
}

struct exec_state *
exec_state_open(const char *state_dir, const char *depot, bool *fresh, char *err,
    size_t errlen)
{
	struct exec_state *st;

	if (mkdir(state_dir, 0700) == -1 && errno != EEXIST) {
		ndes_err_set(err, errlen, "%s: %s", state_dir, strerror(errno));
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->depot = strdup(depot)) == NULL ||
	    (st->path = state_file(state_dir, depot)) == NULL) {
		exec_state_free(st);
		ndes_err_set(err, errlen, "out of memory");
		return NULL;
	}
	if (state_load(st, fresh, err, errlen) == -1) {
		exec_state_free(st);
		return NULL;
	}
	return st;
}

int
exec_state_save(struct exec_state *st, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m;
	struct state_entry *e;
	int rc;

	if (!st->dirty)
		return 0;
	if ((m = open_memstream(&buf, &len)) == NULL) {
		ndes_err_set(err, errlen, "out of memory");
		return -1;
	}
	fprintf(m, "# ndes-policy-exec watch-depot state\ndepot %s\n", st->depot);
	for (i = 0; i < STATE_BUCKETS; i++)
		for (e = st->buckets[i]; e != NULL; e = e->next)
			fprintf(m, "%s\n", e->key);
	fclose(m);
	rc = ndes_crypto_write_file(st->path, buf, len, 0600, err, errlen);
	free(buf);
	if (rc == 0)
		st->dirty = false;
	return rc;
}
