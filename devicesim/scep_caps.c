/* GetCACaps (RFC 8894 section 3.5.2): one capability a line; the cipher
 * and the digest a request uses are the strongest the list allows. */
#include "scep_int.h"

#include <string.h>
#include <strings.h>

static void
caps_set(struct dsim_scep_caps *caps, const char *word, size_t len)
{
	static const struct { const char *name; size_t off; } names[] = {
		{ "POSTPKIOperation", offsetof(struct dsim_scep_caps, post) },
		{ "Renewal", offsetof(struct dsim_scep_caps, renewal) },
		{ "SCEPStandard", offsetof(struct dsim_scep_caps, scep_standard) },
		{ "AES", offsetof(struct dsim_scep_caps, aes) },
		{ "DES3", offsetof(struct dsim_scep_caps, des3) },
		{ "SHA-1", offsetof(struct dsim_scep_caps, sha1) },
		{ "SHA-256", offsetof(struct dsim_scep_caps, sha256) },
		{ "SHA-512", offsetof(struct dsim_scep_caps, sha512) },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && strncasecmp(names[i].name, word, len) == 0)
			*(bool *)((char *)caps + names[i].off) = true;
}

void
dsim_scep_caps_parse(const char *text, size_t len, struct dsim_scep_caps *caps)
{
	size_t i = 0, start, end;

	memset(caps, 0, sizeof(*caps));
	while (i < len) {
		start = i;
		while (i < len && text[i] != '\n')
			i++;
		end = i;
		while (end > start && (text[end - 1] == '\r' || text[end - 1] == ' '))
			end--;
		while (start < end && text[start] == ' ')
			start++;
		caps_set(caps, text + start, end - start);
		i++;
	}
	/* SCEPStandard means AES, SHA-256 and POSTPKIOperation (section 3.5.2). */
	if (caps->scep_standard)
		caps->aes = caps->sha256 = caps->post = true;
}

/* AES is AES-128-CBC (section 3.5.2); a server that lists neither AES nor
 * DES3 still gets triple DES, never single DES. */
const EVP_CIPHER *
dsim_scep_caps_cipher(const struct dsim_scep_caps *caps)
{
	return caps->aes ? EVP_aes_128_cbc() : EVP_des_ede3_cbc();
}

/* A server that lists no digest gets SHA-256, never MD5. */
const EVP_MD *
dsim_scep_caps_digest(const struct dsim_scep_caps *caps)
{
	if (caps->sha512)
		return EVP_sha512();
	if (caps->sha256 || !caps->sha1)
		return EVP_sha256();
	return EVP_sha1();
}
