/* ndes-crpd's HTTP API: VerifyRequest (201 / JSON errors), Notify (204),
 * /healthz, the 65,534-byte limits on the request line and the body
 * (refused before the excess is read), TLS. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/x509v3.h>

#include "http_client.h"
#include "tls.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

#define VERIFY "/CertificateRegistrationSvc/Certificate/VerifyRequest"
#define NOTIFY "/CertificateRegistrationSvc/Certificate/Notify"

static struct crpd_h *h;
static EVP_PKEY *dev_key;
static int port;

static void
start_with(const struct crpd_h_opts *o)
{
	dev_key = testpki_key("ec-p256");
	h = crpd_h_launch(o);
	port = crpd_h_http_port(h);
}

static void
setup(void)
{
	start_with(&(struct crpd_h_opts){ .extra_yaml = "http:\n  address: 127.0.0.1\n"
	    "  port: 0" });
}

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(dev_key);
}

TestSuite(crpd_http, .init = setup, .fini = teardown, .timeout = 60);

struct resp {
	int status;
	char *body;
	json_t *json;
};

static void
resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
}

static void
fetch_tls(SSL_CTX *tls, const char *method, const char *path, const char *body,
    struct resp *out)
{
	struct ndes_http_fetch_opts o;
	char url[64], err[512];
	size_t len;
	enum ndes_http_err e;

	memset(&o, 0, sizeof(o));
	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tls != NULL ? "https" : "http", port);
	o.client.base_url = url;
	o.client.tls = tls;
	o.client.timeout_ms = 20000;
	o.method = method;
	o.path = path;
	o.content_type = body != NULL ? "application/json" : NULL;
	o.body = body;
	o.len = body != NULL ? strlen(body) : 0;
	e = ndes_http_fetch(&o, &out->status, &out->body, &len, err, sizeof(err));
	cr_assert_eq(e, NDES_HTTP_OK, "%s %s: %s", method, path, err);
	out->json = json_loads(out->body, 0, NULL);
}

static void
fetch(const char *method, const char *path, const char *body, struct resp *out)
{
	fetch_tls(NULL, method, path, body, out);
}

static const char *
jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static char *
verify_body(const char *id, const char *txn)
{
	char *csr = crpd_h_csr_b64(h, id, dev_key), *body;
	json_t *o = json_pack("{s:s, s:s, s:s}", "transactionId", txn, "certificateRequest",
	    csr, "templateName", "UserTemplate");

	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(csr);
	return body;
}

Test(crpd_http, verify_success_is_201)
{
	char *body = verify_body("aa000000-0000-4c55-9a7e-1b2c3d4e5f60", "txn-http-ok");
	struct resp r;
	json_t *arr;

	fetch("POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
	cr_assert(json_is_true(json_object_get(r.json, "verified")));
	cr_assert_eq(json_integer_value(json_object_get(r.json, "eventId")), 20500);
	cr_assert_str_eq(jstr(r.json, "diagCode", NULL), "0x00000000");
	cr_assert_str_eq(jstr(r.json, "challengeId", NULL), "aa000000-0000-4c55-9a7e-1b2c3d4e5f60");
	cr_assert_str_eq(jstr(r.json, "deviceId", NULL), "device-0001");
	cr_assert_str_eq(jstr(r.json, "userId", NULL), "alice@contoso.com");
	crpd_h_expect_event(h, "txn-http-ok", 20500, 0, &arr);
	json_decref(arr);
	resp_free(&r);
	free(body);
}

/* signingCertificate is accepted and ignored, whatever it holds
 * (docs/crpd.md, "The policy module's signing certificate"). */
Test(crpd_http, signing_certificate_is_accepted_and_ignored)
{
	static const char *const values[] = { "\"not base64 ***\"", "{\"any\":1}", "\"MA==\"" };
	char id[64], txn[32], *csr, *body;
	struct resp r;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(id, sizeof(id), "aa000000-2222-4c55-9a7e-1b2c3d4e5f6%zu", i);
		snprintf(txn, sizeof(txn), "txn-http-signer-%zu", i);
		csr = crpd_h_csr_b64(h, id, dev_key);
		cr_assert_neq(asprintf(&body, "{\"transactionId\":\"%s\",\"certificateRequest\":"
		    "\"%s\",\"signingCertificate\":%s}", txn, csr, values[i]), -1);
		fetch("POST", VERIFY, body, &r);
		cr_assert_eq(r.status, 201, "%s: %d %s", values[i], r.status, r.body);
		cr_assert_eq(json_integer_value(json_object_get(r.json, "eventId")), 20500);
		cr_assert_str_eq(jstr(r.json, "challengeId", NULL), id);
		resp_free(&r);
		free(body);
		free(csr);
	}
}

