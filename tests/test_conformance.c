/* The conformance check after issuance (common/conformance.h): one test per
 * kind of difference, on certificates made here with OpenSSL. */
#include <criterion/criterion.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "conformance.h"
#include "crypto.h"
#include "events.h"
#include "lib/testpki.h"

static EVP_PKEY *ca_key, *dev_key, *other_key;
static X509 *ca_cert;

static void
pki_setup(void)
{
	ca_key = testpki_key("ec-p256");
	ca_cert = testpki_root(ca_key, "Contoso Root CA", 3650);
	dev_key = testpki_key("rsa-2048");
	other_key = testpki_key("ec-p256");
}

static void
pki_teardown(void)
{
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(dev_key);
	EVP_PKEY_free(other_key);
	X509_free(ca_cert);
}

TestSuite(conformance, .init = pki_setup, .fini = pki_teardown);

/* What the profile asks for. */
static void
claims_init(struct ndes_challenge_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->subject = "CN=alice,OU=Mobile,O=Contoso,C=US";
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
}

/* What the CA issues: by default exactly what claims_init() asks. */
struct issue {
	const char *subject[6][2];	/* {short name, value}, in DER order */
	int c_type;			/* string type of C (default PrintableString) */
	const char *san, *ku, *eku;	/* openssl extension config values, "" = none */
	EVP_PKEY *key;
	const EVP_MD *md;
	long not_before, days;
	X509 *issuer;
	EVP_PKEY *issuer_key;
};

static void
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	if (value == NULL || value[0] == '\0')
		return;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(ext, "extension %s = %s", OBJ_nid2sn(nid), value);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

static X509_NAME *
issue_name(const struct issue *is)
{
	X509_NAME *name = X509_NAME_new();

	for (int i = 0; i < 6 && is->subject[i][0] != NULL; i++) {
		int type = strcmp(is->subject[i][0], "C") == 0 ? (is->c_type ? is->c_type :
		    V_ASN1_PRINTABLESTRING) : strcmp(is->subject[i][0], "emailAddress") == 0 ?
		    V_ASN1_IA5STRING : V_ASN1_UTF8STRING;

		cr_assert(X509_NAME_add_entry_by_txt(name, is->subject[i][0], type,
		    (const unsigned char *)is->subject[i][1], -1, -1, 0));
	}
	return name;
}

static X509 *
issue(const struct issue *is)
{
	X509 *cert = X509_new(), *issuer = is->issuer ? is->issuer : ca_cert;
	X509_NAME *name = issue_name(is);

	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, X509_get_subject_name(issuer));
	X509_gmtime_adj(X509_getm_notBefore(cert), is->not_before);
	X509_gmtime_adj(X509_getm_notAfter(cert), is->not_before + is->days * 86400);
	X509_set_pubkey(cert, is->key ? is->key : dev_key);
	add_ext(cert, issuer, NID_subject_alt_name, is->san);
	add_ext(cert, issuer, NID_key_usage, is->ku);
	add_ext(cert, issuer, NID_ext_key_usage, is->eku);
	cr_assert(X509_sign(cert, is->issuer_key ? is->issuer_key : ca_key,
	    is->md ? is->md : EVP_sha256()) > 0);
	X509_NAME_free(name);
	return cert;
}

/* The issue that conforms; tests change one thing. */
#define CONFORMING { \
	.subject = { { "C", "US" }, { "O", "Contoso" }, { "OU", "Mobile" }, { "CN", "alice" } }, \
	.san = "email:alice@contoso.com, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@contoso.com", \
	.ku = "critical, digitalSignature, keyEncipherment", .eku = "clientAuth", \
	.not_before = 0, .days = 365 }

static void
check(const struct issue *is, const struct ndes_challenge_claims *c, X509 *root,
    struct ndes_conformance_result *r)
{
	X509 *cert = issue(is);
	STACK_OF(X509) *cas = sk_X509_new_null();
	struct ndes_conformance_input in = {
		.cert = cert, .claims = c, .request_key = dev_key, .ca_certs = cas,
		.trusted_root = root,
	};
	char err[256];

