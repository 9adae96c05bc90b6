#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "b64.h"
#include "crypto.h"
#include "test_crypto_util.h"

TestSuite(crypto, .init = tu_setup, .fini = workdir_leave);

static const char min_cnf[] = "[req]\ndistinguished_name = dn\n[dn]\n";

/* An EC P-256 key in PKCS#8 PEM, mode 0600. */
static void
make_ec_key(const char *name)
{
	tu_sh("\"$OPENSSL\" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s", name);
	cr_assert_eq(chmod(name, 0600), 0);
}

/* A self-signed certificate for key.pem with that subject and serial. */
static void
make_cert(const char *name, const char *subject, const char *serial)
{
	tu_write("min.cnf", min_cnf, strlen(min_cnf));
	if (access("key.pem", F_OK) != 0)
		make_ec_key("key.pem");
	tu_sh("\"$OPENSSL\" req -x509 -new -config min.cnf -key key.pem -subj '%s' -days 30 "
	    "-set_serial %s -out %s", subject, serial, name);
}

/* SHA-256 of the key's SubjectPublicKeyInfo, computed by the CLI. */
static char *
cli_pubkey_sha256(const char *keyfile, const char *passin)
{
	char *out = tu_sh_out("\"$OPENSSL\" pkey -in %s -passin pass:%s -pubout -outform DER | "
	    "\"$OPENSSL\" dgst -sha256 -r | cut -d' ' -f1", keyfile, passin);

	return tu_strip_colons(out);
}

static void
assert_key_matches(EVP_PKEY *key, const char *keyfile, const char *passin)
{
	char hex[NDES_CRYPTO_HEX_MAX], *want = cli_pubkey_sha256(keyfile, passin);

	cr_assert_not_null(key);
	cr_assert_eq(ndes_crypto_pubkey_sha256(key, hex, sizeof(hex)), 0);
	cr_assert_eq(strlen(hex), NDES_CRYPTO_SHA256_HEX_LEN);
	cr_assert_str_eq(hex, want);
	free(want);
}

static void
assert_key_refused(const char *file, const char *pass, const char *reason)
{
	char err[512] = "";
	EVP_PKEY *key = ndes_crypto_load_key(workdir_path(file), pass, err, sizeof(err));

	cr_assert_null(key);
	tu_expect_file_error(err, file, reason);
}

/* file, encrypted with pass: it loads with pass as the key of plain_file,
 * and is refused with wrong_pass and with no passphrase. */
static void
assert_encrypted_key(const char *file, const char *pass, const char *wrong_pass,
    const char *plain_file, const char *plain_pass)
{
	char err[256] = "";
	EVP_PKEY *key = ndes_crypto_load_key(file, pass, err, sizeof(err));

	cr_assert_not_null(key, "%s: %s", file, err);
	assert_key_matches(key, plain_file, plain_pass);
	EVP_PKEY_free(key);
	assert_key_refused(file, wrong_pass, "cannot decrypt private key (wrong passphrase?)");
	assert_key_refused(file, NULL, "private key is encrypted and no passphrase was given");
}

/* A key file's mode and why the loader refuses it. */
struct refused_mode {
	mode_t		 mode;
	const char	*reason;
};

Test(crypto, key_readable_by_others_refused)
{
	static const struct refused_mode modes[] = {
		{ 0644, "private key file is readable by group or others (mode 0644); chmod 600 it" },
		{ 0640, "private key file is readable by group or others (mode 0640); chmod 600 it" },
		{ 0604, "private key file is readable by group or others (mode 0604); chmod 600 it" },
		{ 0620, "private key file is accessible by group or others (mode 0620); chmod 600 it" },
	};

	make_ec_key("key.pem");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cr_assert_eq(chmod("key.pem", modes[i].mode), 0, "mode %04o", modes[i].mode);
		assert_key_refused("key.pem", NULL, modes[i].reason);
	}
}

Test(crypto, key_0600_and_0400_accepted)
{
	EVP_PKEY *key;
	char err[256];

	make_ec_key("key.pem");
	key = ndes_crypto_load_key(workdir_path("key.pem"), NULL, err, sizeof(err));
	assert_key_matches(key, "key.pem", "");
	EVP_PKEY_free(key);
	cr_assert_eq(chmod("key.pem", 0400), 0);
	key = ndes_crypto_load_key("key.pem", NULL, err, sizeof(err));
	assert_key_matches(key, "key.pem", "");
	EVP_PKEY_free(key);
}

