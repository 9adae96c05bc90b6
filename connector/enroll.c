/* Registration and renewal (see enroll.h). */
#include "enroll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "b64.h"
#include "crypto.h"
#include "csr.h"

static char *
enroll_csr(EVP_PKEY *key, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	uint8_t *der = NULL;
	size_t len;
	char *b64 = NULL;

	if (req != NULL && name != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
	    -1, -1, 0) == 1 && X509_REQ_set_subject_name(req, name) == 1 &&
	    X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    ndes_csr_to_der(req, &der, &len) == 0)
		b64 = ndes_b64_encode(der, len);
	free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return b64;
}

int
conn_enroll_prepare(struct conn_enroll *e, const char *name, char *err, size_t errlen)
{
	char cn[300];

	memset(e, 0, sizeof(*e));
	snprintf(cn, sizeof(cn), "%.200s CRP", name);
	if ((e->client_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (e->crp_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL ||
	    (e->client_csr = enroll_csr(e->client_key, name)) == NULL ||
	    (e->crp_csr = enroll_csr(e->crp_key, cn)) == NULL) {
		snprintf(err, errlen, "cannot make the keys and requests: %s",
		    ndes_crypto_last_error("out of memory"));
		conn_enroll_clear(e);
		return -1;
	}
	return 0;
}

void
conn_enroll_clear(struct conn_enroll *e)
{
	EVP_PKEY_free(e->client_key);
	EVP_PKEY_free(e->crp_key);
	free(e->client_csr);
	free(e->crp_csr);
	memset(e, 0, sizeof(*e));
}

static char *
dump(json_t *obj)
{
	char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	return s;
}

char *
conn_enroll_register_body(const struct conn_enroll *e, const char *token, const char *name)
{
	return dump(json_pack("{s:s, s:s, s:s, s:s}", "token", token, "name", name,
	    "clientCsr", e->client_csr, "crpCsr", e->crp_csr));
}

char *
conn_enroll_renew_body(const struct conn_enroll *e)
{
	return dump(json_pack("{s:s, s:s}", "clientCsr", e->client_csr, "crpCsr", e->crp_csr));
}

static X509 *
b64_cert(const json_t *v)
{
	return ndes_crypto_cert_from_b64(json_string_value(v));
}

static STACK_OF(X509) *
b64_certs(const json_t *arr)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;
	json_t *v;
	X509 *c;

	if (sk == NULL || !json_is_array(arr))
		goto fail;
	json_array_foreach(arr, i, v) {
		if ((c = b64_cert(v)) == NULL || sk_X509_push(sk, c) <= 0) {
			X509_free(c);
			goto fail;
		}
	}
	return sk;
fail:
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

int
conn_enroll_parse(const char *body, size_t len, const struct conn_enroll *e,
    struct conn_enroll_reply *r, char *err, size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *id, *tenant;

	memset(r, 0, sizeof(*r));
	id = json_string_value(json_object_get(root, "connectorId"));
	tenant = json_string_value(json_object_get(root, "tenantId"));
	if (id == NULL || (r->connector_id = strdup(id)) == NULL ||
	    (tenant != NULL && (r->tenant_id = strdup(tenant)) == NULL) ||
	    (r->client = b64_cert(json_object_get(root, "clientCertificate"))) == NULL ||
	    (r->crp = b64_cert(json_object_get(root, "crpCertificate"))) == NULL ||
	    (r->ca_chain = b64_certs(json_object_get(root, "caChain"))) == NULL ||
	    (r->signing = b64_certs(json_object_get(root, "signingCertificates"))) == NULL) {
		snprintf(err, errlen, "the cloud's reply lacks connectorId, clientCertificate, "
		    "crpCertificate, caChain or signingCertificates (base64 DER)");
		goto fail;
	}
	if (X509_check_private_key(r->client, e->client_key) != 1 ||
	    X509_check_private_key(r->crp, e->crp_key) != 1) {
		snprintf(err, errlen, "the certificates the cloud returned are not for our keys");
		ERR_clear_error();
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	conn_enroll_reply_clear(r);
	return -1;
}

void
conn_enroll_reply_clear(struct conn_enroll_reply *r)
{
	free(r->connector_id);
	free(r->tenant_id);
	X509_free(r->client);
	X509_free(r->crp);
	sk_X509_pop_free(r->ca_chain, X509_free);
	sk_X509_pop_free(r->signing, X509_free);
	memset(r, 0, sizeof(*r));
}

int
conn_write_certs(const char *path, STACK_OF(X509) *certs, char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int r = -1;

	if (bio == NULL)
		return -1;
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (PEM_write_bio_X509(bio, sk_X509_value(certs, i)) != 1)
			goto out;
	len = BIO_get_mem_data(bio, &data);
	r = ndes_crypto_write_file(path, len > 0 ? data : "", len > 0 ? (size_t)len : 0, 0644,
	    err, errlen);
out:
	BIO_free(bio);
	return r;
}

/* The new CRP pair under temporary names, then current -> previous, then
 * new -> current: crpd always finds a complete pair. */
static int
enroll_store_crp(const struct conn_state *st, EVP_PKEY *key, X509 *cert, bool renewal,
    char *err, size_t errlen)
{
	char knew[4096], cnew[4096];

	snprintf(knew, sizeof(knew), "%s.new", st->crp_key);
	snprintf(cnew, sizeof(cnew), "%s.new", st->crp_cert);
	if (ndes_crypto_write_key(knew, key, NULL, err, errlen) == -1 ||
	    ndes_crypto_write_cert(cnew, cert, err, errlen) == -1)
		return -1;
	if (renewal && access(st->crp_key, F_OK) == 0 &&
	    (rename(st->crp_key, st->crp_prev_key) == -1 ||
	    rename(st->crp_cert, st->crp_prev_cert) == -1)) {
		snprintf(err, errlen, "%s: cannot keep the previous CRP pair: %s", st->reg_dir,
		    strerror(errno));
		return -1;
	}
	if (rename(knew, st->crp_key) == -1 || rename(cnew, st->crp_cert) == -1) {
		snprintf(err, errlen, "%s: %s", st->crp_key, strerror(errno));
		return -1;
	}
	return 0;
}

int
conn_enroll_store(const struct conn_state *st, const struct conn_enroll *e,
    const struct conn_enroll_reply *r, struct conn_registration *reg, bool renewal,
    char *err, size_t errlen)
{
	char thumb[NDES_CRYPTO_HEX_MAX];

	if (ndes_crypto_thumbprint(r->client, EVP_sha1(), thumb, sizeof(thumb)) == -1)
		return -1;
	free(reg->connector_id);
	free(reg->tenant_id);
	free(reg->client_thumbprint);
	reg->connector_id = strdup(r->connector_id);
	reg->tenant_id = r->tenant_id != NULL ? strdup(r->tenant_id) : NULL;
	reg->client_thumbprint = strdup(thumb);
	if (renewal)
		reg->renewed_at = time(NULL);
	else
		reg->registered_at = time(NULL);
	if (reg->connector_id == NULL || reg->client_thumbprint == NULL)
		return -1;
	if (ndes_crypto_write_key(st->client_key, e->client_key, NULL, err, errlen) == -1 ||
	    ndes_crypto_write_cert(st->client_cert, r->client, err, errlen) == -1 ||
	    conn_registration_save(st->registration, reg, err, errlen) == -1 ||
	    enroll_store_crp(st, e->crp_key, r->crp, renewal, err, errlen) == -1 ||
	    conn_write_certs(st->ca_chain, r->ca_chain, err, errlen) == -1)
		return -1;
	if (sk_X509_num(r->signing) > 0 &&
	    conn_write_certs(st->signing_certs, r->signing, err, errlen) == -1)
		return -1;
	return 0;
}
