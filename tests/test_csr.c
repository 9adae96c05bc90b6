#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "csr.h"
#include "test_crypto_util.h"

TestSuite(csr, .init = tu_setup, .fini = workdir_leave);

#define PW_LEN 4500
#define SUBJECT "CN=alice@contoso.com,OU=Sales,O=Contoso,C=US"

static const char *const want_ekus[] = { "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4",
	"1.3.6.1.4.1.311.10.3.4" };

static const struct ndes_san want_sans[] = {
	{ NDES_SAN_EMAIL, "alice@contoso.com" },
	{ NDES_SAN_UPN, "alice@contoso.com" },
	{ NDES_SAN_DNS, "alice.contoso.com" },
	{ NDES_SAN_DNS, "device-42.contoso.com" },
	{ NDES_SAN_URI, "https://contoso.com/users/alice?id=42" },
	{ NDES_SAN_IP, "192.0.2.10" },
	{ NDES_SAN_IP, "2001:db8::1" },
};

/* A 4,500-character challengePassword made of the base64 alphabet, as a
 * cloud challenge would be. */
static char *
long_password(void)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *pw = malloc(PW_LEN + 1);
	size_t i;

	cr_assert_not_null(pw);
	for (i = 0; i < PW_LEN; i++)
		pw[i] = abc[(i * 7 + i / 64) % 64];
	pw[PW_LEN] = '\0';
	return pw;
}

struct spec {
	const char *name;
	const char *newkey;	/* -newkey argument */
	const char *md;
	const char *ku;		/* keyUsage config value */
	const char *mask;	/* string_mask */
	unsigned int want_ku;
	enum ndes_key_type want_type;
	int want_bits;
	const char *want_curve;
	const char *want_sig_alg;
};

/* Writes <name>.cnf and makes <name>.csr (PEM), <name>.der and <name>.key. */
static void
make_full_csr(const struct spec *sp)
{
	char cnf[64], *pw = long_password();
	FILE *f;

	snprintf(cnf, sizeof(cnf), "%s.cnf", sp->name);
	cr_assert_not_null(f = fopen(cnf, "w"));
	fprintf(f, "[req]\nprompt = no\nstring_mask = %s\ndistinguished_name = dn\n"
	    "attributes = attrs\nreq_extensions = ext\n"
	    "[dn]\nC = US\nO = Contoso\nOU = Sales\nCN = alice@contoso.com\n"
	    "[attrs]\nchallengePassword = %s\n[ext]\n"
	    "subjectAltName = email:alice@contoso.com, "
	    "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@contoso.com, DNS:alice.contoso.com, "
	    "DNS:device-42.contoso.com, URI:https://contoso.com/users/alice?id=42, "
	    "IP:192.0.2.10, IP:2001:db8::1\n"
	    "keyUsage = critical, %s\n"
	    "extendedKeyUsage = clientAuth, emailProtection, 1.3.6.1.4.1.311.10.3.4\n",
	    sp->mask, pw, sp->ku);
	cr_assert_eq(fclose(f), 0);
	free(pw);
	tu_sh("\"$OPENSSL\" req -new -newkey %s -nodes -keyout %s.key -config %s -%s "
	    "-out %s.csr 2>/dev/null", sp->newkey, sp->name, cnf, sp->md, sp->name);
	tu_sh("\"$OPENSSL\" req -in %s.csr -outform DER -out %s.der", sp->name, sp->name);
}

static void
assert_sans(const struct ndes_csr_info *info)
{
	size_t i;

	cr_assert_eq(info->nsans, sizeof(want_sans) / sizeof(want_sans[0]));
	for (i = 0; i < info->nsans; i++) {
		cr_assert_eq(info->sans[i].type, want_sans[i].type, "SAN %zu", i);
		cr_assert_str_eq(info->sans[i].value, want_sans[i].value);
	}
}

