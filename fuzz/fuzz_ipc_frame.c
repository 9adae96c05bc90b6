/* libFuzzer target: ndes_ipc_frame_parse() and the reader.  See
 * fuzz_ipc_frame.h for the checked invariants. */
#include "fuzz_ipc_frame.h"

#include <stdlib.h>
#include <string.h>

#include "ipc.h"

#define CHECK(cond)             \
	do {                    \
		if (!(cond))    \
			abort(); \
	} while (0)

/* Read one field into out (the same field re-encoded): 0, or -1 if the
 * reader refuses it. */
static int
copy_field(struct ndes_ipc_reader *r, struct ndes_ipc_msg *out)
{
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	bool b;
	const char *s;
	const uint8_t *p;
	size_t len;

	switch (ndes_ipc_reader_peek(r)) {
	case NDES_IPC_F_U32:
		return ndes_ipc_get_u32(r, &u32) == 0 ? ndes_ipc_msg_add_u32(out, u32) : -1;
	case NDES_IPC_F_U64:
		return ndes_ipc_get_u64(r, &u64) == 0 ? ndes_ipc_msg_add_u64(out, u64) : -1;
	case NDES_IPC_F_I64:
		return ndes_ipc_get_i64(r, &i64) == 0 ? ndes_ipc_msg_add_i64(out, i64) : -1;
	case NDES_IPC_F_BOOL:
		return ndes_ipc_get_bool(r, &b) == 0 ? ndes_ipc_msg_add_bool(out, b) : -1;
	case NDES_IPC_F_STR:
		if (ndes_ipc_get_str(r, &s, &len) == -1)
			return -1;
		CHECK(strlen(s) == len);
		return ndes_ipc_msg_add_str(out, s);
	case NDES_IPC_F_BYTES:
		if (ndes_ipc_get_bytes(r, &p, &len) == -1)
			return -1;
		CHECK((p == NULL) == (len == 0));
		return ndes_ipc_msg_add_bytes(out, p, len);
	}
	return -1;
}

/* The typed bodies (ERROR, HELLO, STATUS_REPLY) read from the same bytes:
 * taken whole to its end, or refused having consumed nothing. */
static void
check_typed_bodies(const uint8_t *body, size_t len)
{
	struct ndes_ipc_reader e;
	struct ndes_ipc_status status;
	const char *text, *version;
	uint32_t code;
	int ok;

	for (int kind = 0; kind < 3; kind++) {
		ndes_ipc_reader_init(&e, body, len);
		ok = kind == 0 ? ndes_ipc_get_error(&e, &code, &text) :
		    kind == 1 ? ndes_ipc_get_hello(&e, &text, &version) :
		    ndes_ipc_get_status_reply(&e, &status);
		if (ok == 0)
			CHECK(ndes_ipc_reader_end(&e) == 0);
		if (ok == 0 && kind == 2)	/* the errors a daemon says, bounded */
			CHECK(status.nerrors <= NDES_IPC_STATUS_ERRORS_MAX &&
			    (status.has_errors || status.nerrors == 0));
		if (ok != 0)
			CHECK(e.off == 0);
	}
}

static void
walk_frame(const uint8_t *frame, size_t flen, const struct ndes_ipc_header *hdr,
    struct ndes_fuzz_ipc_stats *st)
{
	struct ndes_ipc_reader r;
	struct ndes_ipc_msg *out;
	const uint8_t *enc;
	size_t before, elen;

	check_typed_bodies(frame + NDES_IPC_HEADER_LEN, flen - NDES_IPC_HEADER_LEN);
	ndes_ipc_reader_init(&r, frame + NDES_IPC_HEADER_LEN, flen - NDES_IPC_HEADER_LEN);
	if ((out = ndes_ipc_msg_new(hdr->type, hdr->request_id)) == NULL)
		return;
	while (ndes_ipc_reader_peek(&r) != 0) {
		before = r.off;
		if (copy_field(&r, out) == -1) {
			CHECK(r.off == before); /* a refused field consumes nothing */
			break;
		}
		CHECK(r.off > before && r.off <= r.len);
		st->fields++;
	}
	if (ndes_ipc_reader_end(&r) == 0) {
		st->complete++;
		enc = ndes_ipc_msg_frame(out, &elen);
		CHECK(enc != NULL && elen == flen && memcmp(enc, frame, flen) == 0);
	}
	ndes_ipc_msg_free(out);
}

/* Every strict prefix of a whole frame must be NEED_MORE. */
static void
check_prefixes(const uint8_t *frame, size_t flen)
{
	struct ndes_ipc_header hdr;
	size_t k, need;

	for (k = 0; k < flen && k <= NDES_IPC_HEADER_LEN + 4; k++)
		CHECK(ndes_ipc_frame_parse(frame, k, &hdr, &need) == NDES_IPC_PARSE_NEED_MORE &&
		    need > k);
	CHECK(ndes_ipc_frame_parse(frame, flen - 1, &hdr, &need) == NDES_IPC_PARSE_NEED_MORE &&
	    need == flen);
}

void
ndes_fuzz_ipc_frame(const uint8_t *data, size_t size, struct ndes_fuzz_ipc_stats *st)
{
	struct ndes_fuzz_ipc_stats local;
	struct ndes_ipc_header hdr;
	size_t off = 0, flen;
	int res;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	for (;;) {
		res = ndes_ipc_frame_parse(data + off, size - off, &hdr, &flen);
		st->last = res;
		if (res != NDES_IPC_PARSE_OK) {
			CHECK(res < 0 ? flen == 0 : (flen > size - off && flen <= NDES_IPC_MAX_FRAME));
			return;
		}
		CHECK(flen >= NDES_IPC_HEADER_LEN && flen <= size - off && flen <= NDES_IPC_MAX_FRAME);
		CHECK(hdr.version == NDES_IPC_VERSION && hdr.payload_len == flen - NDES_IPC_HEADER_LEN);
		check_prefixes(data + off, flen);
		walk_frame(data + off, flen, &hdr, st);
		st->frames++;
		off += flen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ndes_fuzz_ipc_frame(data, size, NULL);
	return 0;
}
