/* PKCS requests: issuance on a real CA folder, PKCS#12 in CMS to the
 * device's key, opened again with the device's private key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "ca.h"
#include "crypto.h"
#include "pkcs.h"
#include "test_connector_util.h"
#include "lib/testpki.h"

TestSuite(pkcs, .init = tc_setup, .fini = workdir_leave);

static struct conn_ca *
open_ca(void)
{
	struct conn_ca_folder_opts o = { .name = "ca01", .folder = workdir_path("ca"),
	    .crl_days = 7, .may_revoke = true };

	return conn_ca_folder_new(&o);
}

static json_t *
request_json(EVP_PKEY *device, const char *key_type, int key_size)
{
	uint8_t *der = NULL;
	size_t len;
	char *b64;
	json_t *req;

	cr_assert_eq(ndes_crypto_pubkey_der(device, &der, &len), 0);
	b64 = ndes_b64_encode(der, len);
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:s, s:i,"
	    " s:[s, s], s:[s], s:s, s:i, s:s, s:s}",
	    "requestId", "req-1", "deviceId", "dev-1", "userId", "alice@contoso.com",
	    "profile", "wifi", "templateName", "User", "subject", "CN=alice,O=Contoso",
	    "sans", "type", "upn", "value", "alice@contoso.com", "type", "email", "value",
	    "alice@contoso.com", "keyType", key_type, "keySize", key_size,
	    "keyUsage", "digitalSignature", "keyEncipherment",
	    "extendedKeyUsages", "1.3.6.1.5.5.7.3.2", "hash", "sha256", "validityDays", 30,
	    "devicePublicKey", b64, "caConfiguration", "ca01");
	cr_assert_not_null(req);
	free(der);
	free(b64);
	return req;
}

static void
open_result(const struct conn_pkcs_result *res, EVP_PKEY *device, EVP_PKEY **key,
    X509 **cert, STACK_OF(X509) **chain)
{
	uint8_t *der;
	size_t len;
	char err[256];

	cr_assert(res->succeeded, "%s", res->error_message);
	cr_assert_eq(ndes_b64_decode(res->envelope, strlen(res->envelope), &der, &len), 0);
	cr_assert_eq(conn_pkcs_unpack(der, len, device, key, cert, chain, err, sizeof(err)), 0,
	    "%s", err);
	free(der);
}

static void
run(EVP_PKEY *device, const char *key_type, int key_size, const char *want_type, int want_bits)
{
	struct conn_pkcs_opts opts = { .template_s = 365 * 86400, .attribute_end_date = true };
	struct conn_pkcs_request req;
	struct conn_pkcs_result res;
	struct conn_ca *ca;
	json_t *j = request_json(device, key_type, key_size);
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	char err[256], tp[64], *subject;
	int days, secs;

	tc_make_ca("ca", 365, NULL);
	ca = open_ca();
	cr_assert_eq(conn_pkcs_request_parse(j, &req, err, sizeof(err)), 0);
	conn_pkcs_process(ca, &req, &opts, &res);
	open_result(&res, device, &key, &cert, &chain);
	cr_assert(EVP_PKEY_is_a(key, want_type));
	cr_assert_eq(EVP_PKEY_get_bits(key), want_bits);
	cr_assert_eq(X509_check_private_key(cert, key), 1);
	subject = ndes_crypto_name_to_string(X509_get_subject_name(cert));
	cr_assert_str_eq(subject, "CN=alice,O=Contoso");
	ndes_crypto_thumbprint(cert, EVP_sha1(), tp, sizeof(tp));
	cr_assert_str_eq(res.thumbprint, tp);
	cr_assert_str_eq(res.serial, "01");
	cr_assert_eq(sk_X509_num(chain), 1);
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
	/* 30 days asked, shorter than the template */
	cr_assert(days == 30 || (days == 29 && secs > 86000), "%d days %d s", days, secs);
	cr_assert_eq(strlen(res.expiry), 20);
	json_t *out = conn_pkcs_result_json(req.request_id, &res);
	cr_assert_str_eq(json_string_value(json_object_get(out, "certificateSerialNumber")), "01");
	cr_assert(json_is_true(json_object_get(out, "succeeded")));
	json_decref(out);
	free(subject);
	json_decref(j);
	conn_pkcs_request_clear(&req);
	conn_pkcs_result_clear(&res);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	conn_ca_free(ca);
}

Test(pkcs, rsa_device_gets_rsa_key_and_certificate)
{
	EVP_PKEY *device = testpki_key("rsa-2048");

	run(device, "RSA", 2048, "RSA", 2048);
	EVP_PKEY_free(device);
}

Test(pkcs, ec_device_gets_ec_p384_key)
{
	EVP_PKEY *device = testpki_key("ec-p256");

	run(device, "EC", 384, "EC", 384);
	EVP_PKEY_free(device);
}

