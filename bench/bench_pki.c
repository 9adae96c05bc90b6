/* ndes-bench: keys, certificates, challenges and requests. */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "challenge.h"
#include "crypto.h"
#include "ipc.h"

static EVP_PKEY *
bench_key(const char *alg)
{
	if (strcmp(alg, "rsa-2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static X509 *
bench_cert(EVP_PKEY *key, const char *cn, long serial)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	    -1, 0);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, name);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400);
	X509_set_pubkey(cert, key);
	X509_sign(cert, key, EVP_sha256());
	X509_NAME_free(name);
	return cert;
}

int
bench_pki_new(struct bench_pki *p, const char *alg)
{
	memset(p, 0, sizeof(*p));
	p->alg = alg;
	p->crp_key = bench_key(alg);
	p->sign_key = bench_key(alg);
	if (p->crp_key == NULL || p->sign_key == NULL)
		return -1;
	p->crp_cert = bench_cert(p->crp_key, "ndes-bench CRP", 1);
	p->sign_cert = bench_cert(p->sign_key, "ndes-bench challenge signing", 2);
	for (int i = 0; i < BENCH_DEVICE_KEYS; i++)
		if ((p->dev_keys[i] = bench_key(alg)) == NULL)
			return -1;
	return p->crp_cert != NULL && p->sign_cert != NULL ? 0 : -1;
}

void
bench_pki_free(struct bench_pki *p)
{
	EVP_PKEY_free(p->crp_key);
	EVP_PKEY_free(p->sign_key);
	X509_free(p->crp_cert);
	X509_free(p->sign_cert);
	for (int i = 0; i < BENCH_DEVICE_KEYS; i++)
		EVP_PKEY_free(p->dev_keys[i]);
	memset(p, 0, sizeof(*p));
}

int
bench_pki_install(const struct bench_pki *p, const char *dir)
{
	char path[4096], err[512];
	static const char *const sub[] = { "registration", "signing", NULL };

	for (int i = 0; sub[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/registration/crp.pem", dir);
	if (ndes_crypto_write_cert(path, p->crp_cert, err, sizeof(err)) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/registration/crp.key", dir);
	if (ndes_crypto_write_key(path, p->crp_key, NULL, err, sizeof(err)) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/signing/signing-certs.pem", dir);
	if (ndes_crypto_write_cert(path, p->sign_cert, err, sizeof(err)) == -1)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ndes-bench: %s\n", err);
	return -1;
}

static void
bench_claims(struct ndes_challenge_claims *c, const struct bench_pki *p, const char *tenant,
    char *id, char *subject, char *upn, size_t k)
{
	unsigned char r[8];
	time_t now = time(NULL);

	RAND_bytes(r, sizeof(r));
	snprintf(id, 64, "%02x%02x%02x%02x-%04zx-4000-8000-%02x%02x%02x%02x0000",
	    r[0], r[1], r[2], r[3], k & 0xFFFF, r[4], r[5], r[6], r[7]);
	snprintf(subject, 64, "CN=device-%zu,O=Bench", k);
	snprintf(upn, 64, "user%zu@bench.example", k);
	memset(c, 0, sizeof(*c));
	c->version = NDES_CHALLENGE_VERSION;
	c->challenge_id = id;
	c->tenant_id = (char *)tenant;
	c->profile_id = "bench-profile";
	c->device_id = id;
	c->user_id = upn;
	c->cert_type = NDES_CHALLENGE_CERT_USER;
	c->issued_at = (int64_t)now;
	c->expires_at = (int64_t)now + 3600;
	c->subject = subject;
	c->sans[0] = (struct ndes_challenge_san){ "upn", upn };
	c->n_sans = 1;
	c->key_type = strcmp(p->alg, "rsa-2048") == 0 ? "RSA" : "EC";
	c->min_key_bits = strcmp(p->alg, "rsa-2048") == 0 ? 2048 : 256;
	c->key_usage = KU_DIGITAL_SIGNATURE;
	c->ekus[0] = "1.3.6.1.5.5.7.3.2";
	c->n_ekus = 1;
	c->hash = "sha256";
	c->validity_days = 365;
	c->template_name = "BenchTemplate";
}

static int
bench_add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);

	return ext != NULL && sk_X509_EXTENSION_push(exts, ext) > 0 ? 0 : -1;
}

static int
bench_csr_exts(X509_REQ *req, const char *upn)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char san[128];
	int rc;

	snprintf(san, sizeof(san), "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:%s", upn);
	rc = exts != NULL && bench_add_ext(exts, NID_subject_alt_name, san) == 0 &&
	    bench_add_ext(exts, NID_key_usage, "critical,digitalSignature") == 0 &&
	    bench_add_ext(exts, NID_ext_key_usage, "clientAuth") == 0 &&
	    X509_REQ_add_extensions(req, exts) == 1 ? 0 : -1;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static int
bench_csr(EVP_PKEY *key, size_t k, const char *upn, const char *challenge,
    struct bench_item *it)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	char cn[32];
	unsigned char *der = NULL;
	int n = -1;

	snprintf(cn, sizeof(cn), "device-%zu", k);
	if (req != NULL && name != NULL &&
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Bench", -1, -1, 0) == 1 &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
	    bench_csr_exts(req, upn) == 0 &&
	    X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)challenge, -1) == 1 &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0)
		n = i2d_X509_REQ(req, &der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	if (n <= 0)
		return -1;
	it->csr = der;
	it->csr_len = (size_t)n;
	return 0;
}

