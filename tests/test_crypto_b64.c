#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "test_crypto_util.h"

/* RFC 4648 section 10 test vectors. */
static const char *const rfc_plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
static const char *const rfc_b64[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	"Zm9vYmFy" };
static const char *const rfc_b64url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE",
	"Zm9vYmFy" };

static void
assert_decodes(int url, const char *text, const void *want, size_t wantlen)
{
	uint8_t *out = (uint8_t *)"x";
	size_t outlen = 99;

	if (url)
		cr_assert_eq(ndes_b64url_decode(text, strlen(text), &out, &outlen), 0, "%s", text);
	else
		cr_assert_eq(ndes_b64_decode(text, strlen(text), &out, &outlen), 0, "%s", text);
	cr_assert_eq(outlen, wantlen, "%s: %zu bytes", text, outlen);
	cr_assert_eq(memcmp(out, want, wantlen), 0, "%s", text);
	cr_assert_eq(out[outlen], 0);
	free(out);
}

static void
assert_refused(int url, const char *text, size_t len)
{
	uint8_t *out = (uint8_t *)"x";
	size_t outlen = 99;
	int r = url ? ndes_b64url_decode(text, len, &out, &outlen) :
	    ndes_b64_decode(text, len, &out, &outlen);

	cr_assert_eq(r, -1, "%s decode of \"%s\" accepted", url ? "base64url" : "base64", text);
	cr_assert_null(out);
	cr_assert_eq(outlen, 0);
}

Test(b64, rfc4648_vectors_encode)
{
	size_t i;
	char *s;

	for (i = 0; i < sizeof(rfc_plain) / sizeof(rfc_plain[0]); i++) {
		s = ndes_b64_encode((const uint8_t *)rfc_plain[i], strlen(rfc_plain[i]));
		cr_assert_str_eq(s, rfc_b64[i]);
		free(s);
		s = ndes_b64url_encode((const uint8_t *)rfc_plain[i], strlen(rfc_plain[i]));
		cr_assert_str_eq(s, rfc_b64url[i]);
		free(s);
	}
}

Test(b64, rfc4648_vectors_decode)
{
	size_t i;

	for (i = 0; i < sizeof(rfc_plain) / sizeof(rfc_plain[0]); i++) {
		assert_decodes(0, rfc_b64[i], rfc_plain[i], strlen(rfc_plain[i]));
		assert_decodes(1, rfc_b64url[i], rfc_plain[i], strlen(rfc_plain[i]));
		/* base64url takes the padded form too */
		assert_decodes(1, rfc_b64[i], rfc_plain[i], strlen(rfc_plain[i]));
	}
}

Test(b64, url_alphabet_differs)
{
	static const uint8_t bin[] = { 0xfb, 0xff, 0xbf, 0xfe };
	char *s;

	s = ndes_b64_encode(bin, sizeof(bin));
	cr_assert_str_eq(s, "+/+//g==");
	free(s);
	s = ndes_b64url_encode(bin, sizeof(bin));
	cr_assert_str_eq(s, "-_-__g");
	free(s);
	assert_decodes(0, "+/+//g==", bin, sizeof(bin));
	assert_decodes(1, "-_-__g", bin, sizeof(bin));
	assert_decodes(1, "-_-__g==", bin, sizeof(bin));
	assert_refused(0, "-_-__g==", 8);
	assert_refused(1, "+/+//g==", 8);
	assert_refused(1, "-_-_/g", 6);
}

Test(b64, whitespace_is_refused)
{
	static const char *const bad[] = {
		" Zm9vYmFy", "Zm9v YmFy", "Zm9v\nYmFy", "Zm9v\r\nYmFy", "Zm9vYmFy\n",
		"Zm9vYmFy\r\n", "\tZg==", "Zg==\t", "Zm9vYg\n==", " ", "\n", "Zm9v\vYmFy",
		"Zm9v\fYmFy",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(0, bad[i], strlen(bad[i]));
		assert_refused(1, bad[i], strlen(bad[i]));
	}
}

Test(b64, invalid_input_refused)
{
	static const char *const bad[] = {
		"Zm9v!", "Zg=", "Zg", "Z===", "====", "Zg==Zg==", "Zm9vY", "Zh==",
		"Zm9=", "Zg=a", "Zm9v\x80", "Zm 9v Y", "=Zg=", "Zg===",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(0, bad[i], strlen(bad[i]));
	/* a NUL byte inside the given length */
	assert_refused(0, "Zm9v\0Zm9v", 9);
	assert_refused(1, "Zm9v\0Zm9v", 9);
	/* base64url: a remainder of one character, misplaced or extra padding */
	assert_refused(1, "Zm9vY", 5);
	assert_refused(1, "Zg=", 3);
	assert_refused(1, "Z=g", 3);
	assert_refused(1, "Zh", 2);
	assert_refused(1, "Zm9v.", 5);
	assert_refused(0, NULL, 4);
}

Test(b64, matches_openssl_cli, .init = tu_setup, .fini = workdir_leave)
{
	uint8_t *bin, *dec;
	size_t len, declen;
	char *cli, *ours;

	tu_sh("\"$OPENSSL\" rand -out rand.bin 1000");
	bin = tu_read("rand.bin", &len);
	cr_assert_eq(len, 1000);
	cli = tu_sh_out("\"$OPENSSL\" base64 -A -in rand.bin");
	ours = ndes_b64_encode(bin, len);
	cr_assert_str_eq(ours, cli);
	cr_assert_eq(ndes_b64_decode(cli, strlen(cli), &dec, &declen), 0);
	cr_assert_eq(declen, len);
	cr_assert_eq(memcmp(dec, bin, len), 0);
	free(dec);
	free(cli);
	/* the wrapped (64 columns) form is refused: one line only */
	cli = tu_sh_out("\"$OPENSSL\" base64 -in rand.bin");
	cr_assert_not_null(strchr(cli, '\n'));
	assert_refused(0, cli, strlen(cli));
	free(cli);
	free(ours);
	free(bin);
}

Test(b64, round_trip_all_lengths)
{
	uint8_t buf[300], *dec;
	size_t n, i, declen;
	char *s;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (n = 0; n <= sizeof(buf); n++) {
		s = ndes_b64url_encode(buf, n);
		cr_assert_not_null(s);
		cr_assert_null(strchr(s, '='));
		cr_assert_eq(ndes_b64url_decode(s, strlen(s), &dec, &declen), 0);
		cr_assert_eq(declen, n);
		cr_assert_eq(memcmp(dec, buf, n), 0);
		free(dec);
		free(s);
		s = ndes_b64_encode(buf, n);
		cr_assert_eq(strlen(s), 4 * ((n + 2) / 3));
		cr_assert_eq(ndes_b64_decode(s, strlen(s), &dec, &declen), 0);
		cr_assert_eq(declen, n);
		cr_assert_eq(memcmp(dec, buf, n), 0);
		free(dec);
		free(s);
	}
}
