/* IPC wire format: frames, typed message builders and readers.
 *
 * Pure code over bytes (no sockets, no libevent, no logging, no global
 * state): usable from the daemons, from the policy module inside another
 * program, and from the fuzzer.  docs/ipc.md is the full specification.
 *
 * A frame is a 16-byte header followed by the payload, integers big-endian:
 *   magic u32 (0x4E444553 "NDES") | version u16 | type u16 |
 *   request_id u32 | payload_len u32
 * The payload is a sequence of typed fields: a tag byte, then
 *   U32: 4 bytes   U64: 8 bytes   I64: 8 bytes (two's complement)
 *   BOOL: 1 byte (0 or 1)
 *   STR: u32 length, that many bytes of UTF-8 without NUL, then one 0x00
 *   BYTES: u32 length, that many bytes
 * payload_len is at most NDES_IPC_MAX_PAYLOAD. */
#ifndef NDES_IPC_H
#define NDES_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc_types.h"

#define NDES_IPC_MAGIC 0x4E444553u /* "NDES" */
#define NDES_IPC_VERSION 1
#define NDES_IPC_HEADER_LEN 16
#define NDES_IPC_MAX_PAYLOAD (256u * 1024u)
#define NDES_IPC_MAX_FRAME (NDES_IPC_HEADER_LEN + NDES_IPC_MAX_PAYLOAD)

enum ndes_ipc_field {
	NDES_IPC_F_U32 = 1,
	NDES_IPC_F_U64 = 2,
	NDES_IPC_F_I64 = 3,
	NDES_IPC_F_STR = 4,
	NDES_IPC_F_BYTES = 5,
	NDES_IPC_F_BOOL = 6,
};

struct ndes_ipc_header {
	uint16_t version;
	uint16_t type;
	uint32_t request_id;
	uint32_t payload_len;
};

/* ---- Frame parsing ------------------------------------------------------ */

enum ndes_ipc_parse_result {
	NDES_IPC_PARSE_OK = 0,
	NDES_IPC_PARSE_NEED_MORE = 1,
	NDES_IPC_PARSE_BAD_MAGIC = -1,
	NDES_IPC_PARSE_BAD_VERSION = -2,
	NDES_IPC_PARSE_TOO_LARGE = -3,
};

/* Look at the bytes received so far (buf, len; buf may be NULL if len is 0).
 * Never reads past len, never allocates.
 *   OK: buf starts with one whole frame of *frame_len bytes, *hdr filled.
 *   NEED_MORE: no error yet; *frame_len is the number of bytes needed
 *     before calling again (NDES_IPC_HEADER_LEN while the header is
 *     incomplete, header + payload once it is known).
 *   BAD_MAGIC / BAD_VERSION: decided as soon as the bytes concerned are in
 *     (a wrong first byte is refused at once).
 *   TOO_LARGE: payload_len > NDES_IPC_MAX_PAYLOAD, decided from the header
 *     alone, before any payload arrives.
 * *hdr holds every header field lying inside buf (others zero); *frame_len
 * is 0 on errors.  hdr and frame_len must not be NULL. */
enum ndes_ipc_parse_result ndes_ipc_frame_parse(const uint8_t *buf, size_t len,
    struct ndes_ipc_header *hdr, size_t *frame_len);
/* "ok", "need more bytes", "bad magic", "unsupported protocol version",
 * "frame too large". */
const char *ndes_ipc_parse_result_str(enum ndes_ipc_parse_result res);
/* Write magic + hdr into out (hdr->version as given: tests craft bad ones). */
void ndes_ipc_header_encode(const struct ndes_ipc_header *hdr, uint8_t out[NDES_IPC_HEADER_LEN]);

/* True if s[0..len) may be sent as a STR field: valid UTF-8 (no overlongs,
 * no surrogates, <= U+10FFFF) without NUL bytes. */
bool ndes_ipc_str_valid(const char *s, size_t len);

/* ---- Building messages -------------------------------------------------- */

struct ndes_ipc_msg;

/* A message of that type and request id, version NDES_IPC_VERSION, no
 * fields yet.  NULL only on allocation failure. */
struct ndes_ipc_msg *ndes_ipc_msg_new(uint16_t type, uint32_t request_id);
void ndes_ipc_msg_free(struct ndes_ipc_msg *msg);
uint16_t ndes_ipc_msg_type(const struct ndes_ipc_msg *msg);
uint32_t ndes_ipc_msg_request_id(const struct ndes_ipc_msg *msg);
void ndes_ipc_msg_set_request_id(struct ndes_ipc_msg *msg, uint32_t request_id);

