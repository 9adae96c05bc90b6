/* Helpers for the crypto/CSR tests: a temporary working folder per test and
 * the openssl command line ($OPENSSL, default "openssl") to make inputs. */
#ifndef NDES_TEST_CRYPTO_UTIL_H
#define NDES_TEST_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/workdir.h"

/* .init: workdir_enter("ndes-crypto"); .fini: workdir_leave (lib/workdir.h). */
void tu_setup(void);

/* Runs a /bin/sh command (formatted); asserts exit status 0.  Commands refer
 * to the openssl binary as "$OPENSSL". */
void tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, returning its standard output with trailing newlines removed
 * (malloc()'d). */
char *tu_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole file (malloc()'d, NUL-terminated, *len without the NUL); asserts. */
uint8_t *tu_read(const char *name, size_t *len);
void tu_write(const char *name, const void *data, size_t len);

/* err is "<absolute path of name>: <reason>", as the loaders write it. */
void tu_expect_file_error(const char *err, const char *name, const char *reason);

/* "AB:CD:EF" -> "ABCDEF" in place; also upper-cases. */
char *tu_strip_colons(char *s);

#endif