static void
assert_full_info(const struct spec *sp, const struct ndes_csr_info *info)
{
	char *pw = long_password();
	size_t i;

	cr_assert_str_eq(info->subject, SUBJECT);
	assert_sans(info);
	cr_assert_eq(info->key_type, sp->want_type);
	cr_assert_eq(info->key_bits, sp->want_bits);
	cr_assert_str_eq(info->key_curve, sp->want_curve);
	cr_assert_eq(info->has_key_usage, 1);
	cr_assert_eq(info->key_usage_critical, 1);
	cr_assert_eq(info->key_usage, sp->want_ku, "key usage 0x%x", info->key_usage);
	cr_assert_eq(info->nekus, 3);
	for (i = 0; i < info->nekus; i++)
		cr_assert_str_eq(info->ekus[i], want_ekus[i]);
	cr_assert_not_null(info->challenge_password);
	cr_assert_eq(info->challenge_password_len, PW_LEN);
	cr_assert_eq(strlen(info->challenge_password), PW_LEN);
	cr_assert_str_eq(info->challenge_password, pw);
	cr_assert_str_eq(info->sig_alg, sp->want_sig_alg);
	cr_assert_str_eq(info->sig_hash, sp->md);
	free(pw);
}

/* The request's public key digest: the CLI's, and the one of its key file. */
static void
assert_pubkey(const struct spec *sp, X509_REQ *req)
{
	char hex[NDES_CRYPTO_HEX_MAX], khex[NDES_CRYPTO_HEX_MAX], err[256], keyfile[64], *cli;
	uint8_t *der;
	size_t len;
	EVP_PKEY *key;

	cr_assert_eq(ndes_csr_pubkey_sha256(req, hex, sizeof(hex)), 0);
	cli = tu_sh_out("\"$OPENSSL\" req -in %s.csr -pubkey -noout | \"$OPENSSL\" pkey -pubin "
	    "-outform DER | \"$OPENSSL\" dgst -sha256 -r | cut -d' ' -f1", sp->name);
	cr_assert_str_eq(hex, tu_strip_colons(cli));
	free(cli);
	snprintf(keyfile, sizeof(keyfile), "%s.key", sp->name);
	cr_assert_eq(chmod(keyfile, 0600), 0);
	key = ndes_crypto_load_key(keyfile, NULL, err, sizeof(err));
	cr_assert_not_null(key, "%s", err);
	cr_assert_eq(ndes_crypto_pubkey_sha256(key, khex, sizeof(khex)), 0);
	cr_assert_str_eq(khex, hex);
	cr_assert_eq(ndes_csr_pubkey_der(req, &der, &len), 0);
	cr_assert_eq(ndes_crypto_digest_hex(der, len, EVP_sha256(), khex, sizeof(khex)), 0);
	cr_assert_str_eq(khex, hex);
	free(der);
	EVP_PKEY_free(key);
}

/* Tampering with the signature or the signed data breaks the signature. */
static void
assert_tampering_detected(const char *name)
{
	char file[64];
	uint8_t *der, *p;
	size_t len;
	X509_REQ *req;

	snprintf(file, sizeof(file), "%s.der", name);
	der = tu_read(file, &len);
	cr_assert_not_null(req = ndes_csr_from_der(der, len));
	cr_assert_eq(ndes_csr_verify_signature(req), 1);
	X509_REQ_free(req);

	der[len - 1] ^= 0x01;	/* last byte of the signature bits */
	cr_assert_not_null(req = ndes_csr_from_der(der, len));
	cr_assert_eq(ndes_csr_verify_signature(req), 0);
	X509_REQ_free(req);
	der[len - 1] ^= 0x01;

	cr_assert_not_null(p = memmem(der, len, "Sales", 5));
	p[0] = 'T';		/* OU=Sales -> OU=Tales inside the signed data */
	cr_assert_not_null(req = ndes_csr_from_der(der, len));
	cr_assert_eq(ndes_csr_verify_signature(req), 0);
	X509_REQ_free(req);
	free(der);
}

/* The keyless parse (no key decoder per request) reads the same request:
 * the same key, the same signature check, the same inspection. */
