/* IPC wire format: frame parsing, message building, reading. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

static struct ndes_ipc_msg *
must_msg(uint16_t type, uint32_t id)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(type, id);

	cr_assert_not_null(msg);
	return msg;
}

static const uint8_t *
frame_of(const struct ndes_ipc_msg *msg, size_t *len)
{
	const uint8_t *buf = ndes_ipc_msg_frame(msg, len);

	cr_assert_not_null(buf);
	return buf;
}

static void
reader_of(const struct ndes_ipc_msg *msg, struct ndes_ipc_reader *r)
{
	size_t len;
	const uint8_t *buf = frame_of(msg, &len);

	ndes_ipc_reader_init(r, buf + NDES_IPC_HEADER_LEN, len - NDES_IPC_HEADER_LEN);
}

Test(ipc_wire, header_bytes_are_big_endian)
{
	static const uint8_t want[] = { 'N', 'D', 'E', 'S', 0x00, 0x01, 0x01, 0x01,
		0xA1, 0xB2, 0xC3, 0xD4, 0x00, 0x00, 0x00, 0x00 };
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_VERIFY_REQUEST, 0xA1B2C3D4);
	size_t len;
	const uint8_t *buf = frame_of(msg, &len);

	cr_assert_eq(len, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
	ndes_ipc_msg_free(msg);
}

Test(ipc_wire, field_encoding_is_exact)
{
	static const uint8_t want[] = {
		0x01, 0x01, 0x02, 0x03, 0x04,                         /* u32 */
		0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* u64 */
		0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, /* i64 -2 */
		0x06, 0x01,                                           /* bool */
		0x04, 0x00, 0x00, 0x00, 0x02, 'h', 'i', 0x00,         /* str */
		0x05, 0x00, 0x00, 0x00, 0x03, 0x00, 0xFF, 0x00,       /* bytes */
	};
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_PING, 7);
	size_t len;
	const uint8_t *buf;

	cr_assert_eq(ndes_ipc_msg_add_u32(msg, 0x01020304), 0);
	cr_assert_eq(ndes_ipc_msg_add_u64(msg, 0x0102030405060708ull), 0);
	cr_assert_eq(ndes_ipc_msg_add_i64(msg, -2), 0);
	cr_assert_eq(ndes_ipc_msg_add_bool(msg, true), 0);
	cr_assert_eq(ndes_ipc_msg_add_str(msg, "hi"), 0);
	cr_assert_eq(ndes_ipc_msg_add_bytes(msg, "\0\xff\0", 3), 0);
	buf = frame_of(msg, &len);
	cr_assert_eq(len, NDES_IPC_HEADER_LEN + sizeof(want));
	cr_assert_eq(ndes_ipc_msg_payload_len(msg), sizeof(want));
	cr_assert_eq(buf[12] << 24 | buf[13] << 16 | buf[14] << 8 | buf[15], (int)sizeof(want));
	cr_assert_arr_eq(buf + NDES_IPC_HEADER_LEN, want, sizeof(want));
	ndes_ipc_msg_free(msg);
}