Test(crypto, key_not_regular_or_missing)
{
	cr_assert_eq(mkdir("dir.pem", 0700), 0);
	assert_key_refused("dir.pem", NULL, "private key file is not a regular file");
	/* a FIFO must not block the loader */
	cr_assert_eq(mkfifo("fifo.pem", 0600), 0);
	assert_key_refused("fifo.pem", NULL, "private key file is not a regular file");
	assert_key_refused("missing.pem", NULL, "No such file or directory");
}

Test(crypto, key_formats)
{
	static const char *const files[] = { "pkcs8.pem", "rsa1.pem", "sec1.pem", "pkcs8.der",
		"rsa1.der" };
	EVP_PKEY *key;
	char err[256];
	size_t i;

	tu_sh("\"$OPENSSL\" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pkcs8.pem "
	    "2>/dev/null");
	tu_sh("\"$OPENSSL\" rsa -in pkcs8.pem -traditional -out rsa1.pem 2>/dev/null");
	tu_sh("\"$OPENSSL\" rsa -in pkcs8.pem -traditional -outform DER -out rsa1.der 2>/dev/null");
	tu_sh("\"$OPENSSL\" ecparam -name secp384r1 -genkey -noout -out sec1.pem");
	tu_sh("\"$OPENSSL\" pkey -in pkcs8.pem -outform DER -out pkcs8.der");
	tu_sh("grep -q 'BEGIN RSA PRIVATE KEY' rsa1.pem && grep -q 'BEGIN EC PRIVATE KEY' sec1.pem");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cr_assert_eq(chmod(files[i], 0600), 0);
		key = ndes_crypto_load_key(files[i], NULL, err, sizeof(err));
		cr_assert_not_null(key, "%s: %s", files[i], err);
		assert_key_matches(key, files[i], "");
		cr_assert_eq(EVP_PKEY_get_bits(key), i == 2 ? 384 : 2048);
		EVP_PKEY_free(key);
	}
}

Test(crypto, key_encrypted_traditional_3des)
{
	tu_sh("\"$OPENSSL\" genrsa -traditional -des3 -passout pass:s3cret -out enc.pem 2048 "
	    "2>/dev/null");
	tu_sh("grep -q 'DEK-Info: DES-EDE3-CBC' enc.pem");
	cr_assert_eq(chmod("enc.pem", 0600), 0);
	assert_encrypted_key("enc.pem", "s3cret", "wrong", "enc.pem", "s3cret");
}

Test(crypto, key_encrypted_pkcs8_pem_and_der)
{
	make_ec_key("key.pem");
	tu_sh("\"$OPENSSL\" pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -passout pass:pw -out enc.pem");
	tu_sh("\"$OPENSSL\" pkcs8 -topk8 -v2 aes-128-cbc -in key.pem -passout pass:pw "
	    "-outform DER -out enc.der");
	tu_sh("chmod 600 enc.pem enc.der && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' enc.pem");
	assert_encrypted_key("enc.pem", "pw", "pW", "key.pem", "");
	assert_encrypted_key("enc.der", "pw", "pW", "key.pem", "");
}

