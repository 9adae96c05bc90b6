/* The SCEP client (devicesim/scep_client.h): what the capabilities choose
 * (POST or GET, cipher, digest), the RA, renewal, the HTTP outcomes that
 * send a device to its next URL, arguments, the blocking form, cancel. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scep_responder.h"
#include "scep_test_util.h"
#include "testpki.h"
#include "tls.h"

TestSuite(scep_http, .init = st_setup, .fini = st_teardown);

static void
issued_with(const char *caps, const char *method, int cipher_nid, int digest_nid)
{
	struct resp *r = st_resp(&(struct resp_config){ .caps = caps });
	const struct resp_seen *seen = resp_seen(r);

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	cr_assert(eq(str, (char *)seen->method, (char *)method));
	cr_assert(eq(int, seen->cipher_nid, cipher_nid));
	cr_assert(eq(int, seen->digest_nid, digest_nid));
	resp_free(r);
}

Test(scep_http, get_only_server_gets_the_message_in_the_query)
{
	issued_with("Renewal\nSHA-256\nAES\n", "GET", NID_aes_128_cbc, NID_sha256);
}

Test(scep_http, strongest_cipher_and_digest_listed)
{
	issued_with("POSTPKIOperation\r\nDES3\r\nSHA-1\r\n", "POST", NID_des_ede3_cbc, NID_sha1);
	issued_with("postpkioperation\nsha-512\nSHA-256\naes\n", "POST", NID_aes_128_cbc,
	    NID_sha512);
	issued_with("SCEPStandard\n", "POST", NID_aes_128_cbc, NID_sha256);
	issued_with("", "GET", NID_des_ede3_cbc, NID_sha256);
}

Test(scep_http, ra_certificate_is_the_recipient)
{
	struct resp *r = st_resp(&(struct resp_config){ .ra = true });

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	cr_assert(resp_seen(r)->decrypted_by_ra);
	cr_assert(eq(int, sk_X509_num(st_res.ca_certs), 2));
	resp_free(r);
}

static void
renew(const char *caps, const char *message_type)
{
	struct resp *r = st_resp(&(struct resp_config){ .caps = caps });
	EVP_PKEY *old_key = testpki_key("rsa-2048");
	X509 *old_cert = resp_issue(r, old_key, "device-1");

	st_enroll(resp_url(r), old_cert, old_key);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	cr_assert(eq(str, (char *)resp_seen(r)->message_type, (char *)message_type));
	cr_assert(resp_seen(r)->signer_is_renewed);
	cr_assert(eq(int, EVP_PKEY_eq(X509_get0_pubkey(st_res.cert), st_key), 1));
	X509_free(old_cert);
	EVP_PKEY_free(old_key);
	resp_free(r);
}

Test(scep_http, renewal_req_signed_with_the_old_certificate)
{
	renew(NULL, "17");
}

Test(scep_http, renewal_without_the_capability_is_a_pkcsreq)
{
	renew("POSTPKIOperation\nAES\nSHA-256\n", "19");
}

Test(scep_http, http_500_is_a_server_error)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_HTTP_500 });

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_SERVER_ERROR));
	cr_assert(eq(str, st_res.reason, "PKIOperation answered HTTP 500"));
	cr_assert(eq(int, st_res.http_status, 500));
	resp_free(r);
}

/* A port bound and closed again: nothing listens there. */
static int
closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

Test(scep_http, closed_port_is_unreachable)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scep", closed_port());
	st_enroll(url, NULL, NULL);
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_UNREACHABLE));
	cr_assert(eq(int, strncmp(st_res.reason, "GetCACaps: ", 11), 0), "%s", st_res.reason);
	cr_assert(strstr(st_res.reason, "(unreachable)") != NULL, "%s", st_res.reason);
	cr_assert(eq(int, st_res.http_status, 0));
}

Test(scep_http, silent_server_times_out_as_unreachable)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];

	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 8) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scep", ntohs(sa.sin_port));
	st_opts.timeout_ms = 300;
	st_enroll(url, NULL, NULL);
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_UNREACHABLE));
	cr_assert(strstr(st_res.reason, "(timeout)") != NULL, "%s", st_res.reason);
	close(fd);
}

Test(scep_http, bad_arguments_start_nothing)
{
	EVP_PKEY *other = testpki_key("ec-p256");
	struct dsim_scep_enroll_opts o = { .url = "http://127.0.0.1:1/scep", .csr = st_csr,
	    .key = other };
	char err[256] = "";

	cr_assert(eq(ptr, dsim_scep_enroll_start(st_base, &o, NULL, NULL, err, sizeof(err)),
	    NULL));
	cr_assert(eq(str, err, "base and cb are required"));
	o.renew_cert = NULL;
	cr_assert(eq(ptr, dsim_scep_enroll_start(st_base, &o, (dsim_scep_done_cb)abort, NULL,
	    err, sizeof(err)), NULL));
	cr_assert(eq(str, err, "the request is not for key"));
	o.key = st_key;
	o.url = "ftp://127.0.0.1/scep";
	cr_assert(eq(ptr, dsim_scep_enroll_start(st_base, &o, (dsim_scep_done_cb)abort, NULL,
	    err, sizeof(err)), NULL));
	cr_assert(eq(str, err, "SCEP URL \"ftp://127.0.0.1/scep\" is not http(s)://host[:port]/path"));
	o.url = "http://127.0.0.1:1/scep";
	o.renew_key = st_key;
	cr_assert(eq(ptr, dsim_scep_enroll_start(st_base, &o, (dsim_scep_done_cb)abort, NULL,
	    err, sizeof(err)), NULL));
	cr_assert(eq(str, err, "renew_cert and renew_key go together"));
	EVP_PKEY_free(other);
}

