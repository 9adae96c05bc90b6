/* Loading and swapping the CRP keys and signing certificates. */
#include "keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "crypto.h"
#include "log.h"

static bool
file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0;
}

static struct crp_keyset *
keyset_new(void)
{
	struct crp_keyset *ks = calloc(1, sizeof(*ks));

	if (ks == NULL)
		return NULL;
	ks->refs = 1;
	ks->signing = sk_X509_new_null();
	if (ks->signing == NULL) {
		free(ks);
		return NULL;
	}
	return ks;
}

/* One CRP pair: 0 loaded, 1 absent, -1 error (err set). */
static int
keyset_load_pair(struct crp_keyset *ks, const char *cert_path, const char *key_path,
    char *err, size_t errlen)
{
	X509 *cert;
	EVP_PKEY *key;

	if (!file_exists(cert_path) && !file_exists(key_path))
		return 1;
	if ((cert = ndes_crypto_load_cert(cert_path, err, errlen)) == NULL)
		return -1;
	if ((key = ndes_crypto_load_key(key_path, NULL, err, errlen)) == NULL) {
		X509_free(cert);
		return -1;
	}
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: private key does not match the certificate %s",
		    key_path, cert_path);
		X509_free(cert);
		EVP_PKEY_free(key);
		return -1;
	}
	ks->keys[ks->n_keys].cert = cert;
	ks->keys[ks->n_keys].key = key;
	ks->n_keys++;
	return 0;
}

/* A PEM bundle into *slot (replacing what is there): 0, 1 absent, -1. */
static int
keyset_load_bundle(STACK_OF(X509) **slot, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *certs;

	if (!file_exists(path))
		return 1;
	if ((certs = ndes_crypto_load_certs(path, err, errlen)) == NULL)
		return -1;
	sk_X509_pop_free(*slot, X509_free);
	*slot = certs;
	return 0;
}

int
crp_keyset_load(const struct crp_key_paths *p, struct crp_keyset **out, char *summary,
    size_t summarylen, char *err, size_t errlen)
{
	struct crp_keyset *ks;
	char e2[512] = "";
	int rc = 0;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ks = keyset_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (keyset_load_pair(ks, p->crp_cert, p->crp_key, err, errlen) == -1)
		rc = -1;
	if (keyset_load_pair(ks, p->crp_previous_cert, p->crp_previous_key, e2,
	    sizeof(e2)) == -1) {
		if (rc == 0)
			snprintf(err, errlen, "%s", e2);
		rc = -1;
	}
	if (keyset_load_bundle(&ks->signing, p->signing_certs, e2, sizeof(e2)) == -1 ||
	    keyset_load_bundle(&ks->issuing_ca, p->issuing_ca_certs, e2, sizeof(e2)) == -1) {
		if (rc == 0)
			snprintf(err, errlen, "%s", e2);
		rc = -1;
	}
	snprintf(summary, summarylen, "%zu CRP encryption key%s, %d signing certificate%s%s",
	    ks->n_keys, ks->n_keys == 1 ? "" : "s", sk_X509_num(ks->signing),
	    sk_X509_num(ks->signing) == 1 ? "" : "s", ks->issuing_ca != NULL ?
	    ", the issuing CA's certificates" : "");
	*out = ks;
	return rc;
}

struct crp_keyset *
crp_keyset_ref(struct crp_keyset *ks)
{
	if (ks != NULL)
		__atomic_add_fetch(&ks->refs, 1, __ATOMIC_RELAXED);
	return ks;
}

void
crp_keyset_unref(struct crp_keyset *ks)
{
	if (ks == NULL || __atomic_sub_fetch(&ks->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < ks->n_keys; i++) {
		X509_free(ks->keys[i].cert);
		EVP_PKEY_free(ks->keys[i].key);
	}
	sk_X509_pop_free(ks->signing, X509_free);
	sk_X509_pop_free(ks->issuing_ca, X509_free);
	free(ks);
}

void
crp_keyholder_init(struct crp_keyholder *h)
{
	pthread_mutex_init(&h->lock, NULL);
	h->cur = NULL;
}

void
crp_keyholder_destroy(struct crp_keyholder *h)
{
	crp_keyset_unref(h->cur);
	h->cur = NULL;
	pthread_mutex_destroy(&h->lock);
}

struct crp_keyset *
crp_keyholder_get(struct crp_keyholder *h)
{
	struct crp_keyset *ks;

	pthread_mutex_lock(&h->lock);
	ks = crp_keyset_ref(h->cur);
	pthread_mutex_unlock(&h->lock);
	return ks;
}

void
crp_keyholder_set(struct crp_keyholder *h, struct crp_keyset *ks)
{
	struct crp_keyset *old;

	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = ks;
	pthread_mutex_unlock(&h->lock);
	crp_keyset_unref(old);
}