static void
check_keyless(const struct spec *sp, const uint8_t *der, size_t len)
{
	X509_REQ *full = ndes_csr_from_der(der, len), *req = ndes_csr_from_der_keyless(der, len);
	struct ndes_csr_info *info;
	EVP_PKEY *key, *again;
	char err[256];

	cr_assert_not_null(full);
	cr_assert_not_null(req);
	cr_assert_null(X509_REQ_get0_pubkey(req), "the key is left encoded");
	cr_assert_not_null(key = ndes_csr_key(req));
	cr_assert_eq(EVP_PKEY_eq(key, X509_REQ_get0_pubkey(full)), 1);
	cr_assert_not_null(again = ndes_csr_key(req), "the thread's cached objects serve again");
	cr_assert_eq(EVP_PKEY_eq(key, again), 1);
	cr_assert_eq(ndes_csr_verify_signature_with(req, key), 1);
	cr_assert_not_null(info = ndes_csr_inspect_with(req, key, err, sizeof(err)), "%s", err);
	assert_full_info(sp, info);
	ndes_csr_info_free(info);
	EVP_PKEY_free(again);
	EVP_PKEY_free(key);
	X509_REQ_free(req);
	X509_REQ_free(full);
}

static void
check_full(const struct spec *sp)
{
	struct ndes_csr_info *info;
	char err[256], file[64];
	uint8_t *der, *ours;
	size_t len, ourlen;
	X509_REQ *req;

	make_full_csr(sp);
	snprintf(file, sizeof(file), "%s.csr", sp->name);
	req = ndes_csr_load(file, err, sizeof(err));
	cr_assert_not_null(req, "%s", err);
	info = ndes_csr_inspect(req, err, sizeof(err));
	cr_assert_not_null(info, "%s", err);
	assert_full_info(sp, info);
	cr_assert_eq(ndes_csr_verify_signature(req), 1);
	assert_pubkey(sp, req);

	/* the DER file: same request */
	snprintf(file, sizeof(file), "%s.der", sp->name);
	der = tu_read(file, &len);
	cr_assert_eq(ndes_csr_to_der(req, &ours, &ourlen), 0);
	cr_assert_eq(ourlen, len);
	cr_assert_eq(memcmp(ours, der, len), 0);
	check_keyless(sp, der, len);
	X509_REQ_free(req);
	ndes_csr_info_free(info);
	req = ndes_csr_load(file, err, sizeof(err));
	cr_assert_not_null(req, "%s", err);
	cr_assert_not_null(info = ndes_csr_inspect(req, err, sizeof(err)));
	assert_full_info(sp, info);
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	free(ours);
	free(der);
	assert_tampering_detected(sp->name);
}

Test(csr, rsa_2048_full)
{
	static const struct spec sp = { "rsa2048", "rsa:2048", "sha256",
		"digitalSignature, keyEncipherment", "utf8only",
		NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_ENCIPHERMENT, NDES_KEY_RSA, 2048, "",
		"sha256WithRSAEncryption" };

	check_full(&sp);
	tu_sh("\"$OPENSSL\" asn1parse -inform DER -in rsa2048.der | "
	    "grep -A2 challengePassword | grep -q 'l=4500 prim: UTF8STRING'");
}

Test(csr, rsa_4096_full, .timeout = 120)
{
	static const struct spec sp = { "rsa4096", "rsa:4096", "sha512",
		"digitalSignature, keyEncipherment, dataEncipherment", "utf8only",
		NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_ENCIPHERMENT | NDES_KU_DATA_ENCIPHERMENT,
		NDES_KEY_RSA, 4096, "", "sha512WithRSAEncryption" };

	check_full(&sp);
}

Test(csr, ec_p256_full)
{
	static const struct spec sp = { "p256", "ec -pkeyopt ec_paramgen_curve:P-256", "sha256",
		"digitalSignature, keyAgreement", "utf8only",
		NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_AGREEMENT, NDES_KEY_EC, 256, "P-256",
		"ecdsa-with-SHA256" };

	check_full(&sp);
}

