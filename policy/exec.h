/* ndes-policy-exec: the policy module for SCEP servers with an exec hook
 * (micromdm scepserver -csrverifierexec).  docs/policy.md.
 *
 *   verify mode (exec_verify.c): DER PKCS#10 on stdin -> exit 0 allowed,
 *     1 refused (one line on stderr), 2 usage or configuration error;
 *   watch-depot (exec_watch.c, exec_depot.c, exec_state.c): follows
 *     micromdm's depot folder and notifies ndes-crpd of each certificate
 *     it issues. */
#ifndef NDES_POLICY_EXEC_H
#define NDES_POLICY_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_int.h"

#define EXEC_NAME "ndes-policy-exec"

/* Exit statuses. */
#define EXEC_ALLOWED 0
#define EXEC_REFUSED 1
#define EXEC_USAGE 2

/* ---- Logging (exec_log.c): stderr ("ndes-policy-exec: ..."), and a copy
 * to journald (SYSLOG_IDENTIFIER=ndes-policy-exec) when enabled and a
 * journal socket exists.  LOG_DEBUG lines only when verbose.  fields:
 * "NDES_X=value" strings, NULL-terminated, may be NULL. */
void exec_log_init(bool journal, bool verbose);
void exec_log(int priority, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A ndes_policy_log_fn sending the module's diagnostics to exec_log. */
void exec_log_module(void *arg, int level, const char *message);

/* ---- Verify mode (exec_verify.c) ----------------------------------------- */

int exec_verify_main(const struct policy_cfg *cfg);
/* Read all of fd within timeout_ms, at most max bytes.  0 with *buf
 * (malloc'd) and *len, or -1 with err ("no request on stdin", "request
 * larger than N bytes", "timed out reading the request after N ms", ...). */
int exec_read_all(int fd, size_t max, int timeout_ms, uint8_t **buf, size_t *len, char *err,
    size_t errlen);

/* exec_keyid.c: the SHA-256 (upper-case hex) of the request's public key,
 * with libcrypto loaded only now; for a request ndes-crpd did not answer
 * (it names the others).  0, or -1. */
int exec_key_txn(const uint8_t *csr, size_t len, char *hex, size_t hexlen);

/* ---- Depot state (exec_state.c) ------------------------------------------ */

/* What the watcher has handled: certificate files notified (or there at
 * the first start), and serials whose revocation was reported.  Saved as
 * text lines "cert <file>" / "revoked <serial>" in
 * <state_dir>/depot-<hash of the depot's path>.state. */
struct exec_state;

/* Load the state of depot (realpath'd) from state_dir; *fresh is true when
 * there was none yet.  NULL with err on failure. */
struct exec_state *exec_state_open(const char *state_dir, const char *depot, bool *fresh,
    char *err, size_t errlen);
void exec_state_free(struct exec_state *st);
bool exec_state_has(const struct exec_state *st, const char *kind, const char *name);
int exec_state_add(struct exec_state *st, const char *kind, const char *name);
/* Write it out (atomically) if anything was added since the last save. */
int exec_state_save(struct exec_state *st, char *err, size_t errlen);
const char *exec_state_path(const struct exec_state *st);

/* ---- Depot (exec_depot.c) ------------------------------------------------ */

/* True for the names micromdm gives issued certificates: *.pem but ca.pem. */
bool exec_depot_is_cert(const char *name);

struct exec_index_line {
	char status;		/* 'V', 'R', 'E' */
	char *expiry, *revoked, *serial, *file, *subject;
};

/* The complete lines of index.txt (micromdm's `openssl ca` database):
 * status, expiry, revocation date, serial (upper-case hex), file name,
 * subject, tab-separated.  A last line without newline is being written and
 * left for the next read.  A line with a NUL byte, longer than
 * EXEC_INDEX_LINE_MAX, not UTF-8 or without its six fields refuses the
 * whole file: -1, err "PATH:LINE: why". */
#define EXEC_INDEX_LINE_MAX 16384
int exec_index_read(const char *depot, struct exec_index_line **lines, size_t *n,
    char *err, size_t errlen);
void exec_index_free(struct exec_index_line *lines, size_t n);

/* ---- Watcher (exec_watch.c) ---------------------------------------------- */

struct exec_watch_opts {
	const char *depot;
	const char *state_dir;	/* NULL: from the configuration */
	bool once;		/* catch up, then exit */
	int retry_ms;		/* retry pending notifications after this */
};

int exec_watch_main(const struct policy_cfg *cfg, const struct exec_watch_opts *opts);

#endif