Test(crpd_http, verify_refusal_is_a_json_error)
{
	char *body = verify_body("aa000000-1111-4c55-9a7e-1b2c3d4e5f60", "txn-http-1");
	struct resp r;

	fetch("POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 201);
	resp_free(&r);
	free(body);
	/* the same challenge for another key: a replay */
	EVP_PKEY_free(dev_key);
	dev_key = testpki_key("ec-p256");
	body = verify_body("aa000000-1111-4c55-9a7e-1b2c3d4e5f60", "txn-http-2");
	fetch("POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
	cr_assert(json_is_false(json_object_get(r.json, "verified")));
	cr_assert_str_eq(jstr(r.json, "error", "code"), "NDES_Challenge_Replayed");
	cr_assert_str_eq(jstr(r.json, "error", "diagCode"), "0x0000100A");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"),
	    "eventId")), 20501);
	cr_assert_str_eq(jstr(r.json, "error", "message"),
	    "challenge already used (replay with another key)");
	resp_free(&r);
	free(body);
}

Test(crpd_http, bad_bodies_are_400)
{
	static const struct {
		const char *body, *message;
	} cases[] = {
		{ "{\"transactionId\":", NULL },
		{ "[]", "request body must be a JSON object" },
		{ "{\"transactionId\":\"t\"}", "field \"certificateRequest\": required" },
		{ "{\"transactionId\":\"t\",\"certificateRequest\":\"***\"}",
		  "field \"certificateRequest\": not base64" },
		{ "{\"transactionId\":7,\"certificateRequest\":\"MA==\"}",
		  "field \"transactionId\": expected a string" },
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fetch("POST", VERIFY, cases[i].body, &r);
		cr_assert_eq(r.status, 400, "%s: %d", cases[i].body, r.status);
		cr_assert_str_eq(jstr(r.json, "error", "code"), "bad_request");
		if (cases[i].message != NULL)
			cr_assert_str_eq(jstr(r.json, "error", "message"), cases[i].message);
		resp_free(&r);
	}
	fetch("POST", NOTIFY, "{\"disposition\":5}", &r);
	cr_assert_eq(r.status, 400);
	cr_assert_str_eq(jstr(r.json, "error", "message"),
	    "field \"disposition\": must be -1, 0, 2, 3 or 11");
	resp_free(&r);
	fetch("GET", VERIFY, NULL, &r);
	cr_assert_eq(r.status, 405);
	resp_free(&r);
}

/* A body of exactly n bytes: the verify body padded with a field. */
static char *
padded_body(const char *id, const char *txn, size_t n)
{
	char *csr = crpd_h_csr_b64(h, id, dev_key), *body;
	size_t fixed;
	int len;

	len = asprintf(&body, "{\"transactionId\":\"%s\",\"certificateRequest\":\"%s\","
	    "\"padding\":\"", txn, csr);
	cr_assert_gt(len, 0);
	fixed = (size_t)len + 2;
	cr_assert_lt(fixed, n);
	body = realloc(body, n + 1);
	memset(body + len, 'x', n - fixed);
	strcpy(body + len + (n - fixed), "\"}");
	cr_assert_eq(strlen(body), n);
	free(csr);
	return body;
}