Test(csr, ec_p384_full_printable_string)
{
	static const struct spec sp = { "p384", "ec -pkeyopt ec_paramgen_curve:P-384", "sha384",
		"digitalSignature, nonRepudiation, decipherOnly, keyAgreement", "default",
		NDES_KU_DIGITAL_SIGNATURE | NDES_KU_NON_REPUDIATION | NDES_KU_DECIPHER_ONLY |
		NDES_KU_KEY_AGREEMENT, NDES_KEY_EC, 384, "P-384", "ecdsa-with-SHA384" };

	check_full(&sp);
	/* string_mask=default: the challengePassword is a PrintableString */
	tu_sh("\"$OPENSSL\" asn1parse -inform DER -in p384.der | "
	    "grep -A2 challengePassword | grep -q 'l=4500 prim: PRINTABLESTRING'");
}

/* Keys decoded by the per-thread decoder (not EC on a named curve), and an
 * EC point that is not on its curve, which decodes to nothing. */
Test(csr, keyless_other_keys_and_bad_point)
{
	static const char cnf[] = "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = k\n";
	const char *const keys[] = { "ed25519", "rsa-pss -pkeyopt rsa_keygen_bits:2048",
		"ec -pkeyopt ec_paramgen_curve:P-384" };
	uint8_t *der;
	size_t len;
	X509_REQ *req;
	EVP_PKEY *key;

	tu_write("t.cnf", cnf, strlen(cnf));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		tu_sh("\"$OPENSSL\" req -new -newkey %s -nodes -keyout t.key -config t.cnf "
		    "-outform DER -out t.der 2>/dev/null", keys[i]);
		der = tu_read("t.der", &len);
		cr_assert_not_null(req = ndes_csr_from_der_keyless(der, len));
		cr_assert_not_null(key = ndes_csr_key(req), "%s", keys[i]);
		cr_assert_eq(ndes_csr_verify_signature_with(req, key), 1, "%s", keys[i]);
		EVP_PKEY_free(key);
		X509_REQ_free(req);
		if (i == 2) {
			/* the last byte of the point's y coordinate: off the curve */
			uint8_t *y = memmem(der, len, "\x03\x62\x00\x04", 4);

			cr_assert_not_null(y);
			y[4 + 96 - 1] ^= 0x01;
			cr_assert_not_null(req = ndes_csr_from_der_keyless(der, len));
			cr_assert_null(ndes_csr_key(req), "a point off the curve is no key");
			X509_REQ_free(req);
		}
		free(der);
	}
}

static struct ndes_csr_info *
inspect_cnf(const char *cnf, const char *newkey, char *err, size_t errlen)
{
	struct ndes_csr_info *info;
	X509_REQ *req;

	tu_write("t.cnf", cnf, strlen(cnf));
	tu_sh("\"$OPENSSL\" req -new -newkey %s -nodes -keyout t.key -config t.cnf -out t.csr "
	    "2>/dev/null", newkey);
	req = ndes_csr_load("t.csr", err, errlen);
	cr_assert_not_null(req, "%s", err);
	cr_assert_eq(ndes_csr_verify_signature(req), 1);
	info = ndes_csr_inspect(req, err, errlen);
	X509_REQ_free(req);
	return info;
}

/* The same, asserted to be inspected. */
static struct ndes_csr_info *
inspect_cnf_ok(const char *cnf, const char *newkey)
{
	char err[256] = "";
	struct ndes_csr_info *info = inspect_cnf(cnf, newkey, err, sizeof(err));

	cr_assert_not_null(info, "%s", err);
	return info;
}

#define EC256 "ec -pkeyopt ec_paramgen_curve:P-256"

