/* ndes-crpd verification, end to end: the real daemon, challenges minted
 * with the codec, CSRs built with OpenSSL, every path of the verification
 * with its exact event and diagnostic code, read back from a real journald
 * (journalctl -o json; tests/lib/journal.sh starts one when none runs). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "b64.h"
#include "crypto.h"
#include "ipc_client.h"
#include "lib/crpd_harness.h"
#include "lib/forge.h"
#include "lib/json_expect.h"
#include "lib/testpki.h"
#include "test_events_util.h"

static struct crpd_h *h;
static EVP_PKEY *dev_key;

static void
start_with(const struct crpd_h_opts *o)
{
	struct crpd_h_opts journal = { .journal = true };

	if (o != NULL)
		journal = *o;
	journal.journal = true;
	evt_ensure_journal();
	dev_key = testpki_key("ec-p256");
	h = crpd_h_launch(&journal);
}

static void
setup(void)
{
	start_with(NULL);
}

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(dev_key);
}

TestSuite(crpd_verify, .init = setup, .fini = teardown, .timeout = 60);

/* Verify csr spec s (challenge from claims c unless s->challenge is set). */
static void
run(struct ndes_challenge_claims *c, struct crpd_h_csr_spec *s, const char *txn,
    struct crpd_h_reply *out)
{
	char *text = NULL;
	uint8_t *csr;
	size_t len;

	if (c != NULL && s->challenge == NULL) {
		text = crpd_h_seal(h, c);
		s->challenge = text;
	}
	csr = crpd_h_csr(s, &len);
	crpd_h_verify(h, csr, len, txn, out);
	OPENSSL_free(csr);
	free(text);
}

/* Expect the refusal (event, code) in the reply and as the only event. */
static void
expect_refused(const struct crpd_h_reply *r, const char *txn, int event_id, uint32_t code)
{
	json_t *arr, *e;

	cr_assert_not(r->verified, "verified, expected %d 0x%08X", event_id, code);
	cr_assert_eq(r->event_id, (uint32_t)event_id, "event %u (%s)", r->event_id, r->reason);
	cr_assert_eq(r->code, code, "code 0x%08X, expected 0x%08X (%s)", r->code, code,
	    r->reason);
	e = crpd_h_expect_event(h, txn, event_id, code, &arr);
	cr_assert_str_eq(json_string_value(json_object_get(e, "SYSLOG_IDENTIFIER")),
	    "ndes-crpd");
	json_decref(arr);
}

/* A challenge text (NULL: none) in the default CSR: refused with 20502 and code. */
static void
expect_challenge_refused(const char *challenge, const char *txn, uint32_t code)
{
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;

	crpd_h_csr_default(&s, dev_key, challenge);
	run(NULL, &s, txn, &r);
	expect_refused(&r, txn, 20502, code);
}

/* The default claims sealed by sign_cert/sign_key to recipient: refused
 * with 20502 and code. */
static void
expect_sealed_refused(const char *challenge_id, X509 *sign_cert, EVP_PKEY *sign_key,
    X509 *recipient, const char *txn, uint32_t code)
{
	struct ndes_challenge_claims c;
	char *text;

	crpd_h_claims(&c, challenge_id);
	text = crpd_h_seal_with(&c, sign_cert, sign_key, recipient);
	expect_challenge_refused(text, txn, code);
	free(text);
}

/* Default claims c and CSR s (challenge ID id_prefix txn) after the
 * statements in ..., verified into the reply r. */
#define VERIFY_CHANGED(id_prefix, txn, r, ...) do {				\
	struct ndes_challenge_claims c;						\
	struct crpd_h_csr_spec s;						\
	crpd_h_claims(&c, id_prefix txn);					\
	crpd_h_csr_default(&s, dev_key, NULL);					\
	__VA_ARGS__;								\
	run(&c, &s, txn, &(r));							\
} while (0)

/* The tables below: one row, one test (one TAP result).
 *   MISMATCH(test, txn, event, code, change): refused with event and code
 *   ACCEPTED(test, txn, change): verified */
#define MISMATCH(name, txn, event_id, code, ...)				\
	Test(crpd_verify, name)							\
	{									\
		struct crpd_h_reply r;						\
		VERIFY_CHANGED("0b9a7a8e-1111-4c55-9a7e-", txn, r, __VA_ARGS__);\
		expect_refused(&r, txn, event_id, code);			\
	}
