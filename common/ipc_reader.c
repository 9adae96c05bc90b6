/* IPC message reader (OpenSMTPD m_get_* style) and owned frames.  Every
 * getter checks the tag and the remaining length before touching a byte;
 * a sticky reader fails every get after its first failure (ipc.h). */
#include "ipc.h"

#include <stdlib.h>
#include <string.h>

#include "ipc_int.h"

void
ndes_ipc_reader_init(struct ndes_ipc_reader *r, const uint8_t *payload, size_t len)
{
	r->p = payload;
	r->len = payload == NULL ? 0 : len;
	r->off = 0;
	r->sticky = false;
	r->failed = false;
}

void
ndes_ipc_reader_init_sticky(struct ndes_ipc_reader *r, const uint8_t *payload, size_t len)
{
	ndes_ipc_reader_init(r, payload, len);
	r->sticky = true;
}

bool
ndes_ipc_reader_failed(const struct ndes_ipc_reader *r)
{
	return r->failed;
}

/* A get failed: -1, remembered by a sticky reader. */
static int
reader_fail(struct ndes_ipc_reader *r)
{
	if (r->sticky)
		r->failed = true;
	return -1;
}

int
ndes_ipc_reader_peek(const struct ndes_ipc_reader *r)
{
	return r->off < r->len ? r->p[r->off] : 0;
}

int
ndes_ipc_reader_end(const struct ndes_ipc_reader *r)
{
	return r->off == r->len && !r->failed ? 0 : -1;
}

/* The n value bytes of a fixed-size field with that tag, consumed; NULL if
 * the next field is something else or truncated. */
static const uint8_t *
take_fixed(struct ndes_ipc_reader *r, uint8_t tag, size_t n)
{
	const uint8_t *p;

	if (r->failed || r->off >= r->len || r->p[r->off] != tag || r->len - r->off - 1 < n)
		return NULL;
	p = r->p + r->off + 1;
	r->off += 1 + n;
	return p;
}

/* A length-prefixed field: its data and length, followed by `extra` bytes
 * that the caller checks.  Not consumed: *next is the offset after it. */
static const uint8_t *
peek_var(const struct ndes_ipc_reader *r, uint8_t tag, size_t extra, size_t *len,
    size_t *next)
{
	size_t left, n;

	if (r->failed || r->off >= r->len || r->p[r->off] != tag)
		return NULL;
	left = r->len - r->off - 1;
	if (left < 4)
		return NULL;
	n = ndes_ipc_get32(r->p + r->off + 1);
	if (left - 4 < n || left - 4 - n < extra)
		return NULL;
	*len = n;
	*next = r->off + 1 + 4 + n + extra;
	return r->p + r->off + 5;
}

int
ndes_ipc_get_u32(struct ndes_ipc_reader *r, uint32_t *v)
{
	const uint8_t *p;

	if ((p = take_fixed(r, NDES_IPC_F_U32, 4)) == NULL)
		return reader_fail(r);
	*v = ndes_ipc_get32(p);
	return 0;
}

int
ndes_ipc_get_u64(struct ndes_ipc_reader *r, uint64_t *v)
{
	const uint8_t *p;

	if ((p = take_fixed(r, NDES_IPC_F_U64, 8)) == NULL)
		return reader_fail(r);
	*v = ndes_ipc_get64(p);
	return 0;
}

int
ndes_ipc_get_i64(struct ndes_ipc_reader *r, int64_t *v)
{
	const uint8_t *p;

	if ((p = take_fixed(r, NDES_IPC_F_I64, 8)) == NULL)
		return reader_fail(r);
	*v = (int64_t)ndes_ipc_get64(p);
	return 0;
}

int
ndes_ipc_get_bool(struct ndes_ipc_reader *r, bool *v)
{
	if (r->failed || r->off >= r->len || r->len - r->off < 2 ||
	    r->p[r->off] != NDES_IPC_F_BOOL || r->p[r->off + 1] > 1)
		return reader_fail(r);
	*v = r->p[r->off + 1] == 1;
	r->off += 2;
	return 0;
}

int
ndes_ipc_get_str(struct ndes_ipc_reader *r, const char **s, size_t *len)
{
	const uint8_t *p;
	size_t n, next;

	if ((p = peek_var(r, NDES_IPC_F_STR, 1, &n, &next)) == NULL ||
	    p[n] != 0 || !ndes_ipc_str_valid((const char *)p, n))
		return reader_fail(r);
	*s = (const char *)p;
	if (len != NULL)
		*len = n;
	r->off = next;
	return 0;
}

int
ndes_ipc_get_bytes(struct ndes_ipc_reader *r, const uint8_t **p, size_t *len)
{
	const uint8_t *data;
	size_t n, next;

	if ((data = peek_var(r, NDES_IPC_F_BYTES, 0, &n, &next)) == NULL)
		return reader_fail(r);
	*p = n > 0 ? data : NULL;
	*len = n;
	r->off = next;
	return 0;
}

int
ndes_ipc_get_status_message(struct ndes_ipc_reader *r, uint32_t *status, const char **message)
{
	struct ndes_ipc_reader save = *r;
	uint32_t c;
	const char *m;

	if (ndes_ipc_get_u32(r, &c) == -1 || ndes_ipc_get_str(r, &m, NULL) == -1 ||
	    ndes_ipc_reader_end(r) == -1) {
		*r = save;
		return reader_fail(r);
	}
	*status = c;
	*message = m;
	return 0;
}

int
ndes_ipc_get_error(struct ndes_ipc_reader *r, uint32_t *code, const char **message)
{
	return ndes_ipc_get_status_message(r, code, message);
}

struct ndes_ipc_frame *
ndes_ipc_frame_alloc(const struct ndes_ipc_header *hdr)
{
	struct ndes_ipc_frame *frame;

	if (hdr->payload_len > NDES_IPC_MAX_PAYLOAD)
		return NULL;
	if ((frame = malloc(sizeof(*frame) + hdr->payload_len + 1)) == NULL)
		return NULL;
	frame->hdr = *hdr;
	return frame;
}

struct ndes_ipc_frame *
ndes_ipc_frame_new(const struct ndes_ipc_header *hdr, const uint8_t *payload, size_t len)
{
	struct ndes_ipc_header h = *hdr;
	struct ndes_ipc_frame *frame;

	if (len > NDES_IPC_MAX_PAYLOAD || (payload == NULL && len > 0))
		return NULL;
	h.payload_len = (uint32_t)len;
	if ((frame = ndes_ipc_frame_alloc(&h)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(frame->payload, payload, len);
	return frame;
}

void
ndes_ipc_frame_free(struct ndes_ipc_frame *frame)
{
	free(frame);
}

const struct ndes_ipc_header *
ndes_ipc_frame_header(const struct ndes_ipc_frame *frame)
{
	return &frame->hdr;
}

uint16_t
ndes_ipc_frame_type(const struct ndes_ipc_frame *frame)
{
	return frame->hdr.type;
}

void
ndes_ipc_frame_reader(const struct ndes_ipc_frame *frame, struct ndes_ipc_reader *r)
{
	ndes_ipc_reader_init_sticky(r, frame->payload, frame->hdr.payload_len);
}
