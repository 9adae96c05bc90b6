#include "scep_test_util.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "testpki.h"

struct event_base *st_base;
EVP_PKEY *st_key;
X509_REQ *st_csr;
struct dsim_scep_enroll_opts st_opts;
struct dsim_scep_result st_res;
int st_callbacks;

X509_REQ *
st_make_csr(EVP_PKEY *key, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	    -1, 0);
	X509_REQ_set_pubkey(req, key);
	X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)"secret", -1);
	cr_assert(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	return req;
}

void
st_setup(void)
{
	st_base = event_base_new();
	st_key = testpki_key("rsa-2048");
	st_csr = st_make_csr(st_key, "device-1");
	memset(&st_opts, 0, sizeof(st_opts));
	memset(&st_res, 0, sizeof(st_res));
	st_opts.timeout_ms = 5000;
	st_opts.poll_interval_ms = 20;
	st_callbacks = 0;
}

void
st_clear(void)
{
	dsim_scep_result_clear(&st_res);
	memset(&st_res, 0, sizeof(st_res));
	st_callbacks = 0;
}

void
st_teardown(void)
{
	st_clear();
	X509_REQ_free(st_csr);
	EVP_PKEY_free(st_key);
	event_base_free(st_base);
}

struct resp *
st_resp(const struct resp_config *cfg)
{
	struct resp *r = resp_new(st_base, cfg);

	cr_assert(r != NULL, "the test responder did not start");
	return r;
}

static void
st_done(const struct dsim_scep_result *res, void *arg)
{
	st_res = *res;
	if (res->cert != NULL)
		X509_up_ref(res->cert);
	st_res.ca_certs = NULL;
	if (res->ca_certs != NULL)
		st_res.ca_certs = X509_chain_up_ref(res->ca_certs);
	st_callbacks++;
}

void
st_enroll(const char *url, X509 *renew_cert, EVP_PKEY *renew_key)
{
	char err[256] = "";
	struct dsim_scep_enroll *e;

	st_clear();
	st_opts.url = url;
	st_opts.csr = st_csr;
	st_opts.key = st_key;
	st_opts.renew_cert = renew_cert;
	st_opts.renew_key = renew_key;
	e = dsim_scep_enroll_start(st_base, &st_opts, st_done, NULL, err, sizeof(err));
	cr_assert(e != NULL, "dsim_scep_enroll_start: %s", err);
	while (st_callbacks == 0)
		cr_assert(event_base_loop(st_base, EVLOOP_ONCE) == 0);
	cr_assert(eq(int, st_callbacks, 1));
}