Test(csr, minimal_request)
{
	struct ndes_csr_info *info;

	info = inspect_cnf_ok("[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = bob\n",
	    "ec -pkeyopt ec_paramgen_curve:P-521");
	cr_assert_str_eq(info->subject, "CN=bob");
	cr_assert_eq(info->nsans, 0);
	cr_assert_null(info->sans);
	cr_assert_eq(info->has_key_usage, 0);
	cr_assert_eq(info->key_usage, 0);
	cr_assert_eq(info->key_usage_critical, 0);
	cr_assert_eq(info->nekus, 0);
	cr_assert_null(info->challenge_password);
	cr_assert_eq(info->key_type, NDES_KEY_EC);
	cr_assert_eq(info->key_bits, 521);
	cr_assert_str_eq(info->key_curve, "P-521");
	cr_assert_str_eq(info->sig_hash, "sha256");
	ndes_csr_info_free(info);
}

Test(csr, utf8_subject_and_password)
{
	struct ndes_csr_info *info;

	info = inspect_cnf_ok("[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\n"
	    "distinguished_name = dn\nattributes = a\n"
	    "[dn]\nO = Smith, Jones + Co\nCN = Zo\xc3\xab M\xc3\xbcller\n"
	    "[a]\nchallengePassword = p\xc3\xa4sswort \xe2\x9c\x93\n", EC256);
	cr_assert_str_eq(info->subject, "CN=Zo\xc3\xab M\xc3\xbcller,O=Smith\\, Jones \\+ Co");
	cr_assert_str_eq(info->challenge_password, "p\xc3\xa4sswort \xe2\x9c\x93");
	cr_assert_eq(info->challenge_password_len, 13);
	ndes_csr_info_free(info);
}

Test(csr, other_san_types)
{
	struct ndes_csr_info *info;

	info = inspect_cnf_ok("[req]\nprompt = no\ndistinguished_name = dn\nreq_extensions = ext\n"
	    "[dn]\nCN = other\n[ext]\nsubjectAltName = otherName:1.2.3.4;UTF8:x, "
	    "dirName:dir, RID:1.2.3.5, DNS:a.example\n"
	    "[dir]\nO = Contoso\nCN = dir\n", EC256);
	cr_assert_eq(info->nsans, 4);
	cr_assert_eq(info->sans[0].type, NDES_SAN_OTHER);
	cr_assert_str_eq(info->sans[0].value, "otherName:1.2.3.4");
	cr_assert_eq(info->sans[1].type, NDES_SAN_OTHER);
	cr_assert_str_eq(info->sans[1].value, "dirName:CN=dir,O=Contoso");
	cr_assert_eq(info->sans[2].type, NDES_SAN_OTHER);
	cr_assert_str_eq(info->sans[2].value, "registeredID:1.2.3.5");
	cr_assert_eq(info->sans[3].type, NDES_SAN_DNS);
	cr_assert_str_eq(info->sans[3].value, "a.example");
	cr_assert_eq(info->key_usage_critical, 0);
	ndes_csr_info_free(info);
}

Test(csr, upn_not_utf8_refused)
{
	char err[256] = "";

	cr_assert_null(inspect_cnf("[req]\nprompt = no\ndistinguished_name = dn\n"
	    "req_extensions = ext\n[dn]\nCN = upn\n[ext]\n"
	    "subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;IA5:alice@contoso.com\n",
	    EC256, err, sizeof(err)));
	cr_assert_str_eq(err, "certificate request: UPN SAN is not a valid UTF8String");
}

/* --- Requests built here, for what the CLI cannot make --- */

static X509_REQ *
new_req(EVP_PKEY **key)
{
	X509_REQ *req = X509_REQ_new();

	cr_assert_not_null(*key = EVP_EC_gen("P-256"));
	cr_assert(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_ASC, (const unsigned char *)"built", -1, -1, 0));
	cr_assert(X509_REQ_set_pubkey(req, *key));
	return req;
}

static STACK_OF(X509_EXTENSION) *
exts_of(const char *san1, const char *san2)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;

	cr_assert_not_null(ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, san1));
	sk_X509_EXTENSION_push(exts, ext);
	if (san2 != NULL) {
		ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, san2);
		cr_assert_not_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
	}
	return exts;
}

