/* Helpers every fuzz target shares.  See fuzz.h. */
#include "fuzz.h"

#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "fuzz_keys.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
	abort();
}

void
fuzz_note(const char *fmt, ...)
{
	static int verbose = -1;
	va_list ap;

	if (verbose == -1)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

void
fuzz_split_line(const uint8_t *data, size_t size, char **line, const uint8_t **rest,
    size_t *rest_len)
{
	const uint8_t *nl = size > 0 ? memchr(data, '\n', size) : NULL;

	*line = NULL;
	*rest = data;
	*rest_len = size;
	if (nl == NULL)
		return;
	*line = fuzz_text(data, (size_t)(nl - data));
	*rest = nl + 1;
	*rest_len = size - (size_t)(nl - data) - 1;
}

/* ---- A private folder ---- */

static char tmpdir[256];
static pid_t tmpdir_owner;	/* a forked child (replay) leaves it alone */

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void
tmpdir_remove(void)
{
	if (tmpdir[0] != '\0' && getpid() == tmpdir_owner)
		nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	/* tmpfs when there is one: the targets write a file per input. */
	if (base == NULL || base[0] == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/ndes-fuzz.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		abort();
	}
	tmpdir_owner = getpid();
	atexit(tmpdir_remove);
	return tmpdir;
}

const char *
fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0) {
		perror(path);
		abort();
	}
	return path;
}

/* ---- The compiled-in test keys ---- */

static const char *
pem_text(const char *file)
{
	for (const struct fuzz_pem *p = fuzz_pems; p->name != NULL; p++)
		if (strcmp(p->name, file) == 0)
			return p->text;
	fprintf(stderr, "fuzz: no test key file %s\n", file);
	abort();
}

#define FUZZ_MAX_KEYS 8

static struct {
	char name[32];
	X509 *cert;
	EVP_PKEY *key;
} keys[FUZZ_MAX_KEYS];

/* The certificate (<name>.pem) or the key (<name>.key) of a test pair. */
static void *
read_pem(const char *name, bool key)
{
	char file[48];
	void *out;
	BIO *bio;

	snprintf(file, sizeof(file), "%s.%s", name, key ? "key" : "pem");
	if ((bio = BIO_new_mem_buf(pem_text(file), -1)) == NULL)
		abort();
	out = key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
	    (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (out == NULL)
		abort();
	BIO_free(bio);
	return out;
}

static size_t
key_slot(const char *name)
{
	size_t i;

	for (i = 0; i < FUZZ_MAX_KEYS && keys[i].name[0] != '\0'; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	if (i == FUZZ_MAX_KEYS)
		abort();
	snprintf(keys[i].name, sizeof(keys[i].name), "%s", name);
	keys[i].cert = read_pem(name, false);
	keys[i].key = read_pem(name, true);
	return i;
}

X509 *
fuzz_cert(const char *name)
{
	return keys[key_slot(name)].cert;
}

EVP_PKEY *
fuzz_key(const char *name)
{
	return keys[key_slot(name)].key;
}
