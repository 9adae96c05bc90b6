/* base64 and base64url: OpenSSL does the coding, this file only checks the
 * alphabet, the padding and the canonical form (see b64.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"

#define B64_MAX_INPUT ((size_t)1 << 30)

static char *
b64_encode_std(const uint8_t *data, size_t len)
{
	static const uint8_t empty;
	char *out;

	if (len > B64_MAX_INPUT || (data == NULL && len > 0))
		return NULL;
	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data != NULL ? data : &empty, (int)len);
	return out;
}

char *
ndes_b64_encode(const uint8_t *data, size_t len)
{
	return b64_encode_std(data, len);
}

char *
ndes_b64url_encode(const uint8_t *data, size_t len)
{
	char *out, *p;

	if ((out = b64_encode_std(data, len)) == NULL)
		return NULL;
	for (p = out; *p != '\0' && *p != '='; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	*p = '\0';
	return out;
}

/* One input character to the standard alphabet; -1 when not allowed. */
static int
b64_map_char(char c, int url)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '=')
		return c;
	if (url)
		return c == '-' ? '+' : c == '_' ? '/' : -1;
	return c == '+' || c == '/' ? c : -1;
}

/* Copies `text` into `buf` (at least len + 4 bytes) in the standard
 * alphabet, padded to a multiple of 4.  Returns the length and sets *npad
 * to the number of '=', or -1 when the text is refused: whitespace is a
 * character outside the alphabet like any other. */
static long
b64_clean(const char *text, size_t len, int url, char *buf, size_t *npad)
{
	size_t i, n = 0, pad = 0;
	int c;

	for (i = 0; i < len; i++) {
		if ((c = b64_map_char(text[i], url)) < 0)
			return -1;
		if (c == '=')
			pad++;
		else if (pad > 0)
			return -1;	/* data after padding */
		buf[n++] = (char)c;
	}
	if (url && n % 4 != 0 && pad == 0) {
		if (n % 4 == 1)
			return -1;
		while (n % 4 != 0) {
			buf[n++] = '=';
			pad++;
		}
	}
	if (n % 4 != 0 || pad > 2)
		return -1;
	*npad = pad;
	return (long)n;
}

static int
b64_decode_common(const char *text, size_t len, int url, uint8_t **out, size_t *outlen)
{
	char *clean = NULL, *again = NULL;
	uint8_t *bin = NULL;
	size_t npad = 0;
	long n;
	int r = -1, got;

	*out = NULL;
	*outlen = 0;
	if ((text == NULL && len > 0) || len > B64_MAX_INPUT)
		return -1;
	if ((clean = malloc(len + 5)) == NULL)
		return -1;
	if ((n = b64_clean(text, len, url, clean, &npad)) < 0)
		goto done;
	if ((bin = malloc((size_t)n / 4 * 3 + 1)) == NULL)
		goto done;
	if ((got = EVP_DecodeBlock(bin, (const unsigned char *)clean, (int)n)) < 0 ||
	    (size_t)got < npad)
		goto done;
	got -= (int)npad;
	/* Canonical form only: re-encoding must give back the same text. */
	if ((again = b64_encode_std(bin, (size_t)got)) == NULL ||
	    strlen(again) != (size_t)n || memcmp(again, clean, (size_t)n) != 0)
		goto done;
	bin[got] = '\0';
	*out = bin;
	*outlen = (size_t)got;
	bin = NULL;
	r = 0;
done:
	free(clean);
	free(again);
	free(bin);
	return r;
}

int
ndes_b64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	return b64_decode_common(text, len, 0, out, outlen);
}

int
ndes_b64url_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	return b64_decode_common(text, len, 1, out, outlen);
}