static void
assert_inspect_fails(X509_REQ *req, EVP_PKEY *key, const char *want)
{
	char err[256] = "";

	cr_assert(X509_REQ_sign(req, key, EVP_sha256()));
	cr_assert_eq(ndes_csr_verify_signature(req), 1);
	cr_assert_null(ndes_csr_inspect(req, err, sizeof(err)));
	cr_assert_str_eq(err, want);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

Test(csr, duplicate_san_extension_refused)
{
	STACK_OF(X509_EXTENSION) *exts = exts_of("DNS:a.example", "DNS:b.example");
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);

	cr_assert(X509_REQ_add_extensions(req, exts));
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_inspect_fails(req, key,
	    "certificate request: subjectAltName extension appears more than once");
}

Test(csr, ms_ext_req_read)
{
	STACK_OF(X509_EXTENSION) *exts = exts_of("email:bob@contoso.com", NULL);
	struct ndes_csr_info *info;
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);
	char err[256];

	cr_assert(X509_REQ_add_extensions_nid(req, exts, NID_ms_ext_req));
	cr_assert(X509_REQ_sign(req, key, EVP_sha1()));
	info = ndes_csr_inspect(req, err, sizeof(err));
	cr_assert_not_null(info, "%s", err);
	cr_assert_eq(info->nsans, 1);
	cr_assert_eq(info->sans[0].type, NDES_SAN_EMAIL);
	cr_assert_str_eq(info->sans[0].value, "bob@contoso.com");
	cr_assert_str_eq(info->sig_alg, "ecdsa-with-SHA1");
	cr_assert_str_eq(info->sig_hash, "sha1");
	ndes_csr_info_free(info);
	/* and a second, standard extension request makes it ambiguous */
	cr_assert(X509_REQ_add_extensions(req, exts));
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_inspect_fails(req, key, "certificate request: more than one extension request");
}

Test(csr, challenge_password_two_values_refused)
{
	X509_ATTRIBUTE *attr;
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);

	attr = X509_ATTRIBUTE_create_by_NID(NULL, NID_pkcs9_challengePassword, MBSTRING_ASC,
	    "one", -1);
	cr_assert_not_null(attr);
	cr_assert(X509_ATTRIBUTE_set1_data(attr, MBSTRING_ASC, "two", -1));
	cr_assert_eq(X509_ATTRIBUTE_count(attr), 2);
	cr_assert(X509_REQ_add1_attr(req, attr));
	X509_ATTRIBUTE_free(attr);
	assert_inspect_fails(req, key,
	    "certificate request: challengePassword must have exactly one value");
}

Test(csr, challenge_password_twice_refused)
{
	/* OpenSSL will not add a second challengePassword attribute: add an
	 * unstructuredName (1.2.840.113549.1.9.2) and turn it into a second
	 * challengePassword (…1.9.7) in the DER. */
	static const uint8_t unstructured[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02 };
	struct ndes_csr_info *info;
	char err[256] = "";
	uint8_t *der, *p;
	size_t len;
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key), *twice;

	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_ASC,
	    (const unsigned char *)"one", -1));
	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_unstructuredName, MBSTRING_ASC,
	    (const unsigned char *)"two", -1));
	cr_assert(X509_REQ_sign(req, key, EVP_sha256()));
	cr_assert_not_null(info = ndes_csr_inspect(req, err, sizeof(err)));
	cr_assert_str_eq(info->challenge_password, "one");
	ndes_csr_info_free(info);
	cr_assert_eq(ndes_csr_to_der(req, &der, &len), 0);
	cr_assert_not_null(p = memmem(der, len, unstructured, sizeof(unstructured)));
	p[sizeof(unstructured) - 1] = 0x07;
	cr_assert_not_null(twice = ndes_csr_from_der(der, len));
	cr_assert_null(ndes_csr_inspect(twice, err, sizeof(err)));
	cr_assert_str_eq(err, "certificate request: challengePassword must have exactly one value");
	X509_REQ_free(twice);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	free(der);
}