Test(pkcs, another_key_cannot_open_the_envelope)
{
	EVP_PKEY *device = testpki_key("rsa-2048"), *other = testpki_key("rsa-2048");
	struct conn_pkcs_opts opts = { .template_s = 86400 };
	struct conn_pkcs_request req;
	struct conn_pkcs_result res;
	struct conn_ca *ca;
	json_t *j = request_json(device, "EC", 256);
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	uint8_t *der;
	size_t len;
	char err[256];

	tc_make_ca("ca", 365, NULL);
	ca = open_ca();
	conn_pkcs_request_parse(j, &req, err, sizeof(err));
	conn_pkcs_process(ca, &req, &opts, &res);
	cr_assert(res.succeeded, "%s", res.error_message);
	ndes_b64_decode(res.envelope, strlen(res.envelope), &der, &len);
	cr_assert_eq(conn_pkcs_unpack(der, len, other, &key, &cert, &chain, err, sizeof(err)), -1);
	/* With a wrong RSA key OpenSSL's CMS goes on with a random content key
	 * (its defence against padding oracles), so about one time in 256 the
	 * CBC padding of the garbage is valid and the refusal comes one step
	 * later, from the PKCS#12 parser. */
	cr_assert(strncmp(err, "cannot decrypt", 14) == 0 ||
	    strncmp(err, "not a PKCS#12", 13) == 0, "%s", err);
	/* the openssl command opens it with the device key */
	FILE *f = fopen(workdir_path("env.der"), "w");
	fwrite(der, 1, len, f);
	fclose(f);
	f = fopen(workdir_path("device.key"), "w");
	PEM_write_PrivateKey(f, device, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	cr_assert_eq(tc_sh("\"$OPENSSL\" cms -decrypt -inform DER -in env.der -inkey device.key "
	    "-binary -out p12.der && \"$OPENSSL\" pkcs12 -in p12.der -passin pass: -nokeys "
	    "2>/dev/null | grep -q 'subject=O = Contoso, CN = alice'"), 0);
	free(der);
	json_decref(j);
	conn_pkcs_request_clear(&req);
	conn_pkcs_result_clear(&res);
	conn_ca_free(ca);
	EVP_PKEY_free(device);
	EVP_PKEY_free(other);
}

static void
expect_failure(json_t *j, struct conn_pkcs_opts *opts, int code, enum conn_ca_status st,
    const char *msg)
{
	struct conn_pkcs_request req;
	struct conn_pkcs_result res;
	struct conn_ca *ca = open_ca();
	char err[256];
	json_t *out;

	cr_assert_eq(conn_pkcs_request_parse(j, &req, err, sizeof(err)), 0);
	conn_pkcs_process(ca, &req, opts, &res);
	cr_assert_not(res.succeeded);
	cr_assert_eq(res.status, st);
	cr_assert_eq(res.error_code, code);
	if (msg != NULL)
		cr_assert_str_eq(res.error_message, msg);
	else
		cr_assert_not_null(strstr(res.error_message, "ca.key: No such file"), "%s",
		    res.error_message);
	out = conn_pkcs_result_json(req.request_id, &res);
	cr_assert(json_is_null(json_object_get(out, "pkcs12Envelope")));
	cr_assert_eq(json_integer_value(json_object_get(out, "errorCode")), code);
	json_decref(out);
	conn_pkcs_request_clear(&req);
	conn_pkcs_result_clear(&res);
	conn_ca_free(ca);
}

Test(pkcs, bad_requests_become_failure_results)
{
	EVP_PKEY *device = testpki_key("ec-p256");
	struct conn_pkcs_opts opts = { .template_s = 86400 };
	json_t *j;

	tc_make_ca("ca", 365, NULL);
	j = request_json(device, "RSA", 1024);
	expect_failure(j, &opts, 4002, CONN_CA_BAD_REQUEST,
	    "RSA key size 1024 is not between 2048 and 8192");
	json_object_set_new(j, "keySize", json_integer(2048));
	json_object_set_new(j, "devicePublicKey", json_string("AAAA"));
	expect_failure(j, &opts, 4002, CONN_CA_BAD_REQUEST,
	    "devicePublicKey is missing or not a DER SubjectPublicKeyInfo in base64");
	json_decref(j);
	j = request_json(device, "RSA", 2048);
	opts.template_s = -1;
	expect_failure(j, &opts, 4002, CONN_CA_BAD_REQUEST,
	    "template \"User\" is not offered by this CA");
	opts.template_s = 86400;
	json_object_set_new(j, "subject", json_string("XX=alice"));
	expect_failure(j, &opts, 4002, CONN_CA_BAD_REQUEST, "unknown attribute type \"XX\"");
	json_object_set_new(j, "subject", json_string("CN=alice"));
	cr_assert_eq(tc_sh("rm ca/ca.key"), 0);
	expect_failure(j, &opts, 4101, CONN_CA_UNAVAILABLE, NULL);
	json_decref(j);
	EVP_PKEY_free(device);
}