Test(ipc_wire, every_field_type_round_trips)
{
	static const uint8_t blob[] = { 0, 1, 2, 0, 0xFE, 0xFF };
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_NOTIFY, 99);
	struct ndes_ipc_reader r;
	uint32_t u32;
	uint64_t u64;
	int64_t i64a, i64b, i64c;
	bool b1, b2;
	const char *s1, *s2;
	const uint8_t *p1, *p2;
	size_t l1, l2, pl1, pl2;

	ndes_ipc_msg_add_u32(msg, UINT32_MAX);
	ndes_ipc_msg_add_u64(msg, UINT64_MAX);
	ndes_ipc_msg_add_i64(msg, INT64_MIN);
	ndes_ipc_msg_add_i64(msg, INT64_MAX);
	ndes_ipc_msg_add_i64(msg, -1);
	ndes_ipc_msg_add_bool(msg, false);
	ndes_ipc_msg_add_bool(msg, true);
	ndes_ipc_msg_add_str(msg, "");
	ndes_ipc_msg_add_str(msg, "証明書 ✓ 😀");
	ndes_ipc_msg_add_bytes(msg, NULL, 0);
	ndes_ipc_msg_add_bytes(msg, blob, sizeof(blob));
	cr_assert_not(ndes_ipc_msg_failed(msg));
	reader_of(msg, &r);
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), 0);
	cr_assert_eq(ndes_ipc_get_u64(&r, &u64), 0);
	cr_assert_eq(ndes_ipc_get_i64(&r, &i64a), 0);
	cr_assert_eq(ndes_ipc_get_i64(&r, &i64b), 0);
	cr_assert_eq(ndes_ipc_get_i64(&r, &i64c), 0);
	cr_assert_eq(ndes_ipc_get_bool(&r, &b1), 0);
	cr_assert_eq(ndes_ipc_get_bool(&r, &b2), 0);
	cr_assert_eq(ndes_ipc_get_str(&r, &s1, &l1), 0);
	cr_assert_eq(ndes_ipc_get_str(&r, &s2, &l2), 0);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p1, &pl1), 0);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p2, &pl2), 0);
	cr_assert_eq(ndes_ipc_reader_peek(&r), 0);
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	cr_assert_eq(u32, UINT32_MAX);
	cr_assert_eq(u64, UINT64_MAX);
	cr_assert_eq(i64a, INT64_MIN);
	cr_assert_eq(i64b, INT64_MAX);
	cr_assert_eq(i64c, -1);
	cr_assert(!b1 && b2);
	cr_assert_str_eq(s1, "");
	cr_assert_eq(l1, 0);
	cr_assert_str_eq(s2, "証明書 ✓ 😀");
	cr_assert_eq(l2, strlen("証明書 ✓ 😀"));
	cr_assert_null(p1);
	cr_assert_eq(pl1, 0);
	cr_assert_eq(pl2, sizeof(blob));
	cr_assert_arr_eq(p2, blob, sizeof(blob));
	ndes_ipc_msg_free(msg);
}

Test(ipc_wire, set_request_id_rewrites_header)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_PING, 1);
	struct ndes_ipc_header hdr;
	size_t len, flen;
	const uint8_t *buf;

	ndes_ipc_msg_set_request_id(msg, 0x11223344);
	buf = frame_of(msg, &len);
	cr_assert_eq(ndes_ipc_frame_parse(buf, len, &hdr, &flen), NDES_IPC_PARSE_OK);
	cr_assert_eq(hdr.request_id, 0x11223344);
	cr_assert_eq(ndes_ipc_msg_request_id(msg), 0x11223344);
	cr_assert_eq(ndes_ipc_msg_type(msg), NDES_IPC_MSG_PING);
	ndes_ipc_msg_free(msg);
}

Test(ipc_parse, whole_frame_and_every_prefix)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_RELOAD, 5);
	struct ndes_ipc_header hdr;
	size_t len, flen, k;
	const uint8_t *buf;

	ndes_ipc_msg_add_str(msg, "signing");
	buf = frame_of(msg, &len);
	cr_assert_eq(len, 16 + 13);
	cr_assert_eq(ndes_ipc_frame_parse(buf, len, &hdr, &flen), NDES_IPC_PARSE_OK);
	cr_assert_eq(flen, len);
	cr_assert_eq(hdr.version, 1);
	cr_assert_eq(hdr.type, NDES_IPC_MSG_RELOAD);
	cr_assert_eq(hdr.request_id, 5);
	cr_assert_eq(hdr.payload_len, 13);
	for (k = 0; k < len; k++) {
		cr_assert_eq(ndes_ipc_frame_parse(buf, k, &hdr, &flen), NDES_IPC_PARSE_NEED_MORE,
		    "prefix %zu", k);
		cr_assert_eq(flen, k < 16 ? 16 : len, "prefix %zu", k);
	}
	/* Extra bytes after the frame belong to the next one. */
	uint8_t two[64];
	memcpy(two, buf, len);
	memcpy(two + len, buf, 3);
	cr_assert_eq(ndes_ipc_frame_parse(two, len + 3, &hdr, &flen), NDES_IPC_PARSE_OK);
	cr_assert_eq(flen, len);
	cr_assert_eq(ndes_ipc_frame_parse(NULL, 0, &hdr, &flen), NDES_IPC_PARSE_NEED_MORE);
	ndes_ipc_msg_free(msg);
}

