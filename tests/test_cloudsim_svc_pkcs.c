/* ndes-cloud-sim: the PKCS request queue, a delivered PKCS#12 opened with
 * the device key, and a restart that keeps every queue and record. */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/cms.h>
#include <openssl/pkcs12.h>

#include "b64.h"
#include "crypto.h"
#include "lib/json_expect.h"
#include "lib/testpki.h"
#include "test_cloudsim_svc_util.h"

static struct conn conn;

static void
setup(void)
{
	sim_registered_setup(&conn, NULL, "rsa-2048");
}

static void
teardown(void)
{
	sim_registered_teardown(&conn);
}

TestSuite(pkcs, .init = setup, .fini = teardown);

static char *
queue_pkcs(void)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "device", "dev-win-1", "profile",
	    "workstation", "caConfiguration", "ca.example\\Svc Issuing CA"), *answer;
	char *id;
	int status = 0;

	answer = sim_admin(&sim, "POST", "/admin/pkcs-requests", body, &status);
	cr_assert_eq(status, 201, "%s", err_msg(answer));
	id = strdup(json_string_value(json_object_get(answer, "requestId")));
	json_decref(answer);
	json_decref(body);
	return id;
}

/* What the connector does: a key and certificate for the request, in a
 * PKCS#12 with an empty password, enveloped to the device certificate. */
static char *
make_envelope(json_t *item, X509 **issued)
{
	X509 *device = cert_b64(json_string_value(json_object_get(item, "deviceCertificate")));
	STACK_OF(X509) *recips = sk_X509_new_null();
	EVP_PKEY *key = testpki_key("rsa-2048");
	unsigned char *p12der = NULL, *envder = NULL;
	CMS_ContentInfo *env;
	PKCS12 *p12;
	BIO *in;
	char *b64;
	int n;

	*issued = testpki_cert(key, "WS042", NULL, NULL, -60, 365);
	p12 = PKCS12_create("", NULL, key, *issued, NULL, 0, 0, 0, 0, 0);
	cr_assert(p12 != NULL);
	n = i2d_PKCS12(p12, &p12der);
	in = BIO_new_mem_buf(p12der, n);
	sk_X509_push(recips, device);
	env = CMS_encrypt(recips, in, EVP_aes_256_cbc(), CMS_BINARY);
	cr_assert(env != NULL);
	n = i2d_CMS_ContentInfo(env, &envder);
	b64 = ndes_b64_encode(envder, (size_t)n);
	OPENSSL_free(p12der);
	OPENSSL_free(envder);
	CMS_ContentInfo_free(env);
	BIO_free(in);
	PKCS12_free(p12);
	sk_X509_pop_free(recips, X509_free);
	EVP_PKEY_free(key);
	return b64;
}

static json_t *
download_one(const char *id)
{
	json_t *answer, *item;
	int status = 0;

	answer = sim_api(&sim, &conn, "POST", "/PkcsRequests/download", "{\"maxRequests\":10}",
	    &status);
	cr_assert_eq(status, 200);
	cr_assert_eq(json_array_size(json_object_get(answer, "value")), 1);
	item = json_incref(json_array_get(json_object_get(answer, "value"), 0));
	json_decref(answer);
	cr_assert_str_eq(json_string_value(json_object_get(item, "requestId")), id);
	return item;
}

static void
check_item(json_t *item)
{
	X509 *device = cert_b64(json_string_value(json_object_get(item, "deviceCertificate")));
	const char *spki = json_string_value(json_object_get(item, "devicePublicKey"));
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64;

	json_expect_strings(item,
	    "deviceId", "dev-win-1",
	    "profile", "workstation",
	    "subject", "CN=WS042,OU=Workstations,O=Contoso,C=US",
	    "keyType", "RSA",
	    "caConfiguration", "ca.example\\Svc Issuing CA", NULL);
	json_expect_strings(json_array_get(json_object_get(item, "sans"), 0),
	    "value", "ws042.corp.contoso.com", NULL);
	cr_assert_eq(json_integer_value(json_object_get(item, "keySize")), 2048);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(item, "keyUsage"), 0)),
	    "digitalSignature");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(item,
	    "extendedKeyUsages"), 0)), "1.3.6.1.5.5.7.3.2");
	cr_assert_eq(json_integer_value(json_object_get(item, "validityDays")), 365);
	/* devicePublicKey is the SPKI of deviceCertificate. */
	cr_assert(ndes_crypto_pubkey_der(X509_get0_pubkey(device), &der, &len) == 0);
	b64 = ndes_b64_encode(der, len);
	cr_assert_str_eq(spki, b64);
	free(b64);
	free(der);
	X509_free(device);
}

