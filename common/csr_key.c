/* A certificate request parsed without its public key, and that key
 * decoded with objects made once per thread (see csr.h).
 *
 * OpenSSL 3.0 builds a key decoder for every X509_PUBKEY it parses
 * (OSSL_DECODER_CTX_new_for_pkey walks every provider's decoders and key
 * managers: about 100 us, as much as an ECDSA verification).  A request is
 * therefore parsed in a library context that has only the "null" provider,
 * where that decoder finds nothing and the key stays encoded, and the key
 * is decoded here: an EC key on a named curve from its point
 * (ndes_crypto_ec_point_key: a copy of a per-thread template of the curve;
 * the point is checked to be on the curve as it is decoded), any other key
 * with a decoder made once per thread and key type.  Measured on the
 * development VM (docs/crpd.md, "Where the time goes"): d2i_X509_REQ
 * 110-140 us a request; the keyless parse 6.5 us, plus, for the key, 7 us
 * (EC from the template; EVP_PKEY_fromdata 16.5 us, a cached decoder 21.5
 * us) or 9 us (RSA, cached decoder).
 *
 * Lifetime of the per-thread cache: made on a thread's first request,
 * freed by a pthread key destructor when that thread exits (crpd's workers
 * at shutdown); the main thread's lives until the process exits.  It is
 * never shared between threads.  The null library context is made once per
 * process and lives until it exits. */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "crypto.h"
#include "csr.h"

/* Key types (OID names) a thread keeps a decoder for; others get one made
 * for the call. */
#define CSR_KEY_DECODERS 4

struct csr_key_cache {
	OSSL_DECODER_CTX	*decoder[CSR_KEY_DECODERS];
	char			 type[CSR_KEY_DECODERS][64];
	EVP_PKEY		*decoded;	/* where the decoders write */
};

static pthread_once_t csr_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t csr_key_tls;
static OSSL_LIB_CTX *csr_keyless_ctx;

static void
csr_key_cache_free(void *arg)
{
	struct csr_key_cache *c = arg;

	if (c == NULL)
		return;
	for (int i = 0; i < CSR_KEY_DECODERS; i++)
		OSSL_DECODER_CTX_free(c->decoder[i]);
	free(c);
}

static void
csr_key_init(void)
{
	pthread_key_create(&csr_key_tls, csr_key_cache_free);
	if ((csr_keyless_ctx = OSSL_LIB_CTX_new()) != NULL &&
	    OSSL_PROVIDER_load(csr_keyless_ctx, "null") == NULL) {
		OSSL_LIB_CTX_free(csr_keyless_ctx);
		csr_keyless_ctx = NULL;
	}
}

static struct csr_key_cache *
csr_key_cache(void)
{
	struct csr_key_cache *c;

	pthread_once(&csr_key_once, csr_key_init);
	if ((c = pthread_getspecific(csr_key_tls)) == NULL &&
	    (c = calloc(1, sizeof(*c))) != NULL && pthread_setspecific(csr_key_tls, c) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

X509_REQ *
ndes_csr_from_der_keyless(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if (der == NULL || len == 0 || len > LONG_MAX || csr_key_cache() == NULL ||
	    csr_keyless_ctx == NULL)
		return NULL;
	req = (X509_REQ *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509_REQ),
	    csr_keyless_ctx, NULL);
	if (req != NULL && p != der + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	ERR_clear_error();
	return req;
}

/* An EC key on a named curve: NULL when it is not one (or is damaged). */
static EVP_PKEY *
csr_key_ec(const X509_PUBKEY *spki)
{
	const unsigned char *point;
	const void *param;
	ASN1_OBJECT *type;
	X509_ALGOR *alg;
	int len, ptype;

	X509_PUBKEY_get0_param(&type, &point, &len, &alg, spki);
	X509_ALGOR_get0(NULL, &ptype, &param, alg);
	if (OBJ_obj2nid(type) != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_OBJECT || len <= 0)
		return NULL;
	return ndes_crypto_ec_point_key(OBJ_nid2sn(OBJ_obj2nid(param)), point, (size_t)len);
}

/* This thread's decoder for that key type (made on first use), or one
 * made for this call (*owned) when the cache is full. */
static OSSL_DECODER_CTX *
csr_key_decoder(struct csr_key_cache *c, const char *type, bool *owned)
{
	int i;

	*owned = false;
	for (i = 0; i < CSR_KEY_DECODERS && c->decoder[i] != NULL; i++)
		if (strcmp(c->type[i], type) == 0)
			return c->decoder[i];
	*owned = i == CSR_KEY_DECODERS;
	OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&c->decoded, "DER",
	    "SubjectPublicKeyInfo", type, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx != NULL && !*owned) {
		c->decoder[i] = dctx;
		snprintf(c->type[i], sizeof(c->type[i]), "%s", type);
	}
	return dctx;
}

/* Any key: the SubjectPublicKeyInfo as received, through a decoder. */
static EVP_PKEY *
csr_key_decode(struct csr_key_cache *c, X509_PUBKEY *spki)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	ASN1_OBJECT *alg;
	OSSL_DECODER_CTX *dctx;
	char type[64];
	size_t left;
	int n;
	bool owned;
	EVP_PKEY *key = NULL;

	X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, spki);
	if (OBJ_obj2txt(type, sizeof(type), alg, 0) <= 0 ||
	    (n = i2d_X509_PUBKEY(spki, &der)) <= 0)
		return NULL;
	if ((dctx = csr_key_decoder(c, type, &owned)) != NULL) {
		p = der;
		left = (size_t)n;
		c->decoded = NULL;
		if (OSSL_DECODER_from_data(dctx, &p, &left) && left == 0)
			key = c->decoded;
		else
			EVP_PKEY_free(c->decoded);
		c->decoded = NULL;
	}
	if (owned)
		OSSL_DECODER_CTX_free(dctx);
	OPENSSL_free(der);
	return key;
}

EVP_PKEY *
ndes_csr_key(X509_REQ *req)
{
	struct csr_key_cache *c = csr_key_cache();
	X509_PUBKEY *spki = req != NULL ? X509_REQ_get_X509_PUBKEY(req) : NULL;
	EVP_PKEY *key;

	if (spki == NULL || c == NULL)
		return NULL;
	if ((key = X509_PUBKEY_get0(spki)) != NULL) {
		/* parsed with its key (ndes_csr_from_der) */
		EVP_PKEY_up_ref(key);
		return key;
	}
	if ((key = csr_key_ec(spki)) == NULL)
		key = csr_key_decode(c, spki);
	ERR_clear_error();
	return key;
}