Test(ipc_parse, bad_magic_refused_at_first_wrong_byte)
{
	struct ndes_ipc_header hdr;
	size_t flen = 99;

	cr_assert_eq(ndes_ipc_frame_parse((const uint8_t *)"G", 1, &hdr, &flen),
	    NDES_IPC_PARSE_BAD_MAGIC);
	cr_assert_eq(flen, 0);
	cr_assert_eq(ndes_ipc_frame_parse((const uint8_t *)"NDEX", 4, &hdr, &flen),
	    NDES_IPC_PARSE_BAD_MAGIC);
	cr_assert_eq(ndes_ipc_frame_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &hdr, &flen),
	    NDES_IPC_PARSE_BAD_MAGIC);
	cr_assert_str_eq(ndes_ipc_parse_result_str(NDES_IPC_PARSE_BAD_MAGIC), "bad magic");
}

Test(ipc_parse, wrong_version_refused)
{
	struct ndes_ipc_header in = { 2, NDES_IPC_MSG_PING, 1, 0 }, hdr;
	uint8_t buf[NDES_IPC_HEADER_LEN];
	size_t flen;

	ndes_ipc_header_encode(&in, buf);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 6, &hdr, &flen), NDES_IPC_PARSE_BAD_VERSION);
	cr_assert_eq(hdr.version, 2);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 16, &hdr, &flen), NDES_IPC_PARSE_BAD_VERSION);
	in.version = 0;
	ndes_ipc_header_encode(&in, buf);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 16, &hdr, &flen), NDES_IPC_PARSE_BAD_VERSION);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 5, &hdr, &flen), NDES_IPC_PARSE_NEED_MORE);
	cr_assert_str_eq(ndes_ipc_parse_result_str(NDES_IPC_PARSE_BAD_VERSION),
	    "unsupported protocol version");
}

Test(ipc_parse, over_limit_refused_from_header_alone)
{
	struct ndes_ipc_header in = { 1, NDES_IPC_MSG_VERIFY_REQUEST, 3, NDES_IPC_MAX_PAYLOAD + 1 };
	struct ndes_ipc_header hdr;
	uint8_t buf[NDES_IPC_HEADER_LEN];
	size_t flen;

	ndes_ipc_header_encode(&in, buf);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 16, &hdr, &flen), NDES_IPC_PARSE_TOO_LARGE);
	cr_assert_eq(hdr.payload_len, NDES_IPC_MAX_PAYLOAD + 1);
	cr_assert_eq(flen, 0);
	in.payload_len = UINT32_MAX;
	ndes_ipc_header_encode(&in, buf);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 16, &hdr, &flen), NDES_IPC_PARSE_TOO_LARGE);
	in.payload_len = NDES_IPC_MAX_PAYLOAD;
	ndes_ipc_header_encode(&in, buf);
	cr_assert_eq(ndes_ipc_frame_parse(buf, 16, &hdr, &flen), NDES_IPC_PARSE_NEED_MORE);
	cr_assert_eq(flen, NDES_IPC_MAX_FRAME);
	cr_assert_eq(NDES_IPC_MAX_PAYLOAD, 262144);
}

Test(ipc_msg, payload_limit_is_hard)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_VERIFY_REQUEST, 1);
	uint8_t *big = calloc(1, NDES_IPC_MAX_PAYLOAD);
	size_t len;

	cr_assert_eq(ndes_ipc_msg_add_bytes(msg, big, NDES_IPC_MAX_PAYLOAD - 5), 0);
	cr_assert_eq(ndes_ipc_msg_payload_len(msg), NDES_IPC_MAX_PAYLOAD);
	cr_assert_not_null(ndes_ipc_msg_frame(msg, &len));
	cr_assert_eq(len, NDES_IPC_MAX_FRAME);
	cr_assert_eq(ndes_ipc_msg_add_bool(msg, true), -1);
	cr_assert(ndes_ipc_msg_failed(msg));
	cr_assert_null(ndes_ipc_msg_frame(msg, &len));
	/* A failed message stays failed. */
	cr_assert_eq(ndes_ipc_msg_add_u32(msg, 1), -1);
	ndes_ipc_msg_free(msg);

	msg = must_msg(NDES_IPC_MSG_VERIFY_REQUEST, 1);
	cr_assert_eq(ndes_ipc_msg_add_bytes(msg, big, NDES_IPC_MAX_PAYLOAD - 4), -1);
	cr_assert_eq(ndes_ipc_msg_add_bytes(msg, big, SIZE_MAX), -1);
	ndes_ipc_msg_free(msg);
	free(big);
	cr_assert_eq(ndes_ipc_msg_add_u32(NULL, 1), -1);
	cr_assert(ndes_ipc_msg_failed(NULL));
	ndes_ipc_msg_free(NULL);
}