#define ACCEPTED(name, txn, ...)						\
	Test(crpd_verify, name)							\
	{									\
		struct crpd_h_reply r;						\
		VERIFY_CHANGED("0b9a7a8e-2222-4c55-9a7e-", txn, r, __VA_ARGS__);\
		cr_assert(r.verified, "%s: refused %u 0x%08X: %s", txn,		\
		    r.event_id, r.code, r.reason);				\
	}

Test(crpd_verify, success_event_carries_the_ids)
{
	struct crpd_h_reply r;
	json_t *arr, *e;

	crpd_h_verify_default(h, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60", dev_key, "txn-ok", &r);
	cr_assert(r.verified, "refused: %u 0x%08X %s", r.event_id, r.code, r.reason);
	cr_assert_eq(r.event_id, 20500);
	cr_assert_eq(r.code, 0);
	cr_assert_str_eq(r.challenge_id, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60");
	cr_assert_str_eq(r.device_id, "device-0001");
	cr_assert_str_eq(r.user_id, "alice@contoso.com");
	e = crpd_h_expect_event(h, "txn-ok", 20500, 0, &arr);
	json_expect_strings(e,
	    "NDES_EVENT_NAME", "CRPVerifyMetric_Success",
	    "NDES_DEVICE_ID", "device-0001",
	    "NDES_USER_ID", "alice@contoso.com",
	    "NDES_CHALLENGE_ID", "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60",
	    "NDES_TEMPLATE_NAME", "UserTemplate", NULL);
	json_decref(arr);
}

/* A request without a transaction ID (micromdm's scepserver 2.1.0 gives
 * its hook none): crpd names it by the SHA-256 of the request's public key,
 * records it, puts it in the event and returns it in the reply; one that
 * names a transaction gets that one back. */
Test(crpd_verify, without_a_transaction_id_the_key_names_it)
{
	char pk[NDES_CRYPTO_HEX_MAX];
	struct crpd_h_reply r;
	json_t *arr;

	cr_assert_eq(ndes_crypto_pubkey_sha256(dev_key, pk, sizeof(pk)), 0);
	cr_assert_eq(strlen(pk), 64);
	crpd_h_verify_default(h, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f61", dev_key, "", &r);
	cr_assert(r.verified, "refused: %u 0x%08X %s", r.event_id, r.code, r.reason);
	cr_assert_str_eq(r.transaction_id, pk);
	crpd_h_expect_event(h, pk, 20500, 0, &arr);
	json_decref(arr);
	crpd_h_verify_default(h, "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f62", dev_key, "txn-named",
	    &r);
	cr_assert(r.verified, "refused: %u 0x%08X %s", r.event_id, r.code, r.reason);
	cr_assert_str_eq(r.transaction_id, "txn-named");
}

Test(crpd_verify, no_challenge_password)
{
	expect_challenge_refused(NULL, "txn-nopw", 0x100B);
}

Test(crpd_verify, csr_that_does_not_parse)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct crpd_h_reply r;

	crpd_h_verify(h, junk, sizeof(junk), "txn-junk", &r);
	expect_refused(&r, "txn-junk", 20502, 0x100D);
}

Test(crpd_verify, challenge_that_is_not_base64)
{
	expect_challenge_refused("not a challenge at all", "txn-notb64", 0x1017);
}

Test(crpd_verify, challenge_that_is_base64_but_not_cms)
{
	expect_challenge_refused("bm90IGEgY2hhbGxlbmdl", "txn-notcms", 0x410);
}

Test(crpd_verify, tampered_ciphertext)
{
	struct ndes_challenge_claims c;
	char *text, *tampered;
	uint8_t *der;
	size_t len;

	crpd_h_claims(&c, "9d7e0a61-3333-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal(h, &c);
	cr_assert_eq(ndes_b64_decode(text, strlen(text), &der, &len), 0);
	der[len - 40] ^= 0x5A;	/* inside the encrypted content, before the GCM tag */
	tampered = ndes_b64_encode(der, len);
	expect_challenge_refused(tampered, "txn-tampered", 0x410);
	free(der);
	free(text);
	free(tampered);
}

Test(crpd_verify, encrypted_to_another_connector_only)
{
	EVP_PKEY *other_key = testpki_key("ec-p256");
	X509 *other = testpki_cert(other_key, "another connector", NULL, NULL, -60, 30);

	expect_sealed_refused("4a4a4a4a-4444-4c55-9a7e-1b2c3d4e5f60", h->sign_cert,
	    h->sign_key, other, "txn-other-connector", 0x408);
	X509_free(other);
	EVP_PKEY_free(other_key);
}

Test(crpd_verify, signed_by_another_key)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	/* Same subject as the real signer, another serial number and key: it
	 * names no downloaded signing certificate. */
	X509 *cert = testpki_cert(k, "challenge signing", NULL, NULL, -60, 30);

	expect_sealed_refused("5b5b5b5b-5555-4c55-9a7e-1b2c3d4e5f60", cert, k, h->crp_cert,
	    "txn-badsig", 0x1015);
	X509_free(cert);
	EVP_PKEY_free(k);
}

/* ---- forged challenges: the pinned signer (docs/challenge.md) ---------------
 * Each is sealed in the real envelope to this crpd's CRP certificate, so
 * only the signature layer is wrong. */

/* The default claims for id, signed as s says (the real signer unless
 * s->signer is set), sealed to crpd. */
static char *
forged_text(struct forge_spec *s, const char *id)
{
	struct ndes_challenge_claims c;
	char *json, *text;

	crpd_h_claims(&c, id);
	json = ndes_challenge_claims_to_json(&c);
	cr_assert_not_null(json);
	s->content = json;
	if (s->signer == NULL) {
		s->signer = h->sign_cert;
		s->key = h->sign_key;
	}
	text = forge_challenge(s, h->crp_cert);
	free(json);
	return text;
}

static void
expect_forgery_refused(struct forge_spec *s, const char *txn, uint32_t code)
{
	char *text = forged_text(s, "0b9a7a8e-4444-4c55-9a7e-1b2c3d4e5f60");

	expect_challenge_refused(text, txn, code);
	free(text);
}

/* One row, one test: FORGERY(test, txn, code, spec fields). */
#define FORGERY(name, txn, code, ...)						\
	Test(crpd_verify, name)							\
	{									\
		struct forge_spec s = { __VA_ARGS__ };				\
		expect_forgery_refused(&s, txn, code);				\
	}

Test(crpd_verify, forged_by_the_real_signer_is_verified)
{
	struct forge_spec s = { .md = EVP_sha512() };
	char *text = forged_text(&s, "0b9a7a8e-4444-4c55-9a7e-1b2c3d4e5f60");
	struct crpd_h_csr_spec cs;
	struct crpd_h_reply r;

	crpd_h_csr_default(&cs, dev_key, text);
	run(NULL, &cs, "txn-forge-control", &r);
	cr_assert(r.verified, "refused %u 0x%08X: %s", r.event_id, r.code, r.reason);
	free(text);
}

/* The reproduction: any self-made key, its certificate embedded. */
Test(crpd_verify, forged_self_signed_signer_embedded)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *cert = testpki_cert(k, "evil", NULL, NULL, -60, 30);
	struct forge_spec s = { .signer = cert, .key = k, .embed = { cert } };

	expect_forgery_refused(&s, "txn-forge-embedded", 0x100E);
	X509_free(cert);
	EVP_PKEY_free(k);
}

/* The real signer's certificate embedded, the signature made by another
 * key under its name; without the certificate, the signature itself fails. */
Test(crpd_verify, forged_real_certificate_other_key)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *fake = forge_impostor(h->sign_cert, k);
	struct forge_spec s = { .signer = fake, .key = k, .embed = { h->sign_cert } };

	expect_forgery_refused(&s, "txn-forge-realcert", 0x100E);
	s.embed[0] = NULL;
	expect_forgery_refused(&s, "txn-forge-impostor", 0x100C);
	X509_free(fake);
	EVP_PKEY_free(k);
}

