#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include <openssl/x509v3.h>

#include "challenge.h"
#include "lib/testpki.h"

static EVP_PKEY *sign_key, *crp_rsa_key, *crp_ec_key, *other_key;
static X509 *sign_cert, *crp_rsa_cert, *crp_ec_cert, *other_cert;

static void
pki_setup(void)
{
	sign_key = testpki_key("ec-p256");
	sign_cert = testpki_cert(sign_key, "challenge signing", NULL, NULL, 0, 30);
	crp_rsa_key = testpki_key("rsa-2048");
	crp_rsa_cert = testpki_cert(crp_rsa_key, "crp rsa", NULL, NULL, 0, 30);
	crp_ec_key = testpki_key("ec-p384");
	crp_ec_cert = testpki_cert(crp_ec_key, "crp ec", NULL, NULL, 0, 30);
	other_key = testpki_key("ec-p256");
	other_cert = testpki_cert(other_key, "someone else", NULL, NULL, 0, 30);
}

static void
pki_teardown(void)
{
	EVP_PKEY_free(sign_key);
	EVP_PKEY_free(crp_rsa_key);
	EVP_PKEY_free(crp_ec_key);
	EVP_PKEY_free(other_key);
	X509_free(sign_cert);
	X509_free(crp_rsa_cert);
	X509_free(crp_ec_cert);
	X509_free(other_cert);
}

TestSuite(challenge, .init = pki_setup, .fini = pki_teardown);

static void
sample_claims(struct ndes_challenge_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->version = NDES_CHALLENGE_VERSION;
	c->challenge_id = "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60";
	c->tenant_id = "tenant-1";
	c->profile_id = "wifi-user";
	c->device_id = "dev-42";
	c->user_id = "alice@contoso.com";
	c->cert_type = NDES_CHALLENGE_CERT_USER;
	c->issued_at = 1700000000;
	c->expires_at = 1700003600;
	c->subject = "CN=alice,O=Contoso";
	c->sans[0] = (struct ndes_challenge_san){ "email", "alice@contoso.com" };
	c->sans[1] = (struct ndes_challenge_san){ "upn", "alice@contoso.com" };
	c->n_sans = 2;
	c->key_type = "RSA";
	c->min_key_bits = 2048;
	c->key_usage = KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
	c->ekus[0] = "1.3.6.1.5.5.7.3.2";
	c->n_ekus = 1;
	c->hash = "sha256";
	c->validity_days = 365;
	c->template_name = "GeneralPurposeTemplate";
}

static char *
seal_to(X509 *r1, X509 *r2)
{
	struct ndes_challenge_claims c;
	STACK_OF(X509) *recipients = sk_X509_new_null();
	char err[256], *text = NULL;

	sample_claims(&c);
	sk_X509_push(recipients, r1);
	if (r2)
		sk_X509_push(recipients, r2);
	cr_assert_eq(ndes_challenge_seal(&c, sign_cert, sign_key, recipients, &text, err,
	    sizeof(err)), 0, "%s", err);
	sk_X509_free(recipients);
	return text;
}

static enum ndes_challenge_error
open_with(const char *text, X509 *cert, EVP_PKEY *key, X509 *signer,
    struct ndes_challenge_claims *out, char *err)
{
	struct ndes_challenge_key k = { cert, key };
	STACK_OF(X509) *signers = sk_X509_new_null();
	enum ndes_challenge_error rc;

	if (signer)
		sk_X509_push(signers, signer);
	rc = ndes_challenge_open(text, strlen(text), &k, 1, signers, out, err, 256);
	sk_X509_free(signers);
	return rc;
}