Test(scep_http, blocking_form_and_names)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_FAILURE, .fail_info = 2 });
	struct dsim_scep_enroll_opts o = { .url = "http://127.0.0.1:1/scep", .csr = st_csr,
	    .key = st_key };
	struct dsim_scep_result res;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scep", closed_port());
	o.url = url;
	cr_assert(eq(int, dsim_scep_enroll_blocking(&o, &res), DSIM_SCEP_UNREACHABLE));
	cr_assert(eq(str, (char *)dsim_scep_outcome_name(res.outcome), "unreachable"));
	dsim_scep_result_clear(&res);
	cr_assert(eq(str, (char *)dsim_scep_fail_info_name(4), "badCertId"));
	cr_assert(eq(str, (char *)dsim_scep_fail_info_name(9), "unknown"));
	resp_free(r);
}

Test(scep_http, cancel_calls_nothing)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_SUCCESS });
	struct dsim_scep_enroll_opts o = { .url = resp_url(r), .csr = st_csr, .key = st_key };
	char err[256];
	struct dsim_scep_enroll *e = dsim_scep_enroll_start(st_base, &o,
	    (dsim_scep_done_cb)abort, NULL, err, sizeof(err));
	struct timeval tv = { 0, 200000 };

	cr_assert(e != NULL);
	dsim_scep_enroll_cancel(e);
	event_base_loopexit(st_base, &tv);
	event_base_dispatch(st_base);
	resp_free(r);
}

/* An https responder whose TLS certificate (127.0.0.1) its CA issued. */
static struct resp *
tls_resp(X509 *ca, EVP_PKEY *ca_key, SSL_CTX **sctx)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = resp_make_cert(key, "scep.test", ca, ca_key, false, "digitalSignature");
	char err[256] = "";
	struct resp *r;

	cr_assert(resp_add_ext(cert, ca, NID_subject_alt_name, "IP:127.0.0.1") == 0);
	cr_assert(X509_sign(cert, ca_key, EVP_sha256()) > 0);
	SSL_CTX *ctx = ndes_tls_server_ctx_mem(cert, NULL, key, NULL, NDES_TLS_CLIENT_AUTH_NONE,
	    err, sizeof(err));

	cr_assert(ctx != NULL, "%s", err);
	*sctx = ctx;
	r = st_resp(&(struct resp_config){ .ca_cert = ca, .ca_key = ca_key, .tls = ctx });
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static SSL_CTX *
trusting(X509 *ca)
{
	STACK_OF(X509) *cas = sk_X509_new_null();
	char err[256] = "";
	SSL_CTX *ctx;

	sk_X509_push(cas, ca);
	ctx = ndes_tls_client_ctx_mem(cas, NULL, NULL, err, sizeof(err));
	cr_assert(ctx != NULL, "%s", err);
	sk_X509_free(cas);
	return ctx;
}

Test(scep_http, https_verified_against_the_given_trust_only)
{
	EVP_PKEY *ca_key = testpki_key("rsa-2048"), *other_key = testpki_key("ec-p256");
	X509 *ca = resp_make_cert(ca_key, "SCEP TLS CA", NULL, NULL, true, NULL);
	X509 *other = resp_make_cert(other_key, "Other CA", NULL, NULL, true, NULL);
	SSL_CTX *sctx, *good = trusting(ca), *bad = trusting(other);
	struct resp *r = tls_resp(ca, ca_key, &sctx);
	char err[256] = "";

	cr_assert(eq(int, strncmp(resp_url(r), "https://", 8), 0));
	st_opts.tls = good;
	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	st_opts.tls = bad;
	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_UNREACHABLE));
	cr_assert(strstr(st_res.reason, "(tls-untrusted)") != NULL, "%s", st_res.reason);
	st_opts.tls = NULL;
	st_opts.url = resp_url(r);
	cr_assert(eq(ptr, dsim_scep_enroll_start(st_base, &st_opts, (dsim_scep_done_cb)abort,
	    NULL, err, sizeof(err)), NULL));
	cr_assert(eq(str, err, "https needs a TLS client context"), "%s", err);
	resp_free(r);
	SSL_CTX_free(sctx);
	SSL_CTX_free(good);
	SSL_CTX_free(bad);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
}