Test(crpd_verify, forged_second_signer_next_to_the_real_one)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *cert = testpki_cert(k, "evil", NULL, NULL, -60, 30);
	struct forge_spec s = { .signer2 = cert, .key2 = k };

	expect_forgery_refused(&s, "txn-forge-two", 0x1011);
	X509_free(cert);
	EVP_PKEY_free(k);
}

Test(crpd_verify, forged_signer_of_another_ca)
{
	struct forge_pair ca, leaf;
	struct forge_spec s;

	forge_other_ca(&ca, &leaf, "challenge signing");
	s = (struct forge_spec){ .signer = leaf.cert, .key = leaf.key };
	expect_forgery_refused(&s, "txn-forge-otherca", 0x1015);
	forge_pair_free(&leaf);
	forge_pair_free(&ca);
}

Test(crpd_verify, forged_crl_embedded)
{
	X509_CRL *crl = forge_crl(h->sign_cert, h->sign_key);
	struct forge_spec s = { .crl = crl };

	expect_forgery_refused(&s, "txn-forge-crl", 0x100F);
	X509_CRL_free(crl);
}

FORGERY(forged_weak_digest_sha1, "txn-forge-sha1", 0x1013, .md = EVP_sha1())
FORGERY(forged_content_type, "txn-forge-ctype", 0x1010,
    .econtent_type = "1.2.840.113549.1.9.16.1.4")