/* Append one field: 0, or -1 if msg is NULL, the field would take the
 * payload past NDES_IPC_MAX_PAYLOAD, a string is NULL or not valid for STR,
 * or memory ran out.  A failed add marks the message failed: every later
 * add fails too and ndes_ipc_msg_frame() returns NULL, so a caller may chain
 * adds and check once before sending. */
int ndes_ipc_msg_add_u32(struct ndes_ipc_msg *msg, uint32_t v);
int ndes_ipc_msg_add_u64(struct ndes_ipc_msg *msg, uint64_t v);
int ndes_ipc_msg_add_i64(struct ndes_ipc_msg *msg, int64_t v);
int ndes_ipc_msg_add_bool(struct ndes_ipc_msg *msg, bool v);
int ndes_ipc_msg_add_str(struct ndes_ipc_msg *msg, const char *s);
int ndes_ipc_msg_add_bytes(struct ndes_ipc_msg *msg, const void *p, size_t len);
bool ndes_ipc_msg_failed(const struct ndes_ipc_msg *msg);
/* Payload bytes so far (without the header). */
size_t ndes_ipc_msg_payload_len(const struct ndes_ipc_msg *msg);

/* The encoded frame (header + payload), valid until the next add or free;
 * NULL if msg is NULL or failed. */
const uint8_t *ndes_ipc_msg_frame(const struct ndes_ipc_msg *msg, size_t *len);

/* ERROR message: u32 code, str message (NULL message sends ""). NULL if the
 * message is not valid UTF-8 or too long. */
struct ndes_ipc_msg *ndes_ipc_msg_new_error(uint32_t request_id, uint32_t code,
    const char *message);

/* HELLO and HELLO_REPLY: str role, str version (PACKAGE_VERSION of the
 * sender).  A client says who it is right after connecting; the server
 * answers with who it is.  role: 1 to NDES_IPC_ROLE_MAX bytes of a-z, 0-9
 * and '-'; version: 1 to NDES_IPC_VERSION_MAX printable ASCII bytes. */
#define NDES_IPC_ROLE_CRPD		"crpd"		/* ndes-crpd */
#define NDES_IPC_ROLE_CLI		"cli"		/* ndes-connector (diagnose) */
#define NDES_IPC_ROLE_CONNECTORD	"connectord"	/* ndes-connectord */
#define NDES_IPC_ROLE_MAX		32
#define NDES_IPC_VERSION_MAX		64
/* type: NDES_IPC_MSG_HELLO or NDES_IPC_MSG_HELLO_REPLY.  NULL for a role
 * the rules above refuse. */
struct ndes_ipc_msg *ndes_ipc_msg_new_hello(uint16_t type, uint32_t request_id,
    const char *role);

/* STATUS (no fields) -> STATUS_REPLY: u32 pid, i64 started (when the
 * answering program started, seconds since the epoch), str version
 * (PACKAGE_VERSION).  Every server built on the peer layer answers it
 * (ndes_ipc_peer_answer_default()); an older one answers ERROR UNSUPPORTED.
 * NULL out of memory. */
struct ndes_ipc_msg *ndes_ipc_msg_new_status_reply(uint32_t request_id);
/* A daemon that keeps current errors (ndes-crpd) answers STATUS with them
 * after the version: U32 count (0 to NDES_IPC_STATUS_ERRORS_MAX), then per
 * error STR activity (a name as HELLO's role), I64 since (the first failure
 * of this run of failures), I64 last (the latest; since <= last, both > 0),
 * STR message (at most NDES_IPC_STATUS_MESSAGE_MAX bytes).  NULL when n or
 * an error breaks these rules, or out of memory. */
#define NDES_IPC_STATUS_ERRORS_MAX	16
#define NDES_IPC_STATUS_MESSAGE_MAX	512
struct ndes_ipc_status_error {
	const char	*activity;
	int64_t		 since;
	int64_t		 last;
	const char	*message;
};
struct ndes_ipc_msg *ndes_ipc_msg_new_status_reply_errors(uint32_t request_id,
    const struct ndes_ipc_status_error *errors, size_t n);

/* ---- Reading messages --------------------------------------------------- */

/* A cursor over one received payload; plain struct, put it on the stack.
 * Zero-copy: pointers handed out by get_str/get_bytes point into the
 * payload and are valid only while that payload lives (inside a dispatch
 * call, or until ndes_ipc_frame_free()).  Copy what you keep.
 *
 * Sticky, like the builder: the readers the peer layer hands a dispatch
 * function and ndes_ipc_frame_reader() starts (ndes_ipc_reader_init_sticky)
 * remember their first failed get; every later get fails too and
 * ndes_ipc_reader_end() reports it.  A parser reads all its fields and checks
 * once:
 *	ndes_ipc_get_str(r, &id, NULL);
 *	ndes_ipc_get_u32(r, &code);
 *	if (ndes_ipc_reader_end(r) == -1)
 *		return -1;	(outputs of failed gets are untouched: initialise them)
 * A reader started by ndes_ipc_reader_init() is not sticky: each get stands
 * alone and a failed one lets the caller try another type. */
