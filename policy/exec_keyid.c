/* The transaction ID of a request ndes-crpd did not answer (stopped,
 * frozen, busy): the SHA-256 of its public key in upper-case hex, as
 * ndes-crpd names it.  Only this path needs OpenSSL, so libcrypto is loaded
 * here (dlopen) and the hook never loads it for a request ndes-crpd
 * answers. */
#include "exec.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct keyid_fns {
	void *(*d2i_req)(void **, const unsigned char **, long);
	void *(*get_pubkey)(void *);
	int (*i2d_pubkey)(const void *, unsigned char **);
	const void *(*sha256)(void);
	int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const void *,
	    void *);
	void (*req_free)(void *);
};

static int
keyid_load(struct keyid_fns *f)
{
	void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		return -1;
	*(void **)&f->d2i_req = dlsym(lib, "d2i_X509_REQ");
	*(void **)&f->get_pubkey = dlsym(lib, "X509_REQ_get_X509_PUBKEY");
	*(void **)&f->i2d_pubkey = dlsym(lib, "i2d_X509_PUBKEY");
	*(void **)&f->sha256 = dlsym(lib, "EVP_sha256");
	*(void **)&f->digest = dlsym(lib, "EVP_Digest");
	*(void **)&f->req_free = dlsym(lib, "X509_REQ_free");
	return f->d2i_req && f->get_pubkey && f->i2d_pubkey && f->sha256 && f->digest &&
	    f->req_free ? 0 : -1;
}

/* DER of the request's SubjectPublicKeyInfo (malloc'd), or NULL. */
static unsigned char *
keyid_spki(const struct keyid_fns *f, const uint8_t *csr, size_t len, int *outlen)
{
	const unsigned char *p = csr;
	void *req = f->d2i_req(NULL, &p, (long)len), *pk;
	unsigned char *der = NULL, *q;
	int n;

	if (req == NULL)
		return NULL;
	if ((pk = f->get_pubkey(req)) != NULL && (n = f->i2d_pubkey(pk, NULL)) > 0 &&
	    (der = malloc((size_t)n)) != NULL) {
		q = der;
		*outlen = f->i2d_pubkey(pk, &q);
	}
	f->req_free(req);
	return der;
}

int
exec_key_txn(const uint8_t *csr, size_t len, char *hex, size_t hexlen)
{
	struct keyid_fns f;
	unsigned char *der, md[32];
	unsigned int mdlen = 0;
	int n = 0, rc = -1;

	if (hexlen < 2 * sizeof(md) + 1 || keyid_load(&f) == -1 ||
	    (der = keyid_spki(&f, csr, len, &n)) == NULL)
		return -1;
	if (n > 0 && f.digest(der, (size_t)n, md, &mdlen, f.sha256(), NULL) == 1 &&
	    mdlen == sizeof(md)) {
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(hex + 2 * i, 3, "%02X", md[i]);
		rc = 0;
	}
	free(der);
	return rc;
}
