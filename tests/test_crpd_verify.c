/* ndes-crpd verification, end to end: the real daemon, challenges minted
 * with the codec, CSRs built with OpenSSL, every path of the verification
 * with its exact event and diagnostic code (events read back from the file
 * sink; tests/test_crpd_journal.c reads some back from journald). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "b64.h"
#include "ipc_client.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static EVP_PKEY *dev_key;

static void
start_with(const struct crpd_h_opts *o)
{
	h = crpd_h_new(o);
	dev_key = testpki_key("ec-p256");
	crpd_h_start(h);
}

static void
setup(void)
{
	start_with(NULL);
}

static void
teardown(void)
{
	if (h != NULL)
		crpd_h_stop(h);
	crpd_h_free(h);
	EVP_PKEY_free(dev_key);
	h = NULL;
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

/* Default claims and CSR with one mutation, expecting a refusal. */
#define MISMATCH(txn, event_id, code, ...) do {				\
	struct ndes_challenge_claims c;						\
	struct crpd_h_csr_spec s;						\
	struct crpd_h_reply r;							\
	crpd_h_claims(&c, "0b9a7a8e-1111-4c55-9a7e-" txn);			\
	crpd_h_csr_default(&s, dev_key, NULL);					\
	__VA_ARGS__;								\
	run(&c, &s, txn, &r);							\
	expect_refused(&r, txn, event_id, code);				\
} while (0)

#define ACCEPTED(txn, ...) do {						\
	struct ndes_challenge_claims c;						\
	struct crpd_h_csr_spec s;						\
	struct crpd_h_reply r;							\
	crpd_h_claims(&c, "0b9a7a8e-2222-4c55-9a7e-" txn);			\
	crpd_h_csr_default(&s, dev_key, NULL);					\
	__VA_ARGS__;								\
	run(&c, &s, txn, &r);							\
	cr_assert(r.verified, "%s: refused %u 0x%08X: %s", txn, r.event_id,	\
	    r.code, r.reason);							\
} while (0)

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
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_EVENT_NAME")),
	    "CRPVerifyMetric_Success");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DEVICE_ID")), "device-0001");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_USER_ID")),
	    "alice@contoso.com");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_CHALLENGE_ID")),
	    "6f1c2a9e-0d3b-4c55-9a7e-1b2c3d4e5f60");
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_TEMPLATE_NAME")),
	    "UserTemplate");
	json_decref(arr);
}

Test(crpd_verify, no_challenge_password)
{
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;

	crpd_h_csr_default(&s, dev_key, NULL);
	run(NULL, &s, "txn-nopw", &r);
	expect_refused(&r, "txn-nopw", 20502, 0x100B);
}

Test(crpd_verify, csr_that_does_not_parse)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct crpd_h_reply r;

	crpd_h_verify(h, junk, sizeof(junk), "txn-junk", &r);
	expect_refused(&r, "txn-junk", 20502, 0x100D);
}

Test(crpd_verify, challenge_that_is_not_base64_cms)
{
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;

	crpd_h_csr_default(&s, dev_key, "not a challenge at all");
	run(NULL, &s, "txn-notcms", &r);
	expect_refused(&r, "txn-notcms", 20502, 0x410);
}

