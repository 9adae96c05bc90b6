/* The test SCEP responder: PKI, routes, GetCACaps and GetCACert.  The
 * PKIOperation is in scep_responder_pki.c. */
#include "scep_responder_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#define DEFAULT_CAPS "POSTPKIOperation\nRenewal\nSHA-256\nAES\nDES3\nSCEPStandard\n"

int
resp_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int rc;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	rc = ext != NULL && X509_add_ext(cert, ext, -1) ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

X509 *
resp_make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
    const char *ku)
{
	X509 *cert = testpki_cert(key, cn, issuer, issuer_key, -60, 30);

	if (ca && (resp_add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    resp_add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") < 0))
		goto fail;
	if (!ca && ku != NULL && resp_add_ext(cert, issuer, NID_key_usage, ku) < 0)
		goto fail;
	if (X509_sign(cert, issuer_key != NULL ? issuer_key : key, EVP_sha256()) <= 0)
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

X509 *
resp_issue(struct resp *r, EVP_PKEY *key, const char *cn)
{
	return resp_make_cert(key, cn, r->ca_cert, r->ca_key, false, "digitalSignature");
}

static void
reply_cacert(struct resp *r, struct ndes_http_request *req)
{
	unsigned char *der = NULL;
	PKCS7 *p7 = NULL;
	int len;

	if (!r->cfg.ra) {
		len = i2d_X509(r->ca_cert, &der);
		ndes_http_reply_raw(req, 200, "application/x-x509-ca-cert", der, (size_t)len);
		OPENSSL_free(der);
		return;
	}
	p7 = resp_certs_only(r->ra_cert, r->ca_cert);
	len = i2d_PKCS7(p7, &der);
	ndes_http_reply_raw(req, 200, "application/x-x509-ca-ra-cert", der, (size_t)len);
	OPENSSL_free(der);
	PKCS7_free(p7);
}

static void
resp_handler(struct ndes_http_request *req, void *arg)
{
	struct resp *r = arg;
	const char *op = ndes_http_query(req, "operation");

	if (op != NULL && strcmp(op, "GetCACaps") == 0)
		ndes_http_reply_raw(req, 200, "text/plain", r->caps, strlen(r->caps));
	else if (op != NULL && strcmp(op, "GetCACert") == 0)
		reply_cacert(r, req);
	else if (op != NULL && strcmp(op, "PKIOperation") == 0)
		resp_pki_operation(r, req);
	else
		ndes_http_reply_raw(req, 400, "text/plain", "bad operation", 13);
}

static int
resp_pki(struct resp *r)
{
	if (r->cfg.ca_cert != NULL) {
		X509_up_ref(r->cfg.ca_cert);
		EVP_PKEY_up_ref(r->cfg.ca_key);
		r->ca_cert = r->cfg.ca_cert;
		r->ca_key = r->cfg.ca_key;
	} else {
		r->ca_key = testpki_key("rsa-2048");
		r->ca_cert = resp_make_cert(r->ca_key, "Test SCEP CA", NULL, NULL, true, NULL);
	}
	r->other_key = testpki_key("rsa-2048");
	if (r->ca_cert == NULL || r->other_key == NULL)
		return -1;
	if (!r->cfg.ra)
		return 0;
	r->ra_key = testpki_key("rsa-2048");
	r->ra_cert = resp_make_cert(r->ra_key, "Test SCEP RA", r->ca_cert, r->ca_key, false,
	    "critical,digitalSignature,keyEncipherment");
	return r->ra_cert != NULL ? 0 : -1;
}

struct resp *
resp_new(struct event_base *base, const struct resp_config *cfg)
{
	struct resp *r = calloc(1, sizeof(*r));
	char err[256];

	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	r->caps = cfg->caps != NULL ? cfg->caps : DEFAULT_CAPS;
	if (resp_pki(r) < 0)
		goto fail;
	if (base == NULL)
		return r;
	r->srv = ndes_http_server_new(base, "127.0.0.1", 0, cfg->tls, NULL, err, sizeof(err));
	if (r->srv == NULL ||
	    ndes_http_route_prefix(r->srv, "GET", "/scep", resp_handler, r) < 0 ||
	    ndes_http_route_prefix(r->srv, "POST", "/scep", resp_handler, r) < 0)
		goto fail;
	snprintf(r->url, sizeof(r->url), "%s://127.0.0.1:%u/scep", cfg->tls ? "https" : "http",
	    ndes_http_server_port(r->srv));
	return r;
fail:
	resp_free(r);
	return NULL;
}

void
resp_free(struct resp *r)
{
	if (r == NULL)
		return;
	if (r->srv != NULL)
		ndes_http_server_free(r->srv);
	X509_free(r->ca_cert);
	X509_free(r->ra_cert);
	EVP_PKEY_free(r->ca_key);
	EVP_PKEY_free(r->ra_key);
	EVP_PKEY_free(r->other_key);
	EVP_PKEY_free(r->pending_key);
	X509_NAME_free(r->pending_subject);
	free(r);
}

const char *resp_url(const struct resp *r) { return r->url; }
const struct resp_seen *resp_seen(const struct resp *r) { return &r->seen; }
X509 *resp_ca_cert(const struct resp *r) { return r->ca_cert; }
EVP_PKEY *resp_ca_key(const struct resp *r) { return r->ca_key; }
