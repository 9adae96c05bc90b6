/* Helpers for the connector's unit tests: a temporary folder per test, a
 * real CA folder made with the openssl command, shell commands. */
#ifndef NDES_TEST_CONNECTOR_UTIL_H
#define NDES_TEST_CONNECTOR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "lib/workdir.h"

/* .init: workdir_enter("ndes-conn"); .fini: workdir_leave (lib/workdir.h). */
void tc_setup(void);
/* Run a shell command (printf format) in the test's folder; its status. */
int tc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The whole file, NUL-terminated; NULL when missing. */
char *tc_read(const char *path);
/* A CA folder "name": ca.pem (CN=<name>, valid days), ca.key (rsa-2048;
 * encrypted with 3DES when pass != NULL), index.txt empty, serial "01". */
void tc_make_ca(const char *name, int days, const char *pass);

struct conn_ca;
struct conn_ca_profile;
/* The CA folder backend on folder "ca01" (CRLs of 7 days, may revoke). */
struct conn_ca *tc_open_ca(const char *folder, const char *pass);
/* tc_make_ca() then tc_open_ca(): a new CA folder, open. */
struct conn_ca *tc_new_ca(const char *name, int days, const char *pass);
/* A profile for subject (RFC 4514) with those validities (seconds), the
 * requested one honoured when shorter; free p->subject. */
void tc_profile(struct conn_ca_profile *p, const char *subject, int64_t template_s,
    int64_t req_s);

#endif
