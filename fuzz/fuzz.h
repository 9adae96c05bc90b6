/* What every fuzz target shares (docs/fuzzing.md).
 *
 * A target is one fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput()
 * (and LLVMFuzzerInitialize() when it needs set-up).  It is linked twice:
 *   - with libFuzzer (--enable-fuzzing CC=clang): fuzz/fuzz_<name>;
 *   - with fuzz/replay_main.c in every build: fuzz/replay-<name>, which
 *     `make check` runs over fuzz/corpus/<name>/ (one TAP line per file).
 * A target checks invariants with FUZZ_CHECK(): a violation aborts, which
 * libFuzzer reports as a crash and the replay as "not ok".
 *
 * Not thread-safe: a target runs one input at a time. */
#ifndef NDES_FUZZ_H
#define NDES_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* abort() with the condition and its place on stderr when cond is false. */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond))                                                 \
			fuzz_fail(__FILE__, __LINE__, #cond);                \
	} while (0)

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* With FUZZ_VERBOSE set in the environment: one line on stderr (what an
 * input reached, to check that the seeds go deep).  Otherwise nothing. */
void fuzz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A NUL-terminated malloc'd copy of data (the bytes after a NUL stay). */
char *fuzz_text(const uint8_t *data, size_t size);

/* Split data at the first '\n': *line (NUL-terminated, malloc'd, without
 * the '\n') and the rest.  *line is NULL when there is no '\n'. */
void fuzz_split_line(const uint8_t *data, size_t size, char **line, const uint8_t **rest,
    size_t *rest_len);

/* A private folder for the process's files, removed at exit. */
const char *fuzz_tmpdir(void);
/* Write data to <fuzz_tmpdir()>/name; the path (static buffer). */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* The fixed test key pairs of fuzz/keys/ (compiled in, see fuzz/embed-keys.sh):
 * "signer" (challenge signing, EC P-256), "crp" (CRP encryption, EC P-256),
 * "crp-rsa" (CRP encryption, RSA 2048), "client" (connector registration,
 * EC P-256), "device" (EC P-256).  Owned by the table: do not free.
 * abort() when the name is unknown. */
X509 *fuzz_cert(const char *name);
EVP_PKEY *fuzz_key(const char *name);

/* The instant the seeds are checked at, 2027-01-01T00:00:00Z (the claims
 * of the seeds were issued an hour before and expire a year later). */
#define FUZZ_NOW 1798761600

#endif
