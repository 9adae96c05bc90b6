/* IPC message type numbers: the single list every process agrees on.
 *
 * Only numbers and names live here; each message's field layout belongs to
 * the daemons that exchange it (documented next to their dispatch code).
 * Ranges: 0x00xx generic, 0x01xx policy module <-> ndes-crpd,
 * 0x02xx ndes-crpd <-> ndes-connectord.  Numbers are a wire contract:
 * never renumber, only append. */
#ifndef NDES_IPC_TYPES_H
#define NDES_IPC_TYPES_H

#include <stdint.h>

/* X(name, number) */
#define NDES_IPC_TYPE_LIST(X)                                                   \
	X(ERROR, 0x0001)                  /* any reply: u32 code, str message */ \
	X(PING, 0x0002)                   /* liveness check, any direction */    \
	X(PONG, 0x0003)                   /* reply to PING */                    \
	X(HELLO, 0x0004)                  /* client -> server: who it is */      \
	X(HELLO_REPLY, 0x0005)            /* server -> client: who it is */      \
	X(STATUS, 0x0006)                 /* any -> daemon: pid, start, version */ \
	X(STATUS_REPLY, 0x0007)           /* reply to STATUS */                  \
	X(VERIFY_REQUEST, 0x0101)         /* policy module -> crpd */            \
	X(VERIFY_REPLY, 0x0102)           /* crpd -> policy module */            \
	X(NOTIFY, 0x0103)                 /* policy module -> crpd */            \
	X(NOTIFY_REPLY, 0x0104)           /* crpd -> policy module */            \
	X(CONNECTOR_NOTIFICATION, 0x0201) /* crpd -> connector */                \
	X(CONNECTOR_ACK, 0x0202)          /* connector -> crpd */                \
	X(RELOAD, 0x0203)                 /* connector -> crpd: reload certs */  \
	X(RELOAD_REPLY, 0x0204)           /* crpd -> connector */

enum ndes_ipc_type {
#define NDES_IPC_TYPE_ENUM(name, num) NDES_IPC_MSG_##name = num,
	NDES_IPC_TYPE_LIST(NDES_IPC_TYPE_ENUM)
#undef NDES_IPC_TYPE_ENUM
};

/* Codes carried by an ERROR message (project-level, not diagnostic codes). */
enum ndes_ipc_error_code {
	NDES_IPC_ERR_UNSUPPORTED = 1, /* this peer does not handle that message type */
	NDES_IPC_ERR_BAD_REQUEST = 2, /* fields well-formed but values refused */
	NDES_IPC_ERR_INTERNAL = 3,    /* the peer failed; the request may be retried */
	NDES_IPC_ERR_UNAVAILABLE = 4, /* busy or shutting down: retry later */
	NDES_IPC_ERR_NOT_ALLOWED = 5, /* the socket's ACL refused this peer (id 0) */
};

/* "VERIFY_REQUEST" etc., or NULL for a number not in the list. */
const char *ndes_ipc_type_name(uint16_t type);

#endif