Test(crypto, key_public_or_garbage_refused)
{
	static const char *const want =
	    "no private key found (PEM or DER, PKCS#8, PKCS#1 or SEC1 expected)";

	make_ec_key("key.pem");
	tu_sh("\"$OPENSSL\" pkey -in key.pem -pubout -out pub.pem && chmod 600 pub.pem");
	assert_key_refused("pub.pem", NULL, want);
	tu_write("junk.pem", "hello\n", 6);
	cr_assert_eq(chmod("junk.pem", 0600), 0);
	assert_key_refused("junk.pem", NULL, want);
	tu_write("empty.pem", "", 0);
	cr_assert_eq(chmod("empty.pem", 0600), 0);
	assert_key_refused("empty.pem", NULL, want);
	make_cert("cert.pem", "/CN=x", "1");
	cr_assert_eq(chmod("cert.pem", 0600), 0);
	assert_key_refused("cert.pem", NULL, want);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(crypto, write_key_0600_atomically)
{
	EVP_PKEY *key, *back;
	struct stat st;
	char err[256];

	make_ec_key("key.pem");
	cr_assert_eq(mkdir("out", 0700), 0);
	key = ndes_crypto_load_key("key.pem", NULL, err, sizeof(err));
	umask(0);
	tu_write("out/new.pem", "old", 3);
	cr_assert_eq(chmod("out/new.pem", 0644), 0);
	cr_assert_eq(ndes_crypto_write_key("out/new.pem", key, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat("out/new.pem", &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(count_entries("out"), 1);
	tu_sh("grep -q 'BEGIN PRIVATE KEY' out/new.pem");
	back = ndes_crypto_load_key("out/new.pem", NULL, err, sizeof(err));
	assert_key_matches(back, "key.pem", "");
	EVP_PKEY_free(back);

	cr_assert_eq(ndes_crypto_write_key("out/enc.pem", key, "pass phrase", err, sizeof(err)), 0);
	tu_sh("grep -q 'BEGIN ENCRYPTED PRIVATE KEY' out/enc.pem");
	back = ndes_crypto_load_key("out/enc.pem", "pass phrase", err, sizeof(err));
	assert_key_matches(back, "key.pem", "");
	EVP_PKEY_free(back);
	assert_key_refused("out/enc.pem", NULL,
	    "private key is encrypted and no passphrase was given");
	cr_assert_eq(count_entries("out"), 2);

	cr_assert_eq(ndes_crypto_write_key(workdir_path("nodir/k.pem"), key, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, workdir_path("nodir/k.pem: No such file or directory"));
	EVP_PKEY_free(key);
}

Test(crypto, write_cert_0644)
{
	X509 *cert;
	struct stat st;
	uint8_t *a, *b;
	size_t alen, blen;
	char err[256];

	make_cert("cert.pem", "/CN=writer", "7");
	cert = ndes_crypto_load_cert("cert.pem", err, sizeof(err));
	cr_assert_not_null(cert, "%s", err);
	umask(077);
	cr_assert_eq(ndes_crypto_write_cert("copy.pem", cert, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat("copy.pem", &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	a = tu_read("cert.pem", &alen);
	b = tu_read("copy.pem", &blen);
	cr_assert_eq(alen, blen);
	cr_assert_eq(memcmp(a, b, alen), 0);
	free(a);
	free(b);
	X509_free(cert);
}

Test(crypto, thumbprints_match_openssl)
{
	char hex[NDES_CRYPTO_HEX_MAX], *sha1, *sha256, *p;
	uint8_t *der;
	size_t len;
	X509 *cert;
	char err[256];

	make_cert("cert.pem", "/C=US/O=Contoso/CN=thumb", "0x1234");
	sha1 = tu_sh_out("\"$OPENSSL\" x509 -in cert.pem -noout -fingerprint -sha1");
	sha256 = tu_sh_out("\"$OPENSSL\" x509 -in cert.pem -noout -fingerprint -sha256");
	cr_assert_not_null(p = strchr(sha1, '='));
	memmove(sha1, p + 1, strlen(p));
	cr_assert_not_null(p = strchr(sha256, '='));
	memmove(sha256, p + 1, strlen(p));
	tu_strip_colons(sha1);
	tu_strip_colons(sha256);
	cr_assert_eq(strlen(sha1), NDES_CRYPTO_SHA1_HEX_LEN);

	cert = ndes_crypto_load_cert("cert.pem", err, sizeof(err));
	cr_assert_eq(ndes_crypto_thumbprint(cert, EVP_sha1(), hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, sha1);
	cr_assert_eq(ndes_crypto_thumbprint(cert, EVP_sha256(), hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, sha256);
	cr_assert_eq(ndes_crypto_thumbprint(cert, EVP_sha1(), hex, NDES_CRYPTO_SHA1_HEX_LEN), -1);

	/* the same over the raw DER bytes */
	tu_sh("\"$OPENSSL\" x509 -in cert.pem -outform DER -out cert.der");
	der = tu_read("cert.der", &len);
	cr_assert_eq(ndes_crypto_digest_hex(der, len, EVP_sha1(), hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, sha1);
	cr_assert_eq(ndes_crypto_digest_hex(der, len, EVP_sha256(), hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, sha256);
	free(der);
	X509_free(cert);
	free(sha1);
	free(sha256);
}

Test(crypto, pem_der_conversions)
{
	X509 *pem_cert, *der_cert, *c;
	uint8_t *der, *ours;
	size_t len, ourlen;
	char err[256], *pem, *b64;
	size_t pemlen;

	make_cert("cert.pem", "/CN=conv", "5");
	tu_sh("\"$OPENSSL\" x509 -in cert.pem -outform DER -out cert.der");
	pem_cert = ndes_crypto_load_cert("cert.pem", err, sizeof(err));
	der_cert = ndes_crypto_load_cert("cert.der", err, sizeof(err));
	cr_assert_not_null(pem_cert);
	cr_assert_not_null(der_cert, "%s", err);
	cr_assert_eq(X509_cmp(pem_cert, der_cert), 0);

	der = tu_read("cert.der", &len);
	cr_assert_eq(ndes_crypto_cert_to_der(pem_cert, &ours, &ourlen), 0);
	cr_assert_eq(ourlen, len);
	cr_assert_eq(memcmp(ours, der, len), 0);
	cr_assert_not_null(c = ndes_crypto_cert_from_der(der, len));
	X509_free(c);
	cr_assert_null(ndes_crypto_cert_from_der(der, len - 1));
	der[len] = 0;
	cr_assert_null(ndes_crypto_cert_from_der(der, len + 1));	/* trailing byte */
	b64 = ndes_b64_encode(der, len);
	cr_assert_not_null(c = ndes_crypto_cert_from_b64(b64));
	cr_assert_eq(X509_cmp(c, der_cert), 0);
	X509_free(c);
	free(b64);
	b64 = ndes_b64_encode(der, len - 1);
	cr_assert_null(ndes_crypto_cert_from_b64(b64));
	free(b64);
	cr_assert_null(ndes_crypto_cert_from_b64("not base64!"));
	cr_assert_null(ndes_crypto_cert_from_b64(""));
	cr_assert_null(ndes_crypto_cert_from_b64(NULL));

	pem = (char *)tu_read("cert.pem", &pemlen);
	free(ours);
	ours = (uint8_t *)ndes_crypto_cert_to_pem(der_cert);
	cr_assert_str_eq((char *)ours, pem);
	cr_assert_not_null(c = ndes_crypto_cert_from_pem(pem, pemlen));
	cr_assert_eq(X509_cmp(c, der_cert), 0);
	X509_free(c);
	cr_assert_null(ndes_crypto_cert_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n", 57));
	free(ours);
	free(pem);
	free(der);
	X509_free(pem_cert);
	X509_free(der_cert);
}

Test(crypto, load_cert_errors)
{
	char err[256];

	cr_assert_null(ndes_crypto_load_cert(workdir_path("none.pem"), err, sizeof(err)));
	tu_expect_file_error(err, "none.pem", "No such file or directory");
	tu_write("junk.pem", "not a certificate", 17);
	cr_assert_null(ndes_crypto_load_cert(workdir_path("junk.pem"), err, sizeof(err)));
	tu_expect_file_error(err, "junk.pem", "no certificate found (PEM or DER expected)");
}

Test(crypto, der_containing_pem_marker)
{
	char err[256];
	X509 *cert;

	make_cert("cert.pem", "/CN=-----BEGIN X", "1");
	tu_sh("\"$OPENSSL\" x509 -in cert.pem -outform DER -out cert.der && grep -q -- "
	    "'-----BEGIN X' cert.der");
	cert = ndes_crypto_load_cert("cert.der", err, sizeof(err));
	cr_assert_not_null(cert, "%s", err);
	X509_free(cert);
}

static void
assert_subject(X509 *cert, const char *want)
{
	char *s = ndes_crypto_name_to_string(X509_get_subject_name(cert));

	cr_assert_str_eq(s, want);
	free(s);
}

Test(crypto, load_certs_bundle)
{
	STACK_OF(X509) *sk;
	char err[256], want[512];

	make_cert("a.pem", "/CN=Root CA", "1");
	make_cert("b.pem", "/O=Contoso/CN=Issuing CA", "2");
	make_cert("c.pem", "/CN=leaf", "3");
	tu_sh("cat a.pem b.pem c.pem > chain.pem");
	sk = ndes_crypto_load_certs("chain.pem", err, sizeof(err));
	cr_assert_not_null(sk, "%s", err);
	cr_assert_eq(sk_X509_num(sk), 3);
	assert_subject(sk_X509_value(sk, 0), "CN=Root CA");
	assert_subject(sk_X509_value(sk, 1), "CN=Issuing CA,O=Contoso");
	assert_subject(sk_X509_value(sk, 2), "CN=leaf");
	sk_X509_pop_free(sk, X509_free);

	tu_sh("\"$OPENSSL\" x509 -in b.pem -outform DER -out b.der");
	sk = ndes_crypto_load_certs("b.der", err, sizeof(err));
	cr_assert_eq(sk_X509_num(sk), 1);
	assert_subject(sk_X509_value(sk, 0), "CN=Issuing CA,O=Contoso");
	sk_X509_pop_free(sk, X509_free);

	/* the second certificate damaged: the whole bundle is refused */
	tu_sh("{ cat a.pem; sed 3d b.pem; cat c.pem; } > bad.pem");
	cr_assert_null(ndes_crypto_load_certs(workdir_path("bad.pem"), err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "%s: no certificate found or a certificate is damaged (PEM or DER expected)",
	    workdir_path("bad.pem"));
	cr_assert_str_eq(err, want);
	tu_write("empty.pem", "", 0);
	cr_assert_null(ndes_crypto_load_certs("empty.pem", err, sizeof(err)));
}

Test(crypto, serial_numbers)
{
	char hex[NDES_CRYPTO_HEX_MAX], err[256], *cli;
	X509 *cert;

	make_cert("high.pem", "/CN=high", "0x8899AABBCCDDEEFF");
	make_cert("low.pem", "/CN=low", "0x0123456789abcdef01");
	cert = ndes_crypto_load_cert("high.pem", err, sizeof(err));
	cr_assert_eq(ndes_crypto_serial_hex(cert, hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, "008899AABBCCDDEEFF");
	cli = tu_sh_out("\"$OPENSSL\" x509 -in high.pem -noout -serial");
	cr_assert_str_eq(cli, "serial=8899AABBCCDDEEFF");
	cr_assert_eq(ndes_crypto_serial_equal(hex, cli + 7), 1);
	cr_assert_eq(ndes_crypto_serial_hex(cert, hex, 18), -1);
	X509_free(cert);
	free(cli);

	cert = ndes_crypto_load_cert("low.pem", err, sizeof(err));
	cr_assert_eq(ndes_crypto_serial_hex(cert, hex, sizeof(hex)), 0);
	cr_assert_str_eq(hex, "0123456789ABCDEF01");
	X509_free(cert);

	cr_assert_eq(ndes_crypto_serial_equal("0123456789ABCDEF01", "123456789abcdef01"), 1);
	cr_assert_eq(ndes_crypto_serial_equal("01", "02"), 0);
	cr_assert_eq(ndes_crypto_serial_equal("0x01", "01"), -1);
	cr_assert_eq(ndes_crypto_serial_equal("", "00"), -1);
	cr_assert_eq(ndes_crypto_serial_equal("01 ", "01"), -1);
}

Test(crypto, not_after_as_iso8601)
{
	char when[32], err[256];
	X509 *cert;

	make_cert("t.pem", "/CN=t", "0x01");
	cert = ndes_crypto_load_cert("t.pem", err, sizeof(err));
	cr_assert_not_null(cert, "%s", err);
	cr_assert(ASN1_TIME_set_string(X509_getm_notAfter(cert), "20301231235958Z"));
	cr_assert_eq(ndes_crypto_not_after_iso8601(cert, when, sizeof(when)), 0);
	cr_assert_str_eq(when, "2030-12-31T23:59:58Z");
	cr_assert(ASN1_TIME_set_string(X509_getm_notAfter(cert), "490102030405Z"));
	cr_assert_eq(ndes_crypto_not_after_iso8601(cert, when, sizeof(when)), 0);
	cr_assert_str_eq(when, "2049-01-02T03:04:05Z", "UTCTime 49 is 2049");
	cr_assert_eq(ndes_crypto_not_after_iso8601(cert, when, 20), -1, "no room for the Z");
	cr_assert_eq(ndes_crypto_not_after_iso8601(NULL, when, sizeof(when)), -1);
	X509_free(cert);
}

Test(crypto, asn1_time_to_seconds_is_checked)
{
	ASN1_TIME *t = ASN1_TIME_new();
	time_t s = 42;

	cr_assert(ASN1_TIME_set_string(t, "20301231235958Z"));
	cr_assert_eq(ndes_crypto_asn1_time(t, &s), 0);
	cr_assert_eq(s, (time_t)1924991998);
	cr_assert(ASN1_TIME_set_string(t, "700101000000Z"));
	cr_assert_eq(ndes_crypto_asn1_time(t, &s), 0);
	cr_assert_eq(s, 0, "UTCTime 70 is 1970");
	s = 42;
	cr_assert_eq(ndes_crypto_asn1_time(NULL, &s), -1);
	cr_assert_eq(s, 0, "a failure leaves 0");
	/* bytes that are no time at all (ASN1_TIME_set_string would refuse them) */
	cr_assert(ASN1_STRING_set(t, "2030-12-31", 10));
	s = 42;
	cr_assert_eq(ndes_crypto_asn1_time(t, &s), -1);
	cr_assert_eq(s, 0);
	ASN1_TIME_free(t);
}

Test(crypto, pubkey_der_and_sha256)
{
	uint8_t *der, *cli;
	size_t len, clilen;
	EVP_PKEY *key;
	X509 *cert;
	char err[256], a[NDES_CRYPTO_HEX_MAX], b[NDES_CRYPTO_HEX_MAX];

	make_cert("cert.pem", "/CN=pub", "9");
	tu_sh("\"$OPENSSL\" pkey -in key.pem -pubout -outform DER -out pub.der");
	key = ndes_crypto_load_key("key.pem", NULL, err, sizeof(err));
	cr_assert_eq(ndes_crypto_pubkey_der(key, &der, &len), 0);
	cli = tu_read("pub.der", &clilen);
	cr_assert_eq(len, clilen);
	cr_assert_eq(memcmp(der, cli, len), 0);
	/* private key and certificate give the same public key digest */
	cert = ndes_crypto_load_cert("cert.pem", err, sizeof(err));
	cr_assert_eq(ndes_crypto_pubkey_sha256(key, a, sizeof(a)), 0);
	cr_assert_eq(ndes_crypto_pubkey_sha256(X509_get0_pubkey(cert), b, sizeof(b)), 0);
	cr_assert_str_eq(a, b);
	cr_assert_eq(ndes_crypto_pubkey_sha256(NULL, b, sizeof(b)), -1);
	free(der);
	free(cli);
	X509_free(cert);
	EVP_PKEY_free(key);
}

Test(crypto, name_strings)
{
	X509_NAME *n = X509_NAME_new();
	char *s;
	X509 *cert;
	char err[256];

	s = ndes_crypto_name_to_string(n);
	cr_assert_str_eq(s, "");
	free(s);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Smith, Jones + Co", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Zo\xc3\xab M\xc3\xbcller", -1, -1, 0);
	/* a multi-valued RDN: UID joins the CN's set (printed reversed, like the RDNs) */
	X509_NAME_add_entry_by_txt(n, "UID", MBSTRING_UTF8, (const unsigned char *)"zoe", -1, -1,
	    -1);
	X509_NAME_add_entry_by_txt(n, "emailAddress", MBSTRING_ASC,
	    (const unsigned char *)"zoe@contoso.com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "1.2.3.4", MBSTRING_UTF8, (const unsigned char *)"x", -1,
	    -1, 0);
	s = ndes_crypto_name_to_string(n);
	cr_assert_str_eq(s, "1.2.3.4=#0C0178,emailAddress=zoe@contoso.com,"
	    "UID=zoe+CN=Zo\xc3\xab M\xc3\xbcller,O=Smith\\, Jones \\+ Co,C=US");
	free(s);
	X509_NAME_free(n);

	make_cert("cert.pem", "/C=US/O=Contoso/OU=Sales/CN=alice", "1");
	cert = ndes_crypto_load_cert("cert.pem", err, sizeof(err));
	assert_subject(cert, "CN=alice,OU=Sales,O=Contoso,C=US");
	X509_free(cert);
	cr_assert_null(ndes_crypto_name_to_string(NULL));
}