FORGERY(forged_signed_attributes, "txn-forge-attrs", 0x1012, .signed_attrs = true)
FORGERY(forged_signature_algorithm, "txn-forge-sigalg", 0x1014,
    .sigalg_nid = NID_sha256WithRSAEncryption)

/* The downloaded signing certificate has expired: what it signed is refused
 * although the signature is good. */
Test(crpd_verify, signing_certificate_expired)
{
	struct crpd_h_opts o = { .journal = true };
	X509 *old;
	char *p;

	crpd_h_finish(&h);
	h = crpd_h_new(&o);
	old = testpki_cert(h->sign_key, "challenge signing", NULL, NULL, -10L * 86400, 1);
	p = crpd_h_path(h, "signing/signing-certs.pem");
	crpd_h_write_certs(p, &old, 1);
	X509_free(h->sign_cert);
	h->sign_cert = old;
	crpd_h_start(h);
	expect_sealed_refused("6c6c6c6c-6666-4c55-9a7e-1b2c3d4e5f60", h->sign_cert, h->sign_key,
	    h->crp_cert, "txn-signing-expired", 0x1016);
	free(p);
}

/* A good challenge with whitespace put in: line breaks every 64 characters,
 * CRLF, a leading space. */
Test(crpd_verify, challenge_with_whitespace)
{
	static const char *const how[] = { "lf64", "crlf76", "space" };
	struct ndes_challenge_claims c;
	char *text, *bad, txn[32];
	size_t n, k;

	crpd_h_claims(&c, "0b9a7a8e-5555-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal(h, &c);
	n = strlen(text);
	for (size_t i = 0; i < 3; i++) {
		bad = calloc(1, 2 * n + 2);
		if (i == 2)
			snprintf(bad, 2 * n + 2, " %s", text);
		for (size_t j = 0; i < 2 && j < n; j += k) {
			k = n - j < (i == 0 ? 64 : 76) ? n - j : (i == 0 ? 64 : 76);
			strncat(bad, text + j, k);
			strcat(bad, i == 0 ? "\n" : "\r\n");
		}
		snprintf(txn, sizeof(txn), "txn-ws-%s", how[i]);
		expect_challenge_refused(bad, txn, 0x1017);
		free(bad);
	}
	free(text);
}

MISMATCH(claims_that_do_not_parse, "claims-v2", 20502, 0x410, c.version = 2)
MISMATCH(expired, "expired", 20501, 0x411, c.expires_at = (int64_t)time(NULL) - 5)
/* exp = now: expired during its first second already (expiresIn: 0). */
MISMATCH(expired_at_its_exp_second, "expired-now", 20501, 0x411,
    c.expires_at = c.issued_at = (int64_t)time(NULL))
MISMATCH(bad_csr_signature, "csr-sig", 20501, 0x1001, s.corrupt_signature = true)
MISMATCH(other_tenant, "tenant", 20501, 0x1002,
    c.tenant_id = "11111111-2222-3333-4444-555555555555")
ACCEPTED(tenant_compares_without_case, "tenant-case",
    c.tenant_id = "5C0E1F4A-8F61-4A7E-9D55-0B1E2F3A4B5C")
MISMATCH(subject_differs, "subject", 20501, 0x1003, s.subject[1][1] = "mallory")
MISMATCH(subject_in_another_order, "subject-order", 20501, 0x1003, {
	s.subject[0][0] = "CN"; s.subject[0][1] = "alice";
	s.subject[1][0] = "O"; s.subject[1][1] = "Contoso";
})
MISMATCH(san_missing, "san-missing", 20501, 0x1004, s.sans[1].type = NULL)
MISMATCH(san_extra, "san-extra", 20501, 0x1004,
    s.sans[2] = ((struct crpd_h_san){ "dns", "alice.contoso.com" }))
MISMATCH(san_other_value, "san-value", 20501, 0x1004,
    s.sans[1] = ((struct crpd_h_san){ "upn", "mallory@contoso.com" }))
MISMATCH(san_type_swapped, "san-type", 20501, 0x1004,
    s.sans[1] = ((struct crpd_h_san){ "email", "alice@contoso.com" }))
MISMATCH(san_ip_never_matches, "san-ip", 20501, 0x1004, {
	s.sans[2] = ((struct crpd_h_san){ "ip", "192.0.2.1" });
	c.sans[2] = (struct ndes_challenge_san){ "dns", "192.0.2.1" };
	c.n_sans = 3;
})
ACCEPTED(san_order_does_not_matter, "san-order", {
	s.sans[0] = ((struct crpd_h_san){ "upn", "alice@contoso.com" });
	s.sans[1] = ((struct crpd_h_san){ "email", "alice@contoso.com" });
	s.sans[2] = ((struct crpd_h_san){ "uri", "https://contoso.com/alice" });
	s.sans[3] = ((struct crpd_h_san){ "dns", "alice.contoso.com" });
	c.sans[2] = (struct ndes_challenge_san){ "dns", "alice.contoso.com" };
	c.sans[3] = (struct ndes_challenge_san){ "uri", "https://contoso.com/alice" };
	c.n_sans = 4;
})
MISMATCH(key_type_differs, "key-type", 20501, 0x1005, {
	c.key_type = "RSA";
	c.min_key_bits = 2048;
})
MISMATCH(key_too_small, "key-size", 20501, 0x1006, c.min_key_bits = 384)
MISMATCH(key_usage_more_than_allowed, "ku-more", 20501, 0x1007,
    s.key_usage = "digitalSignature,keyAgreement")
MISMATCH(key_usage_missing, "ku-missing", 20501, 0x1007, s.key_usage = NULL)
ACCEPTED(no_key_usage_on_either_side, "ku-none", {
	s.key_usage = NULL;
	c.key_usage = 0;
})
MISMATCH(eku_extra, "eku-extra", 20501, 0x1008,
    s.ekus = "1.3.6.1.5.5.7.3.2,1.3.6.1.5.5.7.3.4")
MISMATCH(eku_missing, "eku-missing", 20501, 0x1008, s.ekus = NULL)
MISMATCH(hash_differs, "hash", 20501, 0x1009, s.md = EVP_sha384())
ACCEPTED(challenge_of_6000_characters_is_carried, "long-challenge", {
	static char pad[4400];
	memset(pad, 'x', sizeof(pad) - 1);
	c.profile_id = pad;	/* makes the challenge ~6,000 characters */
})
ACCEPTED(challenge_of_60000_characters_is_carried, "longer-challenge", {
	static char pad[44000];
	memset(pad, 'y', sizeof(pad) - 1);
	c.profile_id = pad;	/* about 60,000 characters of base64 */
})

/* Recipients and signers of every supported kind. */
static void
kinds(const char *crp_alg, const char *sign_alg, const char *txn)
{
	struct crpd_h_opts o = { .crp_alg = crp_alg, .sign_alg = sign_alg };
	struct crpd_h_reply r;

	teardown();
	start_with(&o);
	crpd_h_verify_default(h, "7c7c7c7c-7777-4c55-9a7e-1b2c3d4e5f60", dev_key, txn, &r);
	cr_assert(r.verified, "%s/%s refused: %u 0x%08X %s", crp_alg, sign_alg, r.event_id,
	    r.code, r.reason);
}

/* One row, one test: KINDS(test, recipient key, signer key, txn). */
#define KINDS(name, crp_alg, sign_alg, txn) \
	Test(crpd_verify, name) { kinds((crp_alg), (sign_alg), (txn)); }

KINDS(rsa_oaep_recipient_rsa_signer, "rsa-2048", "rsa-2048", "txn-rsa-rsa")
KINDS(ec_p384_recipient_ecdsa_signer, "ec-p384", "ec-p256", "txn-p384")
KINDS(rsa_recipient_ecdsa_signer, "rsa-2048", "ec-p256", "txn-rsa-ec")