Test(ipc_msg, invalid_strings_refused)
{
	static const char *bad[] = {
		"\xC0\x80",         /* overlong NUL */
		"\xE0\x80\xAF",     /* overlong '/' */
		"\xED\xA0\x80",     /* surrogate */
		"\xF4\x90\x80\x80", /* above U+10FFFF */
		"\xE6\x97",         /* truncated */
		"\x80",             /* lone continuation */
		"\xFF",
	};
	struct ndes_ipc_msg *msg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(ndes_ipc_str_valid(bad[i], strlen(bad[i])), "case %zu", i);
		msg = must_msg(NDES_IPC_MSG_PING, 1);
		cr_assert_eq(ndes_ipc_msg_add_str(msg, bad[i]), -1, "case %zu", i);
		cr_assert(ndes_ipc_msg_failed(msg));
		ndes_ipc_msg_free(msg);
	}
	msg = must_msg(NDES_IPC_MSG_PING, 1);
	cr_assert_eq(ndes_ipc_msg_add_str(msg, NULL), -1);
	ndes_ipc_msg_free(msg);
	cr_assert_not(ndes_ipc_str_valid("a\0b", 3));
	cr_assert(ndes_ipc_str_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
	cr_assert(ndes_ipc_str_valid("\xEF\xBF\xBD", 3));
}

Test(ipc_reader, wrong_type_consumes_nothing)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_PING, 1);
	struct ndes_ipc_reader r;
	uint64_t u64 = 42;
	uint32_t u32 = 0;
	const char *s = NULL;
	const uint8_t *p = NULL;
	size_t len = 0;
	bool b;

	ndes_ipc_msg_add_u32(msg, 17);
	ndes_ipc_msg_add_str(msg, "x");
	reader_of(msg, &r);
	cr_assert_eq(ndes_ipc_reader_peek(&r), NDES_IPC_F_U32);
	cr_assert_eq(ndes_ipc_get_u64(&r, &u64), -1);
	cr_assert_eq(u64, 42);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, &len), -1);
	cr_assert_eq(ndes_ipc_get_bool(&r, &b), -1);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p, &len), -1);
	cr_assert_eq(r.off, 0);
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), 0);
	cr_assert_eq(u32, 17);
	cr_assert_eq(ndes_ipc_get_bytes(&r, &p, &len), -1);
	cr_assert_eq(ndes_ipc_reader_end(&r), -1, "a field remains");
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), 0);
	cr_assert_str_eq(s, "x");
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), -1, "nothing left");
	ndes_ipc_msg_free(msg);
}

/* Raw payloads the builder would never produce. */
Test(ipc_reader, sticky_reader_remembers_the_first_failure)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_PING, 1);
	struct ndes_ipc_reader r;
	const char *s = "untouched";
	uint64_t u64 = 42;
	uint32_t u32 = 7;
	size_t len;
	const uint8_t *buf;

	ndes_ipc_msg_add_u32(msg, 17);
	ndes_ipc_msg_add_str(msg, "x");
	buf = frame_of(msg, &len);
	ndes_ipc_reader_init_sticky(&r, buf + NDES_IPC_HEADER_LEN, len - NDES_IPC_HEADER_LEN);
	cr_assert_not(ndes_ipc_reader_failed(&r));
	cr_assert_eq(ndes_ipc_get_u64(&r, &u64), -1, "a U32 is no U64");
	cr_assert(ndes_ipc_reader_failed(&r));
	cr_assert_eq(u64, 42);
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), -1, "every get after the first failure fails");
	cr_assert_eq(u32, 7);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), -1);
	cr_assert_str_eq(s, "untouched");
	cr_assert_eq(r.off, 0, "nothing consumed");
	cr_assert_eq(ndes_ipc_reader_end(&r), -1);

	/* the same message read right: end() is the one check */
	ndes_ipc_reader_init_sticky(&r, buf + NDES_IPC_HEADER_LEN, len - NDES_IPC_HEADER_LEN);
	ndes_ipc_get_u32(&r, &u32);
	ndes_ipc_get_str(&r, &s, NULL);
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	cr_assert_eq(u32, 17);
	cr_assert_str_eq(s, "x");
	/* a failure after every field was read still counts */
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), -1, "nothing left");
	cr_assert_eq(ndes_ipc_reader_end(&r), -1);
	ndes_ipc_msg_free(msg);
}