Test(pkcs, request_download_upload_and_open)
{
	char *id = queue_pkcs(), *env, *body, thumb[64], serial[64];
	json_t *item, *answer, *opened;
	X509 *issued = NULL;
	int status = 0;

	item = download_one(id);
	check_item(item);
	env = make_envelope(item, &issued);
	ndes_crypto_thumbprint(issued, EVP_sha1(), thumb, sizeof(thumb));
	ndes_crypto_serial_hex(issued, serial, sizeof(serial));
	cr_assert(asprintf(&body, "{\"results\":[{\"requestId\":\"%s\",\"succeeded\":true,"
	    "\"pkcs12Envelope\":\"%s\",\"certificateThumbprint\":\"%s\","
	    "\"certificateSerialNumber\":\"%s\",\"certificateExpirationDateUtc\":"
	    "\"2027-01-31T12:00:00Z\",\"errorCode\":0}]}", id, env, thumb, serial) > 0);
	answer = sim_api(&sim, &conn, "POST", "/PkcsRequests/uploadResults", body, &status);
	cr_assert_eq(status, 200, "%s", err_msg(answer));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(answer,
	    "value"), 0), "status")), "recorded");
	json_decref(answer);
	answer = sim_api(&sim, &conn, "POST", "/PkcsRequests/uploadResults", body, &status);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(answer,
	    "value"), 0), "status")), "duplicate");
	json_decref(answer);
	/* The device's view: the emulator opens the envelope with the device key. */
	answer = json_pack("{s:s}", "requestId", id);
	opened = sim_admin(&sim, "POST", "/admin/pkcs-open", answer, &status);
	cr_assert_eq(status, 200, "%s", err_msg(opened));
	cr_assert_str_eq(json_string_value(json_object_get(opened, "thumbprint")), thumb);
	cr_assert_str_eq(json_string_value(json_object_get(opened, "serialNumber")), serial);
	cr_assert_str_eq(json_string_value(json_object_get(opened, "subject")), "CN=WS042");
	cr_assert_eq(json_is_true(json_object_get(opened, "keyMatches")), 1);
	json_decref(opened);
	json_decref(answer);
	X509_free(issued);
	json_decref(item);
	free(env);
	free(body);
	free(id);
}

Test(pkcs, bad_results_get_400_naming_the_field)
{
	static const struct { const char *result, *msg; } cases[] = {
		{ "{\"requestId\":\"r\",\"succeeded\":true,\"certificateThumbprint\":\"AB\","
		  "\"certificateSerialNumber\":\"01\","
		  "\"certificateExpirationDateUtc\":\"2027-01-01\","
		  "\"pkcs12Envelope\":\"AAAA\"}",
		  "results[0]: field \"pkcs12Envelope\": not a DER CMS EnvelopedData" },
		{ "{\"requestId\":\"r\",\"succeeded\":true,\"certificateThumbprint\":\"AB\","
		  "\"certificateSerialNumber\":\"01\",\"certificateExpirationDateUtc\":\"soon\"}",
		  "results[0]: field \"certificateExpirationDateUtc\": expected an ISO 8601 date "
		  "(\"2025-01-31T12:00:00Z\")" },
		{ "{\"requestId\":\"r\",\"succeeded\":false}",
		  "results[0]: field \"errorCode\": required" },
		{ "{\"requestId\":\"r\",\"succeeded\":false,\"errorCode\":0}",
		  "results[0]: field \"errorCode\": must be non-zero when \"succeeded\" is false" },
		{ "5", "results[0]: expected an object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body;
		json_t *answer;
		int status = 0;

		cr_assert(asprintf(&body, "{\"results\":[%s]}", cases[i].result) > 0);
		answer = sim_api(&sim, &conn, "POST", "/PkcsRequests/uploadResults", body, &status);
		cr_assert_eq(status, 400, "case %zu", i);
		cr_assert_str_eq(err_msg(answer), cases[i].msg, "case %zu", i);
		json_decref(answer);
		free(body);
	}
}

static size_t
list_size(const char *what)
{
	char path[64];
	json_t *answer;
	size_t n;
	int status = 0;

	snprintf(path, sizeof(path), "/admin/%s", what);
	answer = sim_admin(&sim, "GET", path, NULL, &status);
	cr_assert_eq(status, 200);
	n = json_array_size(json_object_get(answer, "value"));
	json_decref(answer);
	return n;
}

Test(pkcs, restart_keeps_queues_and_records)
{
	json_t *body = json_pack("{s:s, s:s}", "serial", "7F01", "issuerName", "CN=R"), *answer;
	const char *note = "{\"transactionId\":\"tx-r\",\"certificateRequest\":\"r\","
	    "\"hResult\":5,\"errorDescription\":\"d\",\"callerInfo\":\"c\"}";
	char *token = sim_token(&sim, 0), *id = queue_pkcs();
	struct conn other;
	int status = 0;

	json_decref(sim_admin(&sim, "POST", "/admin/revocations", body, &status));
	json_decref(sim_api(&sim, &conn, "POST", "/ScepActions/failureNotification", note,
	    &status));
	conn_init(&other, "ec-p256");
	cr_assert_eq(sim_register(&sim, token, &other, NULL), 201);
	json_decref(body);
	body = json_pack("{s:s, s:s}", "device", "dev-win-1", "profile", "workstation");
	json_decref(sim_admin(&sim, "POST", "/admin/challenges", body, &status));
	cr_assert_eq(status, 201);

	sim_stop(&sim);
	sim_start(&sim);

	cr_assert_eq(list_size("connectors"), 2);
	cr_assert_eq(list_size("challenges"), 1);
	cr_assert_eq(list_size("notifications"), 1);
	/* The queued work is still there and the connectors' certificates work. */
	answer = sim_api(&sim, &other, "POST",
	    "/CertificateAuthorityRequests/downloadRevocationRequests",
	    "{\"downloadParameters\":{\"maxRequests\":5,\"issuerName\":\"CN=R\"}}", &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(answer,
	    "value"), 0), "serialNumber")), "7F01");
	json_decref(answer);
	json_decref(download_one(id));
	answer = sim_api(&sim, &conn, "POST", "/ScepActions/failureNotification", note, &status);
	cr_assert_eq(json_is_true(json_object_get(answer, "duplicate")), 1);
	json_decref(answer);
	/* The used token stays used. */
	cr_assert_eq(sim_register(&sim, token, &other, &answer), 401);
	cr_assert_str_eq(err_code(answer), "token_used");
	json_decref(answer);
	json_decref(body);
	conn_free(&other);
	free(token);
	free(id);
}