	sk_X509_push(cas, is->issuer ? is->issuer : ca_cert);
	cr_assert_eq(ndes_conformance_check(&in, r, err, sizeof(err)), 0, "%s", err);
	sk_X509_free(cas);
	X509_free(cert);
}

/* Exactly one difference, with that code and a detail containing want. */
static void
assert_one(const struct ndes_conformance_result *r, uint32_t code, const char *want)
{
	cr_assert_eq(r->n, 1, "%zu differences, the first 0x%08X %s", r->n,
	    r->n ? r->diffs[0].code : 0, r->n ? r->diffs[0].detail : "");
	cr_assert_eq(r->diffs[0].code, code, "code 0x%08X: %s", r->diffs[0].code,
	    r->diffs[0].detail);
	cr_assert_not_null(strstr(r->diffs[0].detail, want), "detail \"%s\"", r->diffs[0].detail);
}

/* Issue, check without a trusted root, and expect that one difference. */
static void
expect_one(const struct issue *is, const struct ndes_challenge_claims *c, uint32_t code,
    const char *want)
{
	struct ndes_conformance_result r;

	check(is, c, NULL, &r);
	assert_one(&r, code, want);
}

Test(conformance, what_was_asked_conforms)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	struct ndes_conformance_result r;

	claims_init(&c);
	check(&is, &c, ca_cert, &r);
	cr_assert_eq(r.n, 0, "0x%08X %s", r.diffs[0].code, r.diffs[0].detail);
}

Test(conformance, dropped_email_attribute_is_a_subject_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	c.subject = "CN=alice,emailAddress=alice@contoso.com,OU=Mobile,O=Contoso,C=US";
	expect_one(&is, &c, NDES_DIAG_ISSUED_SUBJECT_DIFFERS, "issued \"CN=alice,OU=Mobile");
}

Test(conformance, reordered_attributes_are_a_subject_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.subject[1][0] = "OU", is.subject[1][1] = "Mobile";
	is.subject[2][0] = "O", is.subject[2][1] = "Contoso";
	expect_one(&is, &c, NDES_DIAG_ISSUED_SUBJECT_DIFFERS, "issued \"CN=alice,O=Contoso,OU=Mobile");
}

Test(conformance, country_as_utf8string_is_a_string_type_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.c_type = V_ASN1_UTF8STRING;
	expect_one(&is, &c, NDES_DIAG_ISSUED_SUBJECT_STRING_TYPE, "C is a UTF8STRING");
}

Test(conformance, dropped_upn_san_is_a_san_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.san = "email:alice@contoso.com, DNS:alice.contoso.com";
	expect_one(&is, &c, NDES_DIAG_ISSUED_SAN_DIFFERS,
	    "extra dns:alice.contoso.com; missing upn:alice@contoso.com");
}

Test(conformance, digital_signature_alone_is_a_key_usage_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.ku = "critical, digitalSignature";
	expect_one(&is, &c, NDES_DIAG_ISSUED_KEY_USAGE_DIFFERS,
	    "asked digitalSignature,keyEncipherment, issued digitalSignature");
}

Test(conformance, other_eku_is_an_eku_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.eku = "clientAuth, serverAuth";
	expect_one(&is, &c, NDES_DIAG_ISSUED_EKU_DIFFERS, "extra serverAuth");
	is.eku = "";
	expect_one(&is, &c, NDES_DIAG_ISSUED_EKU_DIFFERS, "missing clientAuth");
}

Test(conformance, another_key_is_a_public_key_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.key = other_key;
	expect_one(&is, &c, NDES_DIAG_ISSUED_PUBLIC_KEY_DIFFERS, "not the verified request's");
}

Test(conformance, sha384_signature_is_a_hash_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;

	claims_init(&c);
	is.md = EVP_sha384();
	expect_one(&is, &c, NDES_DIAG_ISSUED_HASH_DIFFERS, "asked sha256, issued sha384");
}

