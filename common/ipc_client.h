/* Blocking IPC client for code running inside other programs (the policy
 * module): no libevent, no global state, no signals (MSG_NOSIGNAL), every
 * operation bounded by a timeout (poll()), descriptors CLOEXEC.
 *
 * One handle is one connection.  Calls on a handle are serialised by a
 * mutex, so a handle may be shared between threads; for parallel requests
 * use one handle per thread.  After any failed call (timeout, protocol
 * error, closed connection) the handle is spent: later calls fail at once
 * with ENOTCONN; free it and connect again.
 *
 * Errors: the functions return NULL/-1, set errno (ETIMEDOUT, ECONNRESET
 * when the server closed the connection, EPROTO for a bad reply, EINVAL for
 * a failed request message, or the system call's error) and write a
 * one-line reason into err (errlen bytes, may be NULL/0). */
#ifndef NDES_IPC_CLIENT_H
#define NDES_IPC_CLIENT_H

#include <stddef.h>

#include "ipc.h"

struct ndes_ipc_client;

/* Connect to the Unix socket at path within timeout_ms (< 0: no limit). */
struct ndes_ipc_client *ndes_ipc_client_connect(const char *path, int timeout_ms,
    char *err, size_t errlen);
void ndes_ipc_client_free(struct ndes_ipc_client *client);

/* Send req and wait for the reply with the same request id; timeout_ms
 * bounds the whole call (send + receive; < 0: no limit).  On 0 *reply is
 * the reply frame (possibly of type ERROR: check ndes_ipc_frame_type()),
 * to free with ndes_ipc_frame_free().  A reply with another request id is
 * a protocol error (EPROTO). */
int ndes_ipc_client_call(struct ndes_ipc_client *client, const struct ndes_ipc_msg *req,
    struct ndes_ipc_frame **reply, int timeout_ms, char *err, size_t errlen);

/* A fresh request id for this handle (1, 2, ...; never 0). */
uint32_t ndes_ipc_client_next_id(struct ndes_ipc_client *client);

#endif
