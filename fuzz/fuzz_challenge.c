/* libFuzzer target: opening a challenge (common/challenge.c,
 * common/challenge_claims.c), the text a device puts in challengePassword.
 *
 * Input: a mode byte, then the bytes of that layer:
 *   'T'  the challenge text itself (base64 of the CMS AuthEnvelopedData);
 *   'S'  the inner SignedData (DER): the target encrypts it to the test CRP
 *        key, so the fuzzer reaches the signature check and what follows;
 *   'J'  the claims JSON: the target signs it with the test signing key and
 *        encrypts it to the test CRP key, so the fuzzer reaches the claims
 *        parser through the real envelope.
 * (Any other byte picks a mode by its value.)  Opened with CRP keys "crp"
 * and "crp-rsa" and signing certificate "signer".
 *
 * Invariants: a refusal has a message; an opened challenge has every
 * required claim; 'S' and 'J' are never refused for want of a recipient
 * key; 'J' is never refused for its signature, and opens exactly when the
 * claims parser alone accepts the JSON. */
#include "fuzz.h"
#include "fuzz_crp.h"

#include <stdlib.h>
#include <string.h>

#include "challenge.h"

static void
check_claims(const struct ndes_challenge_claims *c)
{
	FUZZ_CHECK(c->version == NDES_CHALLENGE_VERSION);
	FUZZ_CHECK(c->challenge_id != NULL && c->tenant_id != NULL && c->profile_id != NULL &&
	    c->device_id != NULL && c->subject != NULL && c->key_type != NULL &&
	    c->hash != NULL);
	FUZZ_CHECK(c->n_sans <= NDES_CHALLENGE_MAX_SANS && c->n_ekus <= NDES_CHALLENGE_MAX_EKUS);
	for (size_t i = 0; i < c->n_sans; i++)
		FUZZ_CHECK(c->sans[i].type != NULL && c->sans[i].value != NULL);
	for (size_t i = 0; i < c->n_ekus; i++)
		FUZZ_CHECK(c->ekus[i] != NULL);
}

static enum ndes_challenge_error
open_text(const char *text, size_t len)
{
	const struct crp_keyset *ks = fuzz_crp_keyset();
	struct ndes_challenge_claims claims;
	enum ndes_challenge_error rc;
	char err[256] = "";

	rc = ndes_challenge_open(text, len, ks->keys, ks->n_keys, ks->signing, &claims, err,
	    sizeof(err));
	fuzz_note("open: %d %s", rc, err);
	if (rc == NDES_CHALLENGE_OK)
		check_claims(&claims);
	else
		FUZZ_CHECK(err[0] != '\0');
	ndes_challenge_claims_clear(&claims);
	return rc;
}

static void
open_inner(const uint8_t *der, size_t len)
{
	char *text = fuzz_seal_envelope(der, len);

	if (text != NULL)
		FUZZ_CHECK(open_text(text, strlen(text)) != NDES_CHALLENGE_NO_RECIPIENT_KEY);
	free(text);
}

static void
open_claims(const uint8_t *json, size_t len)
{
	struct ndes_challenge_claims direct;
	char err[256], *text = fuzz_seal_claims(json, len);
	int parsed;

	if (text == NULL)
		return;
	parsed = ndes_challenge_claims_from_json((const char *)json, len, &direct, err,
	    sizeof(err));
	ndes_challenge_claims_clear(&direct);
	FUZZ_CHECK(open_text(text, strlen(text)) ==
	    (parsed == 0 ? NDES_CHALLENGE_OK : NDES_CHALLENGE_MALFORMED));
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] == 'T' ? 0 : data[0] == 'S' ? 1 : data[0] == 'J' ? 2 : data[0] % 3) {
	case 0:
		open_text((const char *)data + 1, size - 1);
		break;
	case 1:
		open_inner(data + 1, size - 1);
		break;
	default:
		open_claims(data + 1, size - 1);
		break;
	}
	return 0;
}