Test(ipc_reader, frame_readers_are_sticky)
{
	struct ndes_ipc_header hdr = { .version = NDES_IPC_VERSION, .type = NDES_IPC_MSG_PING };
	static const uint8_t payload[] = { NDES_IPC_F_U32, 0, 0, 0, 1 };
	struct ndes_ipc_frame *frame = ndes_ipc_frame_new(&hdr, payload, sizeof(payload));
	struct ndes_ipc_reader r;
	uint32_t u32 = 0;
	bool b;

	cr_assert_not_null(frame);
	ndes_ipc_frame_reader(frame, &r);
	cr_assert_eq(ndes_ipc_get_bool(&r, &b), -1, "a U32 is no BOOL");
	cr_assert_eq(ndes_ipc_get_u32(&r, &u32), -1, "the U32 is there, but the reader failed");
	cr_assert_eq(u32, 0);
	cr_assert_eq(ndes_ipc_reader_end(&r), -1);
	ndes_ipc_frame_free(frame);
}

/* A malformed field: its bytes, refused by the getter of its type. */
struct malformed_field {
	const char	*name;
	const uint8_t	*bytes;
	size_t		 len;
	uint8_t		 type;
};
#define MALFORMED(n, t, ...) { (n), (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }), (t) }

/* The getter of type on r: its result. */
static int
get_field(struct ndes_ipc_reader *r, uint8_t type)
{
	uint32_t u32;
	uint64_t u64;
	bool b;
	const char *s;
	const uint8_t *p;
	size_t len;

	switch (type) {
	case NDES_IPC_F_U32:
		return ndes_ipc_get_u32(r, &u32);
	case NDES_IPC_F_U64:
		return ndes_ipc_get_u64(r, &u64);
	case NDES_IPC_F_BOOL:
		return ndes_ipc_get_bool(r, &b);
	case NDES_IPC_F_STR:
		return ndes_ipc_get_str(r, &s, &len);
	}
	return ndes_ipc_get_bytes(r, &p, &len);
}

Test(ipc_reader, malformed_fields_refused)
{
	const struct malformed_field fields[] = {
		MALFORMED("trunc_u32", NDES_IPC_F_U32, 0x01, 0x00, 0x00, 0x01),
		MALFORMED("trunc_u64", NDES_IPC_F_U64, 0x02, 0, 0, 0, 0, 0, 0, 0),
		MALFORMED("bool2", NDES_IPC_F_BOOL, 0x06, 0x02),
		MALFORMED("bool_short", NDES_IPC_F_BOOL, 0x06),
		MALFORMED("str_noterm", NDES_IPC_F_STR, 0x04, 0, 0, 0, 0x02, 'h', 'i'),
		MALFORMED("str_badterm", NDES_IPC_F_STR, 0x04, 0, 0, 0, 0x02, 'h', 'i', 'x'),
		MALFORMED("str_nul", NDES_IPC_F_STR, 0x04, 0, 0, 0, 0x03, 'h', 0, 'i', 0),
		MALFORMED("str_utf8", NDES_IPC_F_STR, 0x04, 0, 0, 0, 0x02, 0xC0, 0x80, 0),
		MALFORMED("str_len_short", NDES_IPC_F_STR, 0x04, 0, 0),
		MALFORMED("bytes_huge", NDES_IPC_F_BYTES, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2),
		MALFORMED("bytes_over", NDES_IPC_F_BYTES, 0x05, 0, 0, 0, 0x03, 1, 2),
	};
	struct ndes_ipc_reader r;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct malformed_field *f = &fields[i];

		ndes_ipc_reader_init(&r, f->bytes, f->len);
		cr_assert_eq(get_field(&r, f->type), -1, "%s accepted", f->name);
	}
	/* the last one (bytes_over): nothing consumed, the field still there */
	cr_assert_eq(r.off, 0);
	cr_assert_eq(ndes_ipc_reader_peek(&r), NDES_IPC_F_BYTES);
}

