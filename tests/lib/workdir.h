/* A temporary working folder per test for the Criterion tests that make
 * their inputs with the openssl command line (crypto, CSR, connector). */
#ifndef NDES_TEST_WORKDIR_H
#define NDES_TEST_WORKDIR_H

/* Make a fresh folder $TMPDIR/<prefix>-XXXXXX ($TMPDIR unset or empty:
 * /tmp), chdir into it, and set $OPENSSL to "openssl" unless it names
 * another binary. */
void workdir_enter(const char *prefix);
/* chdir("/") and remove the folder. */
void workdir_leave(void);
/* Absolute path of name in the folder (static buffer, 4 rotating). */
const char *workdir_path(const char *name);

#endif