/* The VERIFY_REQUEST crpd gets for it: CSR, no signer certificate, template
 * name, transaction id. */
static int
bench_request(size_t k, struct bench_item *it)
{
	if ((it->req = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, (uint32_t)k + 1)) == NULL)
		return -1;
	ndes_ipc_msg_add_bytes(it->req, it->csr, it->csr_len);
	ndes_ipc_msg_add_bytes(it->req, NULL, 0);
	ndes_ipc_msg_add_str(it->req, "BenchTemplate");
	ndes_ipc_msg_add_str(it->req, "bench");
	return ndes_ipc_msg_failed(it->req) ? -1 : 0;
}

static int
bench_mint_one(const struct bench_pki *p, const char *tenant, size_t k,
    struct bench_item *it)
{
	STACK_OF(X509) *recipients = sk_X509_new_null();
	struct ndes_challenge_claims c;
	char id[64], subject[64], upn[64], err[256];
	int rc = -1;

	bench_claims(&c, p, tenant, id, subject, upn, k);
	sk_X509_push(recipients, p->crp_cert);
	if (ndes_challenge_seal(&c, p->sign_cert, p->sign_key, recipients, &it->challenge, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "ndes-bench: seal: %s\n", err);
	else
		rc = bench_csr(p->dev_keys[k % BENCH_DEVICE_KEYS], k, upn, it->challenge, it) ==
		    0 ? bench_request(k, it) : -1;
	sk_X509_free(recipients);
	return rc;
}

int
bench_seal_one(const struct bench_pki *p, size_t k, char **text)
{
	STACK_OF(X509) *recipients = sk_X509_new_null();
	struct ndes_challenge_claims c;
	char id[64], subject[64], upn[64], err[256];
	int rc;

	bench_claims(&c, p, BENCH_TENANT, id, subject, upn, k);
	sk_X509_push(recipients, p->crp_cert);
	rc = ndes_challenge_seal(&c, p->sign_cert, p->sign_key, recipients, text, err,
	    sizeof(err));
	sk_X509_free(recipients);
	return rc;
}

struct mint_arg {
	const struct bench_pki	*p;
	const char		*tenant;
	struct bench_item	*items;
	size_t			 from, to;
	int			 rc;
};

static void *
bench_mint_thread(void *arg)
{
	struct mint_arg *a = arg;

	for (size_t k = a->from; k < a->to && a->rc == 0; k++)
		a->rc = bench_mint_one(a->p, a->tenant, k, &a->items[k]);
	return NULL;
}

int
bench_mint(const struct bench_pki *p, const char *tenant, struct bench_item *items,
    size_t first, size_t n, int threads)
{
	struct mint_arg args[64];
	pthread_t tid[64];
	int rc = 0;

	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	for (int t = 0; t < threads; t++) {
		args[t] = (struct mint_arg){ p, tenant, items, first + n * (size_t)t / (size_t)threads,
		    first + n * (size_t)(t + 1) / (size_t)threads, 0 };
		pthread_create(&tid[t], NULL, bench_mint_thread, &args[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		if (args[t].rc != 0)
			rc = -1;
	}
	return rc;
}

void
bench_items_free(struct bench_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].challenge);
		OPENSSL_free(items[i].csr);
		ndes_ipc_msg_free(items[i].req);
	}
	free(items);
}
