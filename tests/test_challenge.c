#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "challenge.h"
#include "lib/forge.h"
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

/* The EC recipient's ephemeral key is checked to be a point of the curve
 * before any key agreement with it (the quick check that replaces
 * OpenSSL's full validation): one coordinate changed, and it is refused
 * for that reason, not later by the key unwrap. */
Test(challenge, ephemeral_key_off_the_curve_is_refused)
{
	char *text = seal_to(crp_ec_cert, NULL), *bad, err[256];
	/* P-384: BIT STRING of 98 bytes, no unused bits, uncompressed point */
	static const uint8_t point_hdr[] = { 0x03, 0x62, 0x00, 0x04 };
	struct ndes_challenge_claims c;
	uint8_t *der, *pt;
	size_t len;

	cr_assert_eq(ndes_b64_decode(text, strlen(text), &der, &len), 0);
	cr_assert_not_null(pt = memmem(der, len, point_hdr, sizeof(point_hdr)));
	pt[sizeof(point_hdr) + 96 - 1] ^= 0x01;		/* the last byte of y */
	cr_assert_not_null(bad = ndes_b64_encode(der, len));
	cr_assert_eq(open_with(bad, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
	    NDES_CHALLENGE_MALFORMED);
	cr_assert_str_eq(err, "challenge does not decrypt: its ephemeral key is not a point of "
	    "the recipient's curve");
	pt[sizeof(point_hdr) + 96 - 1] ^= 0x01;
	free(bad);
	cr_assert_not_null(bad = ndes_b64_encode(der, len));
	cr_assert_eq(open_with(bad, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
	    NDES_CHALLENGE_OK, "%s", err);
	ndes_challenge_claims_clear(&c);
	free(bad);
	free(der);
	free(text);
}

/* An RSA recipient's key encryption algorithm, exactly: RSAES-OAEP with
 * SHA-256 and MGF1 with SHA-256, the label absent (RFC 4055 section 4.1;
 * SHA-256's own parameters absent, as OpenSSL writes them). */
Test(challenge, rsa_recipient_is_oaep_sha256_with_mgf1_sha256)
{
	static const uint8_t params_der[] = {
		0x30, 0x2b,
		0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x01,
		0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x01, 0x08, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x01,
	};
	char *text = seal_to(crp_rsa_cert, NULL);
	const ASN1_OBJECT *oid;
	const ASN1_STRING *params;
	const void *pval;
	X509_ALGOR *alg = NULL;
	CMS_ContentInfo *env;
	CMS_RecipientInfo *ri;
	const uint8_t *p;
	uint8_t *der;
	size_t len;
	int ptype;

	cr_assert_eq(ndes_b64_decode(text, strlen(text), &der, &len), 0);
	p = der;
	cr_assert_not_null(env = d2i_CMS_ContentInfo(NULL, &p, (long)len));
	ri = sk_CMS_RecipientInfo_value(CMS_get0_RecipientInfos(env), 0);
	cr_assert_eq(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_TRANS);
	cr_assert_eq(CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL, &alg), 1);
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	cr_assert_eq(OBJ_obj2nid(oid), NID_rsaesOaep);
	cr_assert_eq(ptype, V_ASN1_SEQUENCE);
	params = pval;
	cr_assert_eq(ASN1_STRING_length(params), (int)sizeof(params_der));
	cr_assert_eq(memcmp(ASN1_STRING_get0_data(params), params_der, sizeof(params_der)), 0);
	CMS_ContentInfo_free(env);
	free(der);
	free(text);
}

/* The challenge with its EC recipient's ephemeral point replaced by the
 * given encoding (through OpenSSL's CMS API, re-encoded). */
static char *
with_ephemeral_point(const char *text, const uint8_t *point, int len)
{
	CMS_ContentInfo *env;
	CMS_RecipientInfo *ri;
	ASN1_BIT_STRING *pub = NULL;
	X509_ALGOR *alg = NULL;
	uint8_t *der, *out = NULL;
	const uint8_t *p;
	size_t der_len;
	int out_len;
	char *bad;

	cr_assert_eq(ndes_b64_decode(text, strlen(text), &der, &der_len), 0);
	p = der;
	cr_assert_not_null(env = d2i_CMS_ContentInfo(NULL, &p, (long)der_len));
	ri = sk_CMS_RecipientInfo_value(CMS_get0_RecipientInfos(env), 0);
	cr_assert_eq(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_AGREE);
	cr_assert_eq(CMS_RecipientInfo_kari_get0_orig_id(ri, &alg, &pub, NULL, NULL, NULL), 1);
	cr_assert_eq(ASN1_BIT_STRING_set(pub, (unsigned char *)point, len), 1);
	cr_assert_gt(out_len = i2d_CMS_ContentInfo(env, &out), 0);
	cr_assert_not_null(bad = ndes_b64_encode(out, (size_t)out_len));
	OPENSSL_free(out);
	CMS_ContentInfo_free(env);
	free(der);
	return bad;
}

/* What the quick check refuses beyond a point off the curve, for the same
 * reason and before any key agreement: the point at infinity (its one-byte
 * encoding 00) and an x coordinate not below the field prime. */
Test(challenge, ephemeral_key_at_infinity_or_out_of_range_is_refused)
{
	char *text = seal_to(crp_ec_cert, NULL), *bad, err[256];
	struct ndes_challenge_claims c;
	uint8_t infinity[1] = { 0x00 }, out_of_range[97];

	out_of_range[0] = 0x04;
	memset(out_of_range + 1, 0xFF, 48);		/* x = 2^384 - 1 > p */
	memset(out_of_range + 49, 0x01, 48);
	for (int i = 0; i < 2; i++) {
		bad = i == 0 ? with_ephemeral_point(text, infinity, sizeof(infinity)) :
		    with_ephemeral_point(text, out_of_range, sizeof(out_of_range));
		cr_assert_eq(open_with(bad, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
		    NDES_CHALLENGE_MALFORMED);
		cr_assert_str_eq(err, "challenge does not decrypt: its ephemeral key is not a "
		    "point of the recipient's curve", "case %d: %s", i, err);
		free(bad);
	}
	free(text);
}

/* A challenge sealed to recipient, opened with (cert, key) and the pinned
 * signer (NULL: none downloaded): refused with want. */
static void
expect_open_refused(X509 *recipient, X509 *cert, EVP_PKEY *key, X509 *signer,
    enum ndes_challenge_error want)
{
	char *text = seal_to(recipient, NULL);
	struct ndes_challenge_claims c;
	char err[256] = "";

	cr_assert_eq(open_with(text, cert, key, signer, &c, err), want, "%s", err);
	free(text);
}

Test(challenge, not_a_recipient_is_no_recipient_key)
{
	expect_open_refused(crp_rsa_cert, other_cert, other_key, sign_cert,
	    NDES_CHALLENGE_NO_RECIPIENT_KEY);
}

Test(challenge, no_signing_cert_downloaded)
{
	expect_open_refused(crp_ec_cert, crp_ec_cert, crp_ec_key, NULL,
	    NDES_CHALLENGE_NO_SIGNING_CERT);
}

Test(challenge, signer_not_among_the_pinned_is_unknown)
{
	expect_open_refused(crp_ec_cert, crp_ec_cert, crp_ec_key, other_cert,
	    NDES_CHALLENGE_UNKNOWN_SIGNER);
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
	    err), NDES_CHALLENGE_NOT_BASE64);
	cr_assert_eq(open_with("bm90IGEgY2hhbGxlbmdl", crp_rsa_cert, crp_rsa_key, sign_cert, &c,
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

/* ---- the text: strict base64 (docs/challenge.md, layer 1) ---------------- */

/* text with `insert` put in at `at` (negative: from the end). */
static char *
spliced(const char *text, long at, const char *insert)
{
	size_t n = strlen(text), k = strlen(insert);
	size_t pos = at < 0 ? n - (size_t)-at : (size_t)at;
	char *out = malloc(n + k + 1);

	memcpy(out, text, pos);
	memcpy(out + pos, insert, k);
	memcpy(out + pos + k, text + pos, n - pos + 1);
	return out;
}

Test(challenge, whitespace_anywhere_is_not_base64)
{
	static const struct { long at; const char *what; } cases[] = {
		{ 0, " " }, { 0, "\t" }, { 64, "\n" }, { 76, "\r\n" }, { 100, " " },
		{ -1, "\n" }, { -4, "\n" }, { 0, "\n" },
	};
	char *text = seal_to(crp_ec_cert, NULL), *bad, err[256];
	struct ndes_challenge_claims c;

	cr_assert_eq(open_with(text, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
	    NDES_CHALLENGE_OK, "%s", err);
	ndes_challenge_claims_clear(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = spliced(text, cases[i].at, cases[i].what);
		cr_assert_eq(open_with(bad, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
		    NDES_CHALLENGE_NOT_BASE64, "case %zu", i);
		free(bad);
	}
	bad = strdup(text);
	while (bad[strlen(bad) - 1] == '=')
		bad[strlen(bad) - 1] = '\0';	/* padding dropped (if any) */
	if (strlen(bad) != strlen(text))
		cr_assert_eq(open_with(bad, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
		    NDES_CHALLENGE_NOT_BASE64);
	free(bad);
	free(text);
}

/* ---- the signature: pinned signer (docs/challenge.md, layer 3) ----------- */

static char *sample_json;

static void
forge_setup(void)
{
	struct ndes_challenge_claims c;

	pki_setup();
	sample_claims(&c);
	sample_json = ndes_challenge_claims_to_json(&c);
}

static void
forge_teardown(void)
{
	free(sample_json);
	pki_teardown();
}

TestSuite(pinned, .init = forge_setup, .fini = forge_teardown);

/* Open the forgery s (content: the sample claims unless given; signer: the
 * real one unless given) with pinned as the only downloaded signing
 * certificate. */
static enum ndes_challenge_error
open_forged(struct forge_spec *s, X509 *pinned, char *err)
{
	struct ndes_challenge_claims c;
	enum ndes_challenge_error rc;
	char *text;

	if (s->content == NULL)
		s->content = sample_json;
	if (s->signer == NULL) {
		s->signer = sign_cert;
		s->key = sign_key;
	}
	text = forge_challenge(s, crp_ec_cert);
	rc = open_with(text, crp_ec_cert, crp_ec_key, pinned, &c, err);
	if (rc == NDES_CHALLENGE_OK) {
		cr_assert_str_eq(c.challenge_id, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60");
		ndes_challenge_claims_clear(&c);
	}
	free(text);
	return rc;
}

/* One row, one test: FORGED(test, expected result, pinned cert, spec fields). */
#define FORGED(name, expected, pin, ...)					\
	Test(pinned, name)							\
	{									\
		struct forge_spec s = { __VA_ARGS__ };				\
		char err[256] = "";						\
		cr_assert_eq(open_forged(&s, (pin), err), (expected),		\
		    "%s", err);							\
	}

/* The forge makes what the cloud makes: this one opens. */
FORGED(real_signer_opens, NDES_CHALLENGE_OK, sign_cert, .md = NULL)
FORGED(real_signer_sha384_opens, NDES_CHALLENGE_OK, sign_cert, .md = EVP_sha384())
FORGED(real_signer_sha512_opens, NDES_CHALLENGE_OK, sign_cert, .md = EVP_sha512())
FORGED(rsa_pkcs1_signer_opens, NDES_CHALLENGE_OK, crp_rsa_cert,
    .signer = crp_rsa_cert, .key = crp_rsa_key)

/* The reproduction: a self-made signer carried in the message. */
FORGED(self_signed_signer_embedded, NDES_CHALLENGE_CERTS_EMBEDDED, sign_cert,
    .signer = other_cert, .key = other_key, .embed = { other_cert })
FORGED(pinned_signer_embedded_too, NDES_CHALLENGE_CERTS_EMBEDDED, sign_cert,
    .embed = { sign_cert })
FORGED(content_type_not_id_data, NDES_CHALLENGE_CONTENT_INVALID, sign_cert,
    .econtent_type = "1.2.840.113549.1.9.16.1.4")
FORGED(content_detached, NDES_CHALLENGE_CONTENT_INVALID, sign_cert, .detached = true)
FORGED(second_signer_next_to_the_real_one, NDES_CHALLENGE_SIGNERS_NOT_ONE, sign_cert,
    .signer2 = other_cert, .key2 = other_key)
FORGED(real_signer_twice, NDES_CHALLENGE_SIGNERS_NOT_ONE, sign_cert,
    .signer2 = sign_cert, .key2 = sign_key)
FORGED(signed_attributes, NDES_CHALLENGE_ATTRIBUTES, sign_cert, .signed_attrs = true)
FORGED(unsigned_attribute, NDES_CHALLENGE_ATTRIBUTES, sign_cert, .unsigned_attr = true)
FORGED(sha1_digest, NDES_CHALLENGE_DIGEST_NOT_ALLOWED, sign_cert, .md = EVP_sha1())
FORGED(sha224_digest, NDES_CHALLENGE_DIGEST_NOT_ALLOWED, sign_cert, .md = EVP_sha224())
FORGED(rsa_pss_signature, NDES_CHALLENGE_SIGALG_NOT_ALLOWED, crp_rsa_cert,
    .signer = crp_rsa_cert, .key = crp_rsa_key, .rsa_pss = true)
FORGED(signature_algorithm_not_fitting_the_digest, NDES_CHALLENGE_SIGALG_NOT_ALLOWED,
    sign_cert, .sigalg_nid = NID_ecdsa_with_SHA384)
FORGED(rsa_algorithm_on_an_ec_key, NDES_CHALLENGE_SIGALG_NOT_ALLOWED, sign_cert,
    .sigalg_nid = NID_sha256WithRSAEncryption)
FORGED(dsa_algorithm_refused, NDES_CHALLENGE_SIGALG_NOT_ALLOWED, sign_cert,
    .sigalg_nid = NID_dsa_with_SHA256)

/* A certificate with the pinned one's issuer and serial number but another
 * key names the pinned certificate: the signature must then verify under
 * the pinned key. */
Test(pinned, real_signer_named_but_another_key_signed)
{
	X509 *fake = forge_impostor(sign_cert, other_key);
	struct forge_spec s = { .signer = fake, .key = other_key };
	char err[256];

	cr_assert_eq(open_forged(&s, sign_cert, err), NDES_CHALLENGE_BAD_SIGNATURE, "%s", err);
	s.embed[0] = sign_cert;	/* the real certificate carried as well */
	cr_assert_eq(open_forged(&s, sign_cert, err), NDES_CHALLENGE_CERTS_EMBEDDED, "%s", err);
	X509_free(fake);
}

Test(pinned, crl_embedded)
{
	X509_CRL *crl = forge_crl(sign_cert, sign_key);
	struct forge_spec s = { .signer = sign_cert, .key = sign_key, .crl = crl };
	char err[256];

	cr_assert_eq(open_forged(&s, sign_cert, err), NDES_CHALLENGE_CRLS_EMBEDDED, "%s", err);
	X509_CRL_free(crl);
}

Test(pinned, signer_of_another_ca_is_unknown)
{
	struct forge_pair ca, leaf;
	struct forge_spec s;
	char err[256];

	forge_other_ca(&ca, &leaf, "challenge signing");
	s = (struct forge_spec){ .signer = leaf.cert, .key = leaf.key };
	cr_assert_eq(open_forged(&s, sign_cert, err), NDES_CHALLENGE_UNKNOWN_SIGNER, "%s", err);
	/* pinning means the certificate itself, not its issuer */
	cr_assert_eq(open_forged(&s, ca.cert, err), NDES_CHALLENGE_UNKNOWN_SIGNER, "%s", err);
	forge_pair_free(&leaf);
	forge_pair_free(&ca);
}

Test(pinned, signer_named_by_subject_key_identifier)
{
	X509 *pinned = forge_cert_ext(sign_key, "challenge signing", "digitalSignature");
	X509 *other = forge_cert_ext(other_key, "someone else", "digitalSignature");
	struct forge_spec s = { .signer = pinned, .key = sign_key, .keyid = true };
	char err[256];

	cr_assert_eq(open_forged(&s, pinned, err), NDES_CHALLENGE_OK, "%s", err);
	s.signer = other;
	s.key = other_key;
	cr_assert_eq(open_forged(&s, pinned, err), NDES_CHALLENGE_UNKNOWN_SIGNER, "%s", err);
	X509_free(pinned);
	X509_free(other);
}

Test(pinned, pinned_certificate_out_of_its_validity_or_usage)
{
	X509 *expired = testpki_cert(sign_key, "old signing", NULL, NULL, -10L * 86400, 1);
	X509 *future = testpki_cert(sign_key, "next signing", NULL, NULL, 3600, 30);
	X509 *no_sig = forge_cert_ext(sign_key, "encryption only", "keyEncipherment");
	X509 *certs[] = { expired, future, no_sig };
	char err[256];

	for (size_t i = 0; i < 3; i++) {
		struct forge_spec s = { .signer = certs[i], .key = sign_key };

		cr_assert_eq(open_forged(&s, certs[i], err), NDES_CHALLENGE_SIGNER_UNUSABLE,
		    "case %zu: %s", i, err);
		X509_free(certs[i]);
	}
}

Test(pinned, bytes_after_the_signed_data_are_malformed)
{
	struct forge_spec s = { .content = sample_json, .signer = sign_cert, .key = sign_key };
	struct ndes_challenge_claims c;
	size_t len;
	uint8_t *der = forge_signed_data(&s, &len);
	char err[256], *text;

	der = realloc(der, len + 2);
	der[len] = 0x05;	/* an ASN.1 NULL after the SignedData */
	der[len + 1] = 0x00;
	text = forge_seal_der(der, len + 2, crp_ec_cert);
	cr_assert_eq(open_with(text, crp_ec_cert, crp_ec_key, sign_cert, &c, err),
	    NDES_CHALLENGE_MALFORMED, "%s", err);
	free(text);
	free(der);
}
