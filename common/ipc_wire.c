/* IPC frame header: parsing, encoding, names.  Pure functions over bytes. */
#include "ipc.h"

#include <string.h>

#include "ipc_int.h"

static const uint8_t ipc_magic[4] = { 0x4E, 0x44, 0x45, 0x53 }; /* "NDES" */

enum ndes_ipc_parse_result
ndes_ipc_frame_parse(const uint8_t *buf, size_t len, struct ndes_ipc_header *hdr,
    size_t *frame_len)
{
	size_t i;

	memset(hdr, 0, sizeof(*hdr));
	*frame_len = 0;
	for (i = 0; i < len && i < sizeof(ipc_magic); i++)
		if (buf[i] != ipc_magic[i])
			return NDES_IPC_PARSE_BAD_MAGIC;
	if (len >= 6) {
		hdr->version = ndes_ipc_get16(buf + 4);
		if (hdr->version != NDES_IPC_VERSION)
			return NDES_IPC_PARSE_BAD_VERSION;
	}
	if (len < NDES_IPC_HEADER_LEN) {
		if (len >= 8)
			hdr->type = ndes_ipc_get16(buf + 6);
		if (len >= 12)
			hdr->request_id = ndes_ipc_get32(buf + 8);
		*frame_len = NDES_IPC_HEADER_LEN;
		return NDES_IPC_PARSE_NEED_MORE;
	}
	hdr->type = ndes_ipc_get16(buf + 6);
	hdr->request_id = ndes_ipc_get32(buf + 8);
	hdr->payload_len = ndes_ipc_get32(buf + 12);
	if (hdr->payload_len > NDES_IPC_MAX_PAYLOAD)
		return NDES_IPC_PARSE_TOO_LARGE;
	*frame_len = NDES_IPC_HEADER_LEN + (size_t)hdr->payload_len;
	return len >= *frame_len ? NDES_IPC_PARSE_OK : NDES_IPC_PARSE_NEED_MORE;
}

const char *
ndes_ipc_parse_result_str(enum ndes_ipc_parse_result res)
{
	switch (res) {
	case NDES_IPC_PARSE_OK:
		return "ok";
	case NDES_IPC_PARSE_NEED_MORE:
		return "need more bytes";
	case NDES_IPC_PARSE_BAD_MAGIC:
		return "bad magic";
	case NDES_IPC_PARSE_BAD_VERSION:
		return "unsupported protocol version";
	case NDES_IPC_PARSE_TOO_LARGE:
		return "frame too large";
	}
	return "unknown parse result";
}

void
ndes_ipc_header_encode(const struct ndes_ipc_header *hdr, uint8_t out[NDES_IPC_HEADER_LEN])
{
	ndes_ipc_put32(out, NDES_IPC_MAGIC);
	ndes_ipc_put16(out + 4, hdr->version);
	ndes_ipc_put16(out + 6, hdr->type);
	ndes_ipc_put32(out + 8, hdr->request_id);
	ndes_ipc_put32(out + 12, hdr->payload_len);
}

/* Length of the UTF-8 sequence starting at p[0..avail), or 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	uint32_t cp, min;
	size_t n, k;

	if (p[0] < 0x80)
		return p[0] == 0 ? 0 : 1;
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2, cp = p[0] & 0x1F, min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3, cp = p[0] & 0x0F, min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool
ndes_ipc_str_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	if (s == NULL)
		return len == 0;
	while (i < len) {
		n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

const char *
ndes_ipc_type_name(uint16_t type)
{
	switch (type) {
#define NDES_IPC_TYPE_CASE(name, num) \
	case num:                     \
		return #name;
		NDES_IPC_TYPE_LIST(NDES_IPC_TYPE_CASE)
#undef NDES_IPC_TYPE_CASE
	}
	return NULL;
}