Test(crpd_verify, tampered_ciphertext)
{
	struct ndes_challenge_claims c;
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;
	char *text, *tampered;
	uint8_t *der;
	size_t len;

	crpd_h_claims(&c, "9d7e0a61-3333-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal(h, &c);
	cr_assert_eq(ndes_b64_decode(text, strlen(text), &der, &len), 0);
	der[len - 40] ^= 0x5A;	/* inside the encrypted content, before the GCM tag */
	tampered = ndes_b64_encode(der, len);
	crpd_h_csr_default(&s, dev_key, tampered);
	run(NULL, &s, "txn-tampered", &r);
	expect_refused(&r, "txn-tampered", 20502, 0x410);
	free(der);
	free(text);
	free(tampered);
}

Test(crpd_verify, encrypted_to_another_connector_only)
{
	EVP_PKEY *other_key = testpki_key("ec-p256");
	X509 *other = testpki_cert(other_key, "another connector", NULL, NULL, -60, 30);
	struct ndes_challenge_claims c;
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;
	char *text;

	crpd_h_claims(&c, "4a4a4a4a-4444-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal_with(&c, h->sign_cert, h->sign_key, other);
	crpd_h_csr_default(&s, dev_key, text);
	run(NULL, &s, "txn-other-connector", &r);
	expect_refused(&r, "txn-other-connector", 20502, 0x408);
	free(text);
	X509_free(other);
	EVP_PKEY_free(other_key);
}

Test(crpd_verify, signed_by_another_key)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	/* Same subject and serial scheme as the real signer: only the key differs. */
	X509 *cert = testpki_cert(k, "challenge signing", NULL, NULL, -60, 30);
	struct ndes_challenge_claims c;
	struct crpd_h_csr_spec s;
	struct crpd_h_reply r;
	char *text;

	crpd_h_claims(&c, "5b5b5b5b-5555-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal_with(&c, cert, k, h->crp_cert);
	crpd_h_csr_default(&s, dev_key, text);
	run(NULL, &s, "txn-badsig", &r);
	expect_refused(&r, "txn-badsig", 20502, 0x100C);
	free(text);
	X509_free(cert);
	EVP_PKEY_free(k);
}

Test(crpd_verify, claims_that_do_not_parse)
{
	MISMATCH("claims-v2", 20502, 0x410, c.version = 2);
}

Test(crpd_verify, expired)
{
	MISMATCH("expired", 20501, 0x411, c.expires_at = (int64_t)time(NULL) - 5);
}

Test(crpd_verify, bad_csr_signature)
{
	MISMATCH("csr-sig", 20501, 0x1001, s.corrupt_signature = true);
}

Test(crpd_verify, other_tenant)
{
	MISMATCH("tenant", 20501, 0x1002, c.tenant_id = "11111111-2222-3333-4444-555555555555");
}

Test(crpd_verify, tenant_compares_without_case)
{
	ACCEPTED("tenant-case", c.tenant_id = "5C0E1F4A-8F61-4A7E-9D55-0B1E2F3A4B5C");
}

Test(crpd_verify, subject_differs)
{
	MISMATCH("subject", 20501, 0x1003, s.subject[1][1] = "mallory");
}

Test(crpd_verify, subject_in_another_order)
{
	MISMATCH("subject-order", 20501, 0x1003, {
		s.subject[0][0] = "CN"; s.subject[0][1] = "alice";
		s.subject[1][0] = "O"; s.subject[1][1] = "Contoso";
	});
}

Test(crpd_verify, san_missing)
{
	MISMATCH("san-missing", 20501, 0x1004, s.sans[1].type = NULL);
}

Test(crpd_verify, san_extra)
{
	MISMATCH("san-extra", 20501, 0x1004,
	    s.sans[2] = ((struct crpd_h_san){ "dns", "alice.contoso.com" }));
}

Test(crpd_verify, san_other_value)
{
	MISMATCH("san-value", 20501, 0x1004,
	    s.sans[1] = ((struct crpd_h_san){ "upn", "mallory@contoso.com" }));
}

Test(crpd_verify, san_type_swapped)
{
	MISMATCH("san-type", 20501, 0x1004,
	    s.sans[1] = ((struct crpd_h_san){ "email", "alice@contoso.com" }));
}

Test(crpd_verify, san_ip_never_matches)
{
	MISMATCH("san-ip", 20501, 0x1004, {
		s.sans[2] = ((struct crpd_h_san){ "ip", "192.0.2.1" });
		c.sans[2] = (struct ndes_challenge_san){ "dns", "192.0.2.1" };
		c.n_sans = 3;
	});
}

Test(crpd_verify, san_order_does_not_matter)
{
	ACCEPTED("san-order", {
		s.sans[0] = ((struct crpd_h_san){ "upn", "alice@contoso.com" });
		s.sans[1] = ((struct crpd_h_san){ "email", "alice@contoso.com" });
		s.sans[2] = ((struct crpd_h_san){ "uri", "https://contoso.com/alice" });
		s.sans[3] = ((struct crpd_h_san){ "dns", "alice.contoso.com" });
		c.sans[2] = (struct ndes_challenge_san){ "dns", "alice.contoso.com" };
		c.sans[3] = (struct ndes_challenge_san){ "uri", "https://contoso.com/alice" };
		c.n_sans = 4;
	});
}

Test(crpd_verify, key_type_differs)
{
	MISMATCH("key-type", 20501, 0x1005, {
		c.key_type = "RSA";
		c.min_key_bits = 2048;
	});
}

Test(crpd_verify, key_too_small)
{
	MISMATCH("key-size", 20501, 0x1006, c.min_key_bits = 384);
}

Test(crpd_verify, key_usage_more_than_allowed)
{
	MISMATCH("ku-more", 20501, 0x1007, s.key_usage = "digitalSignature,keyAgreement");
}

Test(crpd_verify, key_usage_missing)
{
	MISMATCH("ku-missing", 20501, 0x1007, s.key_usage = NULL);
}

Test(crpd_verify, no_key_usage_on_either_side)
{
	ACCEPTED("ku-none", {
		s.key_usage = NULL;
		c.key_usage = 0;
	});
}

Test(crpd_verify, eku_extra)
{
	MISMATCH("eku-extra", 20501, 0x1008, s.ekus = "1.3.6.1.5.5.7.3.2,1.3.6.1.5.5.7.3.4");
}

Test(crpd_verify, eku_missing)
{
	MISMATCH("eku-missing", 20501, 0x1008, s.ekus = NULL);
}

Test(crpd_verify, hash_differs)
{
	MISMATCH("hash", 20501, 0x1009, s.md = EVP_sha384());
}

Test(crpd_verify, challenge_of_6000_characters_is_carried)
{
	ACCEPTED("long-challenge", {
		static char pad[4400];
		memset(pad, 'x', sizeof(pad) - 1);
		c.profile_id = pad;	/* makes the challenge ~6,000 characters */
	});
}

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

Test(crpd_verify, rsa_oaep_recipient_rsa_signer)
{
	kinds("rsa-2048", "rsa-2048", "txn-rsa-rsa");
}

Test(crpd_verify, ec_p384_recipient_ecdsa_signer)
{
	kinds("ec-p384", "ec-p256", "txn-p384");
}

Test(crpd_verify, rsa_recipient_ecdsa_signer)
{
	kinds("rsa-2048", "ec-p256", "txn-rsa-ec");
}
