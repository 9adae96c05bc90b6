/* base64 (RFC 4648 section 4) and base64url (section 5) on top of OpenSSL's
 * EVP_EncodeBlock/EVP_DecodeBlock.
 *
 * Encoding: one line, no line breaks.  base64 pads with '=', base64url does
 * not pad.  The result is a malloc()'d NUL-terminated string (free() it);
 * NULL when out of memory or the input is larger than 1 GiB.
 *
 * Decoding is strict: one line of the alphabet and nothing else.  Refused
 * (-1): whitespace of any kind (space, tab, CR, LF: no wrapped or PEM-style
 * text; every caller's document says one line), characters outside the
 * alphabet (base64 refuses '-' and '_', base64url refuses '+' and '/'), NUL
 * bytes inside `len`, '=' anywhere but in the last one or two positions, a length
 * that is not a multiple of 4 (base64; base64url pads itself, so only a
 * remainder of 1 is refused), and non-canonical encodings whose unused
 * trailing bits are not zero ("Zh==").  base64url accepts input with or
 * without '=' padding.  On success *out is a malloc()'d buffer of *outlen
 * bytes (with one extra NUL byte after them, not counted, so text decodes
 * into a usable string); on failure *out is NULL and *outlen 0. */
#ifndef NDES_B64_H
#define NDES_B64_H

#include <stddef.h>
#include <stdint.h>

char *ndes_b64_encode(const uint8_t *data, size_t len);
int ndes_b64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);

char *ndes_b64url_encode(const uint8_t *data, size_t len);
int ndes_b64url_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);

#endif
