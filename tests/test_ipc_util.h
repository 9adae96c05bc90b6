/* Helpers shared by the IPC tests (tests/test_ipc*.c). */
#ifndef NDES_TEST_IPC_UTIL_H
#define NDES_TEST_IPC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"
#include "lib/tmpdir.h"

struct event_base;

/* A fresh directory under /tmp, mode 0711 (reachable by other uids);
 * tmpdir_remove() removes it. */
char *ipc_test_tmpdir(void);
/* dir "/" name, allocated. */
char *ipc_test_path(const char *dir, const char *name);

/* Run the loop for ms milliseconds. */
void ipc_test_pump(struct event_base *base, int ms);
/* Run the loop until *flag is true or ms pass; returns *flag. */
bool ipc_test_pump_until(struct event_base *base, const bool *flag, int ms);
/* Run the loop until fd is readable (data or EOF) or ms pass. */
bool ipc_test_pump_until_readable(struct event_base *base, int fd, int ms);
/* Run the loop until child pid exits (or ms pass: then it is killed);
 * returns its exit status, or -1 if it did not exit normally. */
int ipc_test_pump_until_exit(struct event_base *base, pid_t pid, int ms);

/* Connect a raw blocking socket to path; -1 on failure. */
int ipc_test_connect_raw(const char *path);
/* Read one whole frame from a blocking or non-blocking fd within ms. */
struct ndes_ipc_frame *ipc_test_read_frame(int fd, int ms);
/* Write a message's frame fully (blocking). */
void ipc_test_send_msg(int fd, const struct ndes_ipc_msg *msg);

/* Send fd 2 to a temporary file until ipc_test_stderr_end(), which
 * restores it and returns what was written (allocated). */
void ipc_test_stderr_begin(void);
char *ipc_test_stderr_end(void);

/* Fork a child running an IPC echo server on path (see test_ipc_util.c):
 * PING -> PONG with the same fields, VERIFY_REQUEST -> never answered,
 * others -> ERROR UNSUPPORTED.  Returns once it listens. */
pid_t ipc_test_spawn_echo_server(const char *path);
void ipc_test_kill(pid_t pid);

/* Echo dispatch used by the spawned server and in-process tests: PING ->
 * PONG copying every field, VERIFY_REQUEST -> ignored, NOTIFY -> returns -1
 * (malformed), others -> ERROR UNSUPPORTED. */
struct ndes_ipc_peer;
int ipc_test_echo_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg);

#endif