Test(challenge, round_trip_to_rsa_and_ec_recipients)
{
	char *text = seal_to(crp_rsa_cert, crp_ec_cert);
	struct ndes_challenge_claims c;
	char err[256];
	X509 *certs[] = { crp_rsa_cert, crp_ec_cert };
	EVP_PKEY *keys[] = { crp_rsa_key, crp_ec_key };

	cr_assert_lt(strlen(text), 6000, "challenge is %zu chars", strlen(text));
	cr_assert_eq(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/="), strlen(text), "challenge must be PrintableString-safe base64");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(open_with(text, certs[i], keys[i], sign_cert, &c, err),
		    NDES_CHALLENGE_OK, "%s", err);
		cr_assert_str_eq(c.challenge_id, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60");
		cr_assert_str_eq(c.subject, "CN=alice,O=Contoso");
		cr_assert_str_eq(c.user_id, "alice@contoso.com");
		cr_assert_eq(c.n_sans, 2);
		cr_assert_str_eq(c.sans[1].type, "upn");
		cr_assert_eq(c.key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
		cr_assert_eq(c.expires_at, 1700003600);
		cr_assert_str_eq(c.ekus[0], "1.3.6.1.5.5.7.3.2");
		cr_assert_str_eq(c.template_name, "GeneralPurposeTemplate");
		ndes_challenge_claims_clear(&c);
	}
	free(text);
}

Test(challenge, not_a_recipient_is_no_recipient_key)
{
	char *text = seal_to(crp_rsa_cert, NULL);
	struct ndes_challenge_claims c;
	char err[256];

	cr_assert_eq(open_with(text, other_cert, other_key, sign_cert, &c, err),
	    NDES_CHALLENGE_NO_RECIPIENT_KEY);
	free(text);
}

Test(challenge, no_signing_cert_downloaded)
{
	char *text = seal_to(crp_ec_cert, NULL);
	struct ndes_challenge_claims c;
	char err[256];

	cr_assert_eq(open_with(text, crp_ec_cert, crp_ec_key, NULL, &c, err),
	    NDES_CHALLENGE_NO_SIGNING_CERT);
	free(text);
}

Test(challenge, other_signer_is_bad_signature)
{
	char *text = seal_to(crp_ec_cert, NULL);
	struct ndes_challenge_claims c;
	char err[256];

	cr_assert_eq(open_with(text, crp_ec_cert, crp_ec_key, other_cert, &c, err),
	    NDES_CHALLENGE_BAD_SIGNATURE);
	free(text);
}

Test(challenge, tampered_ciphertext_and_garbage_are_malformed)
{
	char *text = seal_to(crp_rsa_cert, NULL);
	size_t n = strlen(text);
	struct ndes_challenge_claims c;
	char err[256];

	/* flip a character near the end: inside the GCM ciphertext or tag */
	text[n - 40] = text[n - 40] == 'A' ? 'B' : 'A';
	cr_assert_eq(open_with(text, crp_rsa_cert, crp_rsa_key, sign_cert, &c, err),
	    NDES_CHALLENGE_MALFORMED);
	cr_assert_eq(open_with("not a challenge", crp_rsa_cert, crp_rsa_key, sign_cert, &c,
	    err), NDES_CHALLENGE_MALFORMED);
	cr_assert_eq(open_with("", crp_rsa_cert, crp_rsa_key, sign_cert, &c, err),
	    NDES_CHALLENGE_MALFORMED);
	free(text);
}

Test(challenge, claims_json_names_the_bad_field)
{
	struct ndes_challenge_claims c;
	char err[256];
	const char *bad = "{\"ver\":1,\"id\":\"x\"}";

	cr_assert_eq(ndes_challenge_claims_from_json(bad, strlen(bad), &c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "tenant") != NULL, "%s", err);
}

Test(challenge, device_claims_without_user_round_trip)
{
	struct ndes_challenge_claims c, back;
	char err[256], *json;

	sample_claims(&c);
	c.cert_type = NDES_CHALLENGE_CERT_DEVICE;
	c.user_id = NULL;
	c.template_name = NULL;
	json = ndes_challenge_claims_to_json(&c);
	cr_assert_not_null(json);
	cr_assert_null(strstr(json, "userId"), "%s", json);
	cr_assert_eq(ndes_challenge_claims_from_json(json, strlen(json), &back, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_null(back.user_id);
	cr_assert_null(back.template_name);
	cr_assert_eq(back.cert_type, NDES_CHALLENGE_CERT_DEVICE);
	ndes_challenge_claims_clear(&back);
	free(json);
}
