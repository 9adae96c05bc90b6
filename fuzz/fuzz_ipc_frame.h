/* libFuzzer target over the IPC frame parser and message reader.  The
 * entry points are also linked into tests/test_ipc_fuzz so `make check`
 * runs the same code over seed and corrupted inputs. */
#ifndef NDES_FUZZ_IPC_FRAME_H
#define NDES_FUZZ_IPC_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct ndes_fuzz_ipc_stats {
	size_t frames;   /* whole frames parsed */
	size_t fields;   /* fields read successfully */
	size_t complete; /* frames whose payload read cleanly to the end */
	int last;        /* last ndes_ipc_frame_parse() result */
};

/* Parse data as back-to-back frames, walk every field of each, and check
 * the invariants (abort() on a violation): the parser never claims more
 * bytes than given, a shorter prefix of a frame is never OK, and a payload
 * that reads cleanly re-encodes to exactly the same bytes.  st may be NULL. */
void ndes_fuzz_ipc_frame(const uint8_t *data, size_t size, struct ndes_fuzz_ipc_stats *st);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