struct ndes_ipc_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool sticky;
	bool failed;	/* a get failed (sticky readers only) */
};

void ndes_ipc_reader_init(struct ndes_ipc_reader *r, const uint8_t *payload, size_t len);
void ndes_ipc_reader_init_sticky(struct ndes_ipc_reader *r, const uint8_t *payload, size_t len);
/* Tag of the next field (enum ndes_ipc_field, or any other byte found), or
 * 0 when every field has been read. */
int ndes_ipc_reader_peek(const struct ndes_ipc_reader *r);
/* 0 if every field was read (and, sticky, no get failed), else -1: a
 * malformed message. */
int ndes_ipc_reader_end(const struct ndes_ipc_reader *r);
/* True once a get on a sticky reader failed. */
bool ndes_ipc_reader_failed(const struct ndes_ipc_reader *r);

/* Read the next field: 0, or -1 if it has another tag, is truncated or its
 * value is invalid (BOOL not 0/1, STR not UTF-8, NUL inside, terminator
 * missing), or the sticky reader failed before.  On -1 nothing is consumed
 * and the outputs are untouched. */
int ndes_ipc_get_u32(struct ndes_ipc_reader *r, uint32_t *v);
int ndes_ipc_get_u64(struct ndes_ipc_reader *r, uint64_t *v);
int ndes_ipc_get_i64(struct ndes_ipc_reader *r, int64_t *v);
int ndes_ipc_get_bool(struct ndes_ipc_reader *r, bool *v);
/* *s is NUL-terminated (the wire carries the terminator); len may be NULL. */
int ndes_ipc_get_str(struct ndes_ipc_reader *r, const char **s, size_t *len);
/* *p is NULL when len is 0. */
int ndes_ipc_get_bytes(struct ndes_ipc_reader *r, const uint8_t **p, size_t *len);
/* A whole payload of u32 status, str message, nothing after: RELOAD_REPLY.
 * -1 (nothing consumed) otherwise. */
int ndes_ipc_get_status_message(struct ndes_ipc_reader *r, uint32_t *status,
    const char **message);
/* A whole ERROR payload: u32 code, str message, nothing after. */
int ndes_ipc_get_error(struct ndes_ipc_reader *r, uint32_t *code, const char **message);
/* A whole HELLO or HELLO_REPLY payload: role and version as the rules above
 * say, nothing after.  -1 (nothing consumed) otherwise. */
int ndes_ipc_get_hello(struct ndes_ipc_reader *r, const char **role, const char **version);
/* A whole STATUS_REPLY payload as above, version as HELLO's rules say,
 * then the errors when a U32 follows (has_errors; an older sender or one
 * without errors of its own stops after the version), nothing after.  -1
 * (nothing consumed) otherwise: more than NDES_IPC_STATUS_ERRORS_MAX errors,
 * one that breaks the rules above, a truncated one, trailing fields. */
struct ndes_ipc_status {
	uint32_t	 pid;
	int64_t		 started;
	const char	*version;
	bool		 has_errors;
	size_t		 nerrors;
	struct ndes_ipc_status_error errors[NDES_IPC_STATUS_ERRORS_MAX];
};
int ndes_ipc_get_status_reply(struct ndes_ipc_reader *r, struct ndes_ipc_status *st);

/* ---- Owned frames ------------------------------------------------------- */

/* A received frame that outlives its buffer: replies of the blocking client,
 * or a copy a dispatcher takes to hand a request to another thread
 * (ndes_ipc_frame_new(hdr, r->p, r->len)). */
struct ndes_ipc_frame;

/* Copy of hdr (payload_len set to len) and payload; NULL if len is over the
 * limit or memory ran out. */
struct ndes_ipc_frame *ndes_ipc_frame_new(const struct ndes_ipc_header *hdr,
    const uint8_t *payload, size_t len);
void ndes_ipc_frame_free(struct ndes_ipc_frame *frame);
const struct ndes_ipc_header *ndes_ipc_frame_header(const struct ndes_ipc_frame *frame);
uint16_t ndes_ipc_frame_type(const struct ndes_ipc_frame *frame);
/* Start a (sticky) reader over the frame's payload. */
void ndes_ipc_frame_reader(const struct ndes_ipc_frame *frame, struct ndes_ipc_reader *r);

#endif