Test(ipc_reader, truncated_frame_payload_is_malformed)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_PING, 1);
	struct ndes_ipc_reader r;
	const uint8_t *buf;
	const char *s;
	uint32_t code;
	size_t len, cut;

	ndes_ipc_msg_add_u32(msg, 9);
	ndes_ipc_msg_add_str(msg, "challenge");
	buf = frame_of(msg, &len);
	/* Cut anywhere inside the string field (its 15 bytes), not all of it. */
	for (cut = 1; cut < 15; cut++) {
		ndes_ipc_reader_init(&r, buf + NDES_IPC_HEADER_LEN, len - NDES_IPC_HEADER_LEN - cut);
		if (ndes_ipc_get_u32(&r, &code) == 0)
			cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), -1, "cut %zu", cut);
		cr_assert_neq(r.off, r.len, "cut %zu", cut);
	}
	ndes_ipc_msg_free(msg);
}

Test(ipc_reader, error_message_helpers)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new_error(12, NDES_IPC_ERR_UNSUPPORTED, "no such type");
	struct ndes_ipc_reader r;
	uint32_t code = 0;
	const char *text = NULL;
	size_t len;

	cr_assert_not_null(msg);
	cr_assert_eq(ndes_ipc_msg_type(msg), NDES_IPC_MSG_ERROR);
	cr_assert_eq(ndes_ipc_msg_request_id(msg), 12);
	reader_of(msg, &r);
	cr_assert_eq(ndes_ipc_get_error(&r, &code, &text), 0);
	cr_assert_eq(code, 1);
	cr_assert_str_eq(text, "no such type");
	ndes_ipc_msg_free(msg);

	cr_assert_null(ndes_ipc_msg_new_error(1, 3, "\xFF"));
	msg = ndes_ipc_msg_new_error(1, 3, NULL);
	ndes_ipc_msg_add_bool(msg, true);
	reader_of(msg, &r);
	cr_assert_eq(ndes_ipc_get_error(&r, &code, &text), -1, "trailing field");
	cr_assert_eq(r.off, 0);
	cr_assert_not_null(ndes_ipc_msg_frame(msg, &len));
	ndes_ipc_msg_free(msg);
}

/* RELOAD_REPLY {u32 status, str message}: the whole payload or nothing. */
Test(ipc_reader, status_message_is_a_whole_payload)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_RELOAD_REPLY, 5);
	struct ndes_ipc_reader r;
	uint32_t status = 9;
	const char *text = NULL;

	ndes_ipc_msg_add_u32(msg, 0);
	ndes_ipc_msg_add_str(msg, "keys reloaded");
	reader_of(msg, &r);
	cr_assert_eq(ndes_ipc_get_status_message(&r, &status, &text), 0);
	cr_assert_eq(status, 0);
	cr_assert_str_eq(text, "keys reloaded");
	ndes_ipc_msg_free(msg);

	msg = must_msg(NDES_IPC_MSG_RELOAD_REPLY, 6);
	ndes_ipc_msg_add_u32(msg, 1);
	reader_of(msg, &r);
	ndes_ipc_reader_init_sticky(&r, r.p, r.len);
	cr_assert_eq(ndes_ipc_get_status_message(&r, &status, &text), -1, "message missing");
	cr_assert_eq(r.off, 0, "nothing consumed");
	cr_assert_eq(status, 0, "outputs untouched");
	cr_assert(ndes_ipc_reader_failed(&r), "sticky: the failure stays");
	cr_assert_eq(ndes_ipc_reader_end(&r), -1);
	ndes_ipc_msg_free(msg);
}

