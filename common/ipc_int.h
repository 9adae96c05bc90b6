/* Internal to the IPC module (common/ipc*.c and its tests): byte order
 * helpers, the owned frame layout, and blocking I/O with deadlines. */
#ifndef NDES_IPC_INT_H
#define NDES_IPC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

static inline void
ndes_ipc_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
ndes_ipc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
ndes_ipc_put64(uint8_t *p, uint64_t v)
{
	ndes_ipc_put32(p, (uint32_t)(v >> 32));
	ndes_ipc_put32(p + 4, (uint32_t)v);
}

static inline uint16_t
ndes_ipc_get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
ndes_ipc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
ndes_ipc_get64(const uint8_t *p)
{
	return (uint64_t)ndes_ipc_get32(p) << 32 | ndes_ipc_get32(p + 4);
}

struct ndes_ipc_frame {
	struct ndes_ipc_header hdr;
	uint8_t payload[];
};

/* A frame with room for hdr->payload_len bytes, payload uninitialised. */
struct ndes_ipc_frame *ndes_ipc_frame_alloc(const struct ndes_ipc_header *hdr);

/* Deadlines are CLOCK_MONOTONIC nanoseconds; -1 means none. */
int64_t ndes_ipc_deadline(int timeout_ms);
/* Milliseconds left for poll(): -1 without deadline, 0 once passed. */
int ndes_ipc_remaining_ms(int64_t deadline);

/* Blocking I/O on a non-blocking socket, bounded by deadline, restarting
 * on EINTR and partial transfers.  0, or -1 with errno: ETIMEDOUT,
 * ECONNRESET (read: end of stream before len bytes), or the socket's error.
 * Writes use MSG_NOSIGNAL: a closed peer gives EPIPE, never SIGPIPE. */
int ndes_ipc_io_write_all(int fd, const void *buf, size_t len, int64_t deadline);
int ndes_ipc_io_read_exact(int fd, void *buf, size_t len, int64_t deadline);

/* Non-blocking CLOEXEC socket connected to the Unix socket at path, or -1
 * with errno (ENAMETOOLONG, connect(2)'s errors; ETIMEDOUT if the listen
 * backlog stayed full until the deadline). */
int ndes_ipc_io_connect(const char *path, int64_t deadline);
/* Fill a sockaddr_un for path; -1 (ENAMETOOLONG/EINVAL) if it won't fit. */
struct sockaddr_un;
int ndes_ipc_io_sockaddr(struct sockaddr_un *sun, const char *path);

#endif