Test(conformance, validity_outside_one_day_is_a_validity_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	struct ndes_conformance_result r;

	claims_init(&c);
	c.validity_days = 730;
	expect_one(&is, &c, NDES_DIAG_ISSUED_VALIDITY_DIFFERS, "asked 730 days, issued 365 days");
	/* backdated by 10 minutes, as Windows does: the same validity */
	is.days = 730, is.not_before = -600;
	check(&is, &c, NULL, &r);
	cr_assert_eq(r.n, 0, "0x%08X %s", r.diffs[0].code, r.diffs[0].detail);
	is.days = 732;
	expect_one(&is, &c, NDES_DIAG_ISSUED_VALIDITY_DIFFERS, "asked 730 days, issued 732 days");
}

Test(conformance, validity_beyond_the_issuing_ca_is_a_validity_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	X509 *short_ca = testpki_root(ca_key, "Contoso Short CA", 100);

	claims_init(&c);
	is.issuer = short_ca;
	expect_one(&is, &c, NDES_DIAG_ISSUED_VALIDITY_DIFFERS, "beyond the issuing CA's certificate");
	X509_free(short_ca);
}

Test(conformance, unrelated_root_is_a_chain_difference)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	struct ndes_conformance_result r;
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *unrelated = testpki_root(k, "Fabrikam Root CA", 3650);

	claims_init(&c);
	check(&is, &c, unrelated, &r);
	assert_one(&r, NDES_DIAG_ISSUED_CHAIN_INVALID, "no chain to the profile's trusted root");
	X509_free(unrelated);
	EVP_PKEY_free(k);
}

Test(conformance, trusted_root_named_by_its_sha256)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	struct ndes_conformance_result r;
	X509 *cert = issue(&is);
	STACK_OF(X509) *cas = sk_X509_new_null();
	struct ndes_conformance_input in = { .cert = cert, .claims = &c, .ca_certs = cas };
	char tp[NDES_CRYPTO_HEX_MAX], err[128];

	claims_init(&c);
	sk_X509_push(cas, ca_cert);
	cr_assert_eq(ndes_crypto_thumbprint(ca_cert, EVP_sha256(), tp, sizeof(tp)), 0);
	in.trusted_root_sha256 = tp;
	cr_assert_eq(ndes_conformance_check(&in, &r, err, sizeof(err)), 0);
	cr_assert_eq(r.n, 0, "0x%08X %s", r.diffs[0].code, r.diffs[0].detail);
	in.trusted_root_sha256 = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
	cr_assert_eq(ndes_conformance_check(&in, &r, err, sizeof(err)), 0);
	assert_one(&r, NDES_DIAG_ISSUED_CHAIN_INVALID, "is not among the issuing CA's certificates");
	sk_X509_free(cas);
	X509_free(cert);
}

/* What micromdm's scepserver 2.1.0 does to alice's first profile: every
 * difference listed, in the documented order. */
Test(conformance, every_difference_is_listed)
{
	struct ndes_challenge_claims c;
	struct issue is = CONFORMING;
	struct ndes_conformance_result r;
	static const uint32_t want[] = { NDES_DIAG_ISSUED_SUBJECT_DIFFERS,
	    NDES_DIAG_ISSUED_SAN_DIFFERS, NDES_DIAG_ISSUED_KEY_USAGE_DIFFERS,
	    NDES_DIAG_ISSUED_VALIDITY_DIFFERS };

	claims_init(&c);
	c.subject = "CN=alice,emailAddress=alice@contoso.com,OU=Mobile,O=Contoso,C=US";
	c.validity_days = 730;
	is.san = "email:alice@contoso.com";
	is.ku = "critical, digitalSignature";
	check(&is, &c, ca_cert, &r);
	cr_assert_eq(r.n, 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(r.diffs[i].code, want[i], "difference %zu: 0x%08X %s", i,
		    r.diffs[i].code, r.diffs[i].detail);
}

Test(conformance, no_claims_or_no_certificate_is_an_error)
{
	struct ndes_challenge_claims c;
	struct ndes_conformance_result r;
	struct ndes_conformance_input in = { .cert = ca_cert };
	char err[128];

	cr_assert_eq(ndes_conformance_check(&in, &r, err, sizeof(err)), -1);
	claims_init(&c);
	in.cert = NULL, in.claims = &c;
	cr_assert_eq(ndes_conformance_check(&in, &r, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "no certificate");
}