Test(crpd_http, body_of_65534_bytes_is_accepted)
{
	char *body = padded_body("bb000000-0000-4c55-9a7e-1b2c3d4e5f60", "txn-65534", 65534);
	struct resp r;

	fetch("POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
	resp_free(&r);
	free(body);
}

static int
raw_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Whatever the server sends until it closes (10 s at most). */
static char *
raw_read_all(int fd)
{
	char *buf = calloc(1, 65536);
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;

	while (len < 65535 && poll(&pfd, 1, 10000) == 1 &&
	    (n = read(fd, buf + len, 65535 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

Test(crpd_http, body_over_65534_bytes_is_refused_before_it_is_sent)
{
	const char *hdr = "POST " VERIFY " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	    "Content-Length: 65535\r\n\r\n";
	int fd = raw_connect();
	char *reply;

	/* Only the headers: the server must answer without waiting for the body. */
	cr_assert_eq(write(fd, hdr, strlen(hdr)), (ssize_t)strlen(hdr));
	reply = raw_read_all(fd);
	cr_assert(strncmp(reply, "HTTP/1.1 413 ", 13) == 0, "%.80s", reply);
	close(fd);
	free(reply);
}

Test(crpd_http, chunked_body_over_65534_bytes_is_refused)
{
	const char *hdr = "POST " VERIFY " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n8000\r\n";
	static char chunk[0x8000];
	int fd = raw_connect();
	char *reply;

	memset(chunk, 'x', sizeof(chunk));
	cr_assert_eq(write(fd, hdr, strlen(hdr)), (ssize_t)strlen(hdr));
	/* crpd may refuse and close as soon as the limit is passed, before
	 * the rest is sent: later writes may fail (EPIPE, no SIGPIPE). */
	for (int i = 0; i < 2; i++) {
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) != (ssize_t)sizeof(chunk) ||
		    send(fd, "\r\n8000\r\n", 8, MSG_NOSIGNAL) != 8)
			break;
	}
	reply = raw_read_all(fd);
	cr_assert(strncmp(reply, "HTTP/1.1 413 ", 13) == 0, "%.80s", reply);
	close(fd);
	free(reply);
}

Test(crpd_http, long_query_string_is_accepted)
{
	char *body = verify_body("cc000000-0000-4c55-9a7e-1b2c3d4e5f60", "txn-query");
	char *path = malloc(60001 + sizeof(VERIFY) + 8);
	struct resp r;

	/* request line "POST <path> HTTP/1.1" of about 60,070 bytes */
	strcpy(path, VERIFY "?q=");
	memset(path + strlen(path), 'a', 60000);
	path[strlen(VERIFY) + 3 + 60000] = '\0';
	fetch("POST", path, body, &r);
	cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
	resp_free(&r);
	free(path);
	free(body);
}

Test(crpd_http, request_line_over_65534_bytes_is_refused_without_reading_it_whole)
{
	char *line = malloc(70000);
	int fd = raw_connect();
	char *reply;

	strcpy(line, "POST " VERIFY "?q=");
	memset(line + strlen(line), 'a', 70000 - strlen(line));
	/* no end of line is ever sent: the server must refuse from the length */
	cr_assert_eq(write(fd, line, 70000), 70000);
	reply = raw_read_all(fd);
	cr_assert(strncmp(reply, "HTTP/1.1 400 ", 13) == 0, "%.80s", reply);
	close(fd);
	free(reply);
	free(line);
}

Test(crpd_http, notify_is_204_and_unknown_is_404)
{
	char *body = verify_body("dd000000-0000-4c55-9a7e-1b2c3d4e5f60", "txn-http-n");
	struct resp r;
	json_t *got;
	pid_t conn = crpd_h_connector_start(h, true);

	fetch("POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 201);
	resp_free(&r);
	fetch("POST", NOTIFY, "{\"transactionId\":\"txn-http-n\",\"disposition\":2,"
	    "\"hResult\":-2147024891,\"description\":\"denied\"}", &r);
	cr_assert_eq(r.status, 204, "%d %s", r.status, r.body);
	resp_free(&r);
	got = crpd_h_connector_received(h, 1);
	cr_assert_eq(json_array_size(got), 1);
	cr_assert(strstr(json_string_value(json_object_get(json_array_get(got, 0), "body")),
	    "\"hResult\":-2147024891"));
	json_decref(got);
	fetch("POST", NOTIFY, "{\"transactionId\":\"nobody\",\"disposition\":2}", &r);
	cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
	cr_assert_str_eq(jstr(r.json, "error", "code"), "NDES_Notify_UnknownChallenge");
	cr_assert_str_eq(jstr(r.json, "error", "diagCode"), "0x00001102");
	resp_free(&r);
	crpd_h_connector_stop(conn);
	free(body);
}

Test(crpd_http, healthz)
{
	struct resp r;

	fetch("GET", "/healthz", NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(jstr(r.json, "status", NULL), "ok");
	cr_assert_eq(json_integer_value(json_object_get(r.json, "crpKeys")), 1);
	cr_assert_eq(json_integer_value(json_object_get(r.json, "signingCertificates")), 1);
	resp_free(&r);
	teardown();
	start_with(&(struct crpd_h_opts){ .no_crp_key = true,
	    .extra_yaml = "http:\n  address: 127.0.0.1\n  port: 0" });
	fetch("GET", "/healthz", NULL, &r);
	cr_assert_eq(r.status, 503, "%s", r.body);
	cr_assert_str_eq(jstr(r.json, "status", NULL), "degraded");
	cr_assert_str_eq(jstr(r.json, "reason", NULL), "no CRP encryption key");
	resp_free(&r);
}

/* A self-signed server certificate for 127.0.0.1. */
static X509 *
tls_cert(EVP_PKEY *key)
{
	X509 *cert = testpki_cert(key, "crpd https", NULL, NULL, -60, 30);
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(cert, key, EVP_sha256());
	return cert;
}

Test(crpd_http, tls)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = tls_cert(key);
	char *yaml, *cpath, *kpath, err[256];
	SSL_CTX *client;
	struct resp r;
	char *body;

	teardown();
	h = crpd_h_new(NULL);
	dev_key = testpki_key("ec-p256");
	cpath = crpd_h_path(h, "tls.pem");
	kpath = crpd_h_path(h, "tls.key");
	crpd_h_write_certs(cpath, &cert, 1);
	crpd_h_write_key(kpath, key);
	cr_assert_neq(asprintf(&yaml, "http:\n  address: 127.0.0.1\n  port: 0\n  tls:\n"
	    "    cert: tls.pem\n    key: tls.key"), -1);
	{
		FILE *f = fopen(h->config, "a");

		fputs(yaml, f);
		fclose(f);
	}
	crpd_h_start(h);
	port = crpd_h_http_port(h);
	client = ndes_tls_client_ctx(cpath, NULL, NULL, err, sizeof(err));
	cr_assert_not_null(client, "%s", err);
	body = verify_body("ee000000-0000-4c55-9a7e-1b2c3d4e5f60", "txn-tls");
	fetch_tls(client, "POST", VERIFY, body, &r);
	cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
	resp_free(&r);
	SSL_CTX_free(client);
	free(body);
	free(yaml);
	free(cpath);
	free(kpath);
	X509_free(cert);
	EVP_PKEY_free(key);
}