Test(csr, challenge_password_not_a_string_refused)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);

	cr_assert(ASN1_INTEGER_set(n, 1234));
	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_INTEGER,
	    (const unsigned char *)n, -1));
	ASN1_INTEGER_free(n);
	assert_inspect_fails(req, key,
	    "certificate request: challengePassword is not a valid string");
}

Test(csr, bmp_challenge_password)
{
	struct ndes_csr_info *info;
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);
	char err[256];

	/* a BMPString (UCS-2, big-endian): "A", "é" */
	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_BMPSTRING,
	    (const unsigned char *)"\x00\x41\x00\xe9", 4));
	cr_assert(X509_REQ_sign(req, key, EVP_sha256()));
	info = ndes_csr_inspect(req, err, sizeof(err));
	cr_assert_not_null(info, "%s", err);
	cr_assert_str_eq(info->challenge_password, "A\xc3\xa9");
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* ASCII is copied as it is (csr_info.c); anything else still goes through
 * OpenSSL's conversion: a T61String's byte 0xE4 is Latin-1 "ä", and a NUL
 * byte in an IA5String is refused as before. */
Test(csr, one_byte_challenge_password_beyond_ascii)
{
	struct ndes_csr_info *info;
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);
	char err[256];

	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_T61STRING,
	    (const unsigned char *)"p\xe4ss", 4));
	cr_assert(X509_REQ_sign(req, key, EVP_sha256()));
	info = ndes_csr_inspect(req, err, sizeof(err));
	cr_assert_not_null(info, "%s", err);
	cr_assert_str_eq(info->challenge_password, "p\xc3\xa4ss");
	cr_assert_eq(info->challenge_password_len, 5);
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

Test(csr, challenge_password_with_nul_refused)
{
	EVP_PKEY *key;
	X509_REQ *req = new_req(&key);

	cr_assert(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_IA5STRING,
	    (const unsigned char *)"ab\0cd", 5));
	assert_inspect_fails(req, key,
	    "certificate request: challengePassword is not a valid string");
}

Test(csr, parse_errors)
{
	char err[256];
	uint8_t *der;
	size_t len;
	X509_REQ *req;

	cr_assert_null(ndes_csr_load(workdir_path("none.csr"), err, sizeof(err)));
	tu_expect_file_error(err, "none.csr", "No such file or directory");
	tu_write("junk.csr", "junk", 4);
	cr_assert_null(ndes_csr_load(workdir_path("junk.csr"), err, sizeof(err)));
	tu_expect_file_error(err, "junk.csr", "no certificate request found (PEM or DER expected)");

	tu_sh("printf '[req]\\nprompt=no\\ndistinguished_name=dn\\n[dn]\\nCN=x\\n' > m.cnf && "
	    "\"$OPENSSL\" req -new -newkey %s -nodes -keyout m.key -config m.cnf -outform DER "
	    "-out m.der 2>/dev/null", EC256);
	der = tu_read("m.der", &len);
	cr_assert_not_null(req = ndes_csr_from_der(der, len));
	X509_REQ_free(req);
	cr_assert_null(ndes_csr_from_der(der, len + 1));	/* trailing NUL byte */
	cr_assert_null(ndes_csr_from_der(der, len - 1));
	cr_assert_null(ndes_csr_from_pem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
	    "-----END CERTIFICATE REQUEST-----\n", 71));
	cr_assert_eq(ndes_csr_verify_signature(NULL), -1);
	cr_assert_null(ndes_csr_inspect(NULL, err, sizeof(err)));
	cr_assert_str_eq(err, "no certificate request");
	free(der);
}

Test(csr, san_type_names)
{
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_EMAIL), "EMAIL");
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_UPN), "UPN");
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_DNS), "DNS");
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_URI), "URI");
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_IP), "IP");
	cr_assert_str_eq(ndes_san_type_name(NDES_SAN_OTHER), "OTHER");
}