Test(ipc_frame, owned_copy_outlives_buffer)
{
	struct ndes_ipc_msg *msg = must_msg(NDES_IPC_MSG_CONNECTOR_NOTIFICATION, 77);
	struct ndes_ipc_header hdr;
	struct ndes_ipc_frame *frame;
	struct ndes_ipc_reader r;
	const uint8_t *buf;
	uint8_t *copy;
	const char *s;
	size_t len, flen;

	ndes_ipc_msg_add_str(msg, "txn-1");
	copy = malloc(NDES_IPC_MAX_FRAME);
	buf = frame_of(msg, &len);
	memcpy(copy, buf, len);
	ndes_ipc_msg_free(msg);
	cr_assert_eq(ndes_ipc_frame_parse(copy, len, &hdr, &flen), NDES_IPC_PARSE_OK);
	frame = ndes_ipc_frame_new(&hdr, copy + 16, flen - 16);
	memset(copy, 0, len);
	free(copy);
	cr_assert_not_null(frame);
	cr_assert_eq(ndes_ipc_frame_type(frame), NDES_IPC_MSG_CONNECTOR_NOTIFICATION);
	cr_assert_eq(ndes_ipc_frame_header(frame)->request_id, 77);
	cr_assert_eq(ndes_ipc_frame_header(frame)->payload_len, 11);
	ndes_ipc_frame_reader(frame, &r);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), 0);
	cr_assert_str_eq(s, "txn-1");
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	ndes_ipc_frame_free(frame);
	ndes_ipc_frame_free(NULL);
	cr_assert_null(ndes_ipc_frame_new(&hdr, (const uint8_t *)"", NDES_IPC_MAX_PAYLOAD + 1));
}

Test(ipc_types, names_and_numbers)
{
	cr_assert_eq(NDES_IPC_MSG_VERIFY_REQUEST, 0x0101);
	cr_assert_eq(NDES_IPC_MSG_RELOAD_REPLY, 0x0204);
	cr_assert_str_eq(ndes_ipc_type_name(NDES_IPC_MSG_ERROR), "ERROR");
	cr_assert_str_eq(ndes_ipc_type_name(0x0102), "VERIFY_REPLY");
	cr_assert_str_eq(ndes_ipc_type_name(0x0201), "CONNECTOR_NOTIFICATION");
	cr_assert_str_eq(ndes_ipc_type_name(NDES_IPC_MSG_PONG), "PONG");
	cr_assert_null(ndes_ipc_type_name(0));
	cr_assert_null(ndes_ipc_type_name(0x0105));
}

Test(ipc_hello, exact_bytes_and_the_rules_for_role_and_version)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_hello(NDES_IPC_MSG_HELLO, 3, NDES_IPC_ROLE_CRPD);
	static const uint8_t head[] = { 0x4e, 0x44, 0x45, 0x53, 0x00, 0x01, 0x00, 0x04,
	    0x00, 0x00, 0x00, 0x03 };
	static const uint8_t role[] = { 0x04, 0x00, 0x00, 0x00, 0x04, 'c', 'r', 'p', 'd', 0x00 };
	const char *bad[] = { NULL, "", "CRPD", "crpd ", "crpd\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct ndes_ipc_reader r;
	const char *ro, *v;
	const uint8_t *f;
	size_t len;

	cr_assert_not_null(m);
	f = ndes_ipc_msg_frame(m, &len);
	cr_assert_eq(memcmp(f, head, sizeof(head)), 0);
	cr_assert_eq(memcmp(f + 16, role, sizeof(role)), 0);
	ndes_ipc_reader_init(&r, f + 16, len - 16);
	cr_assert_eq(ndes_ipc_get_hello(&r, &ro, &v), 0);
	cr_assert_str_eq(ro, "crpd");
	cr_assert_str_eq(v, PACKAGE_VERSION);
	ndes_ipc_msg_free(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(ndes_ipc_msg_new_hello(NDES_IPC_MSG_HELLO, 1, bad[i]), "%zu", i);
	cr_assert_str_eq(ndes_ipc_type_name(0x0004), "HELLO");
	cr_assert_str_eq(ndes_ipc_type_name(0x0005), "HELLO_REPLY");
}

Test(ipc_hello, the_reader_refuses_what_the_rules_refuse_and_consumes_nothing)
{
	static const char *const cases[][2] = { { "crpd", "" }, { "crpd", "1.0 beta" },
	    { "Crpd", "1.0" }, { "crp_d", "1.0" } };
	struct ndes_ipc_reader r;
	const char *ro, *v;
	const uint8_t *f;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_HELLO, 1);

		ndes_ipc_msg_add_str(m, cases[i][0]);
		ndes_ipc_msg_add_str(m, cases[i][1]);
		f = ndes_ipc_msg_frame(m, &len);
		ndes_ipc_reader_init(&r, f + 16, len - 16);
		cr_assert_eq(ndes_ipc_get_hello(&r, &ro, &v), -1, "%zu", i);
		cr_assert_eq(r.off, 0);
		ndes_ipc_msg_free(m);
	}
}
