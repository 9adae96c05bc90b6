/* The fuzz target's entry point (fuzz/fuzz_ipc_frame.c) over seeds, the
 * committed corpus, truncations, bit flips and random bytes, so `make check`
 * runs the fuzzed code path and its invariants even without libFuzzer. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_ipc_frame.h"
#include "ipc.h"

#ifndef IPC_FUZZ_CORPUS
#define IPC_FUZZ_CORPUS "fuzz/corpus/ipc_frame"
#endif

struct seed {
	uint8_t *buf;
	size_t len;
};

/* Two frames back to back: a VERIFY_REQUEST-like one and an ERROR. */
static struct seed
make_seed(void)
{
	struct ndes_ipc_msg *a = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 1);
	struct ndes_ipc_msg *b = ndes_ipc_msg_new_error(1, NDES_IPC_ERR_INTERNAL, "boom");
	const uint8_t *fa, *fb;
	size_t la, lb;
	struct seed s;

	ndes_ipc_msg_add_bytes(a, "\x30\x82\x01\x0a", 4);
	ndes_ipc_msg_add_str(a, "txn-0001");
	ndes_ipc_msg_add_u64(a, 1700000000000ull);
	ndes_ipc_msg_add_i64(a, -1);
	ndes_ipc_msg_add_bool(a, true);
	fa = ndes_ipc_msg_frame(a, &la);
	fb = ndes_ipc_msg_frame(b, &lb);
	s.len = la + lb;
	s.buf = malloc(s.len);
	memcpy(s.buf, fa, la);
	memcpy(s.buf + la, fb, lb);
	ndes_ipc_msg_free(a);
	ndes_ipc_msg_free(b);
	return s;
}

Test(ipc_fuzz, seed_frames_walk_completely)
{
	struct seed s = make_seed();
	struct ndes_fuzz_ipc_stats st;

	ndes_fuzz_ipc_frame(s.buf, s.len, &st);
	cr_assert_eq(st.frames, 2);
	cr_assert_eq(st.complete, 2);
	cr_assert_eq(st.fields, 5 + 2);
	cr_assert_eq(st.last, NDES_IPC_PARSE_NEED_MORE);
	free(s.buf);
}

Test(ipc_fuzz, every_truncation)
{
	struct seed s = make_seed();
	struct ndes_fuzz_ipc_stats st;
	struct ndes_ipc_header hdr;
	size_t first;

	cr_assert_eq(ndes_ipc_frame_parse(s.buf, s.len, &hdr, &first), NDES_IPC_PARSE_OK);
	cr_assert_eq(first, 16 + 9 + 14 + 9 + 9 + 2);

	for (size_t k = 0; k < s.len; k++) {
		ndes_fuzz_ipc_frame(s.buf, k, &st);
		cr_assert_eq(st.frames, k >= first ? 1 : 0, "length %zu", k);
		cr_assert_eq(st.last, NDES_IPC_PARSE_NEED_MORE, "length %zu", k);
	}
	free(s.buf);
}

Test(ipc_fuzz, every_bit_flip_and_byte_value)
{
	struct seed s = make_seed();
	uint8_t *m = malloc(s.len);
	struct ndes_fuzz_ipc_stats st;
	size_t refused = 0;

	for (size_t i = 0; i < s.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(m, s.buf, s.len);
			m[i] ^= (uint8_t)(1u << bit);
			ndes_fuzz_ipc_frame(m, s.len, &st);
			refused += st.last < 0;
		}
		for (int v = 0; v < 256; v += 17) {
			memcpy(m, s.buf, s.len);
			m[i] = (uint8_t)v;
			ndes_fuzz_ipc_frame(m, s.len, &st);
		}
	}
	/* Flips in the magic (32 bits) and the version (16) are refused. */
	cr_assert_geq(refused, 48);
	free(m);
	free(s.buf);
}

Test(ipc_fuzz, random_inputs)
{
	uint8_t buf[96];
	uint32_t x = 0x12345678;
	struct ndes_fuzz_ipc_stats st;
	size_t frames = 0;

	for (int n = 0; n < 20000; n++) {
		size_t len = (x >> 8) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			buf[i] = (uint8_t)x;
		}
		if (n % 2 == 0 && len >= 16) { /* a plausible header, random rest */
			struct ndes_ipc_header h = { 1, (uint16_t)x, x, (uint32_t)(len - 16) };
			ndes_ipc_header_encode(&h, buf);
		}
		ndes_fuzz_ipc_frame(buf, len, &st);
		frames += st.frames;
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
	}
	cr_assert_gt(frames, 1000);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(NDES_IPC_MAX_FRAME);

	cr_assert_not_null(f, "%s", path);
	*len = fread(buf, 1, NDES_IPC_MAX_FRAME, f);
	fclose(f);
	return buf;
}

Test(ipc_fuzz, committed_corpus)
{
	static const struct {
		const char *name;
		size_t frames, complete, fields;
		int last;
	} want[] = {
		{ "ping_fields.bin", 1, 1, 6, NDES_IPC_PARSE_NEED_MORE },
		{ "error.bin", 1, 1, 2, NDES_IPC_PARSE_NEED_MORE },
		{ "empty.bin", 1, 1, 0, NDES_IPC_PARSE_NEED_MORE },
		{ "two_frames.bin", 2, 2, 6, NDES_IPC_PARSE_NEED_MORE },
		{ "truncated.bin", 0, 0, 0, NDES_IPC_PARSE_NEED_MORE },
		{ "bad_version.bin", 0, 0, 0, NDES_IPC_PARSE_BAD_VERSION },
	};
	const char *top = getenv("top_srcdir");
	struct ndes_fuzz_ipc_stats st;
	char path[4096];
	uint8_t *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (top != NULL)
			snprintf(path, sizeof(path), "%s/fuzz/corpus/ipc_frame/%s", top, want[i].name);
		else
			snprintf(path, sizeof(path), "%s/%s", IPC_FUZZ_CORPUS, want[i].name);
		buf = read_file(path, &len);
		ndes_fuzz_ipc_frame(buf, len, &st);
		cr_assert_eq(st.frames, want[i].frames, "%s", want[i].name);
		cr_assert_eq(st.complete, want[i].complete, "%s", want[i].name);
		cr_assert_eq(st.fields, want[i].fields, "%s", want[i].name);
		cr_assert_eq(st.last, want[i].last, "%s", want[i].name);
		cr_assert_eq(LLVMFuzzerTestOneInput(buf, len), 0);
		free(buf);
	}
}
