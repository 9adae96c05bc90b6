/* IPC message builder (OpenSMTPD m_add_* style): typed fields appended to
 * a growing frame, header kept current, hard payload limit. */
#include "ipc.h"

#include <stdlib.h>
#include <string.h>

#include "ipc_int.h"

#define MSG_INITIAL_CAP 256

struct ndes_ipc_msg {
	uint8_t *buf; /* header + payload */
	size_t len;
	size_t cap;
	uint16_t type;
	uint32_t request_id;
	bool failed;
};

struct ndes_ipc_msg *
ndes_ipc_msg_new(uint16_t type, uint32_t request_id)
{
	struct ndes_ipc_msg *msg;
	struct ndes_ipc_header hdr = { NDES_IPC_VERSION, type, request_id, 0 };

	if ((msg = calloc(1, sizeof(*msg))) == NULL)
		return NULL;
	if ((msg->buf = malloc(MSG_INITIAL_CAP)) == NULL) {
		free(msg);
		return NULL;
	}
	msg->cap = MSG_INITIAL_CAP;
	msg->len = NDES_IPC_HEADER_LEN;
	msg->type = type;
	msg->request_id = request_id;
	ndes_ipc_header_encode(&hdr, msg->buf);
	return msg;
}

void
ndes_ipc_msg_free(struct ndes_ipc_msg *msg)
{
	if (msg == NULL)
		return;
	free(msg->buf);
	free(msg);
}

uint16_t
ndes_ipc_msg_type(const struct ndes_ipc_msg *msg)
{
	return msg->type;
}

uint32_t
ndes_ipc_msg_request_id(const struct ndes_ipc_msg *msg)
{
	return msg->request_id;
}

void
ndes_ipc_msg_set_request_id(struct ndes_ipc_msg *msg, uint32_t request_id)
{
	msg->request_id = request_id;
	ndes_ipc_put32(msg->buf + 8, request_id);
}

bool
ndes_ipc_msg_failed(const struct ndes_ipc_msg *msg)
{
	return msg == NULL || msg->failed;
}

size_t
ndes_ipc_msg_payload_len(const struct ndes_ipc_msg *msg)
{
	return msg == NULL ? 0 : msg->len - NDES_IPC_HEADER_LEN;
}

const uint8_t *
ndes_ipc_msg_frame(const struct ndes_ipc_msg *msg, size_t *len)
{
	if (msg == NULL || msg->failed)
		return NULL;
	*len = msg->len;
	return msg->buf;
}

/* Room for a field of n bytes (tag included): a pointer to write it at, the
 * header's payload_len already counting it; NULL marks the message failed. */
static uint8_t *
msg_room(struct ndes_ipc_msg *msg, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (msg == NULL)
		return NULL;
	if (msg->failed || n > NDES_IPC_MAX_FRAME - msg->len)
		goto fail;
	if (msg->len + n > msg->cap) {
		cap = msg->cap;
		while (cap < msg->len + n)
			cap *= 2;
		if ((p = realloc(msg->buf, cap)) == NULL)
			goto fail;
		msg->buf = p;
		msg->cap = cap;
	}
	p = msg->buf + msg->len;
	msg->len += n;
	ndes_ipc_put32(msg->buf + 12, (uint32_t)(msg->len - NDES_IPC_HEADER_LEN));
	return p;
fail:
	msg->failed = true;
	return NULL;
}

int
ndes_ipc_msg_add_u32(struct ndes_ipc_msg *msg, uint32_t v)
{
	uint8_t *p;

	if ((p = msg_room(msg, 1 + 4)) == NULL)
		return -1;
	p[0] = NDES_IPC_F_U32;
	ndes_ipc_put32(p + 1, v);
	return 0;
}

static int
msg_add_64(struct ndes_ipc_msg *msg, uint8_t tag, uint64_t v)
{
	uint8_t *p;

	if ((p = msg_room(msg, 1 + 8)) == NULL)
		return -1;
	p[0] = tag;
	ndes_ipc_put64(p + 1, v);
	return 0;
}

int
ndes_ipc_msg_add_u64(struct ndes_ipc_msg *msg, uint64_t v)
{
	return msg_add_64(msg, NDES_IPC_F_U64, v);
}

int
ndes_ipc_msg_add_i64(struct ndes_ipc_msg *msg, int64_t v)
{
	return msg_add_64(msg, NDES_IPC_F_I64, (uint64_t)v);
}

int
ndes_ipc_msg_add_bool(struct ndes_ipc_msg *msg, bool v)
{
	uint8_t *p;

	if ((p = msg_room(msg, 1 + 1)) == NULL)
		return -1;
	p[0] = NDES_IPC_F_BOOL;
	p[1] = v ? 1 : 0;
	return 0;
}

/* tag, u32 len, data, then `terminator` extra zero bytes (0 or 1). */
static int
msg_add_var(struct ndes_ipc_msg *msg, uint8_t tag, const void *data, size_t len,
    size_t terminator)
{
	uint8_t *p;

	if (len > NDES_IPC_MAX_PAYLOAD) {
		if (msg != NULL)
			msg->failed = true;
		return -1;
	}
	if ((p = msg_room(msg, 1 + 4 + len + terminator)) == NULL)
		return -1;
	p[0] = tag;
	ndes_ipc_put32(p + 1, (uint32_t)len);
	if (len > 0)
		memcpy(p + 5, data, len);
	if (terminator)
		p[5 + len] = 0;
	return 0;
}

int
ndes_ipc_msg_add_str(struct ndes_ipc_msg *msg, const char *s)
{
	size_t len;

	if (s == NULL || !ndes_ipc_str_valid(s, (len = strlen(s)))) {
		if (msg != NULL)
			msg->failed = true;
		return -1;
	}
	return msg_add_var(msg, NDES_IPC_F_STR, s, len, 1);
}

int
ndes_ipc_msg_add_bytes(struct ndes_ipc_msg *msg, const void *p, size_t len)
{
	if (p == NULL && len > 0) {
		if (msg != NULL)
			msg->failed = true;
		return -1;
	}
	return msg_add_var(msg, NDES_IPC_F_BYTES, p, len, 0);
}

struct ndes_ipc_msg *
ndes_ipc_msg_new_error(uint32_t request_id, uint32_t code, const char *message)
{
	struct ndes_ipc_msg *msg;

	if ((msg = ndes_ipc_msg_new(NDES_IPC_MSG_ERROR, request_id)) == NULL)
		return NULL;
	ndes_ipc_msg_add_u32(msg, code);
	ndes_ipc_msg_add_str(msg, message != NULL ? message : "");
	if (msg->failed) {
		ndes_ipc_msg_free(msg);
		return NULL;
	}
	return msg;
}
