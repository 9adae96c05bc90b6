/* PKCS#10 parsing, signature check and public key (see csr.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "crypto_int.h"
#include "csr.h"

X509_REQ *
ndes_csr_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (req != NULL && p != der + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	ERR_clear_error();
	return req;
}

X509_REQ *
ndes_csr_from_pem(const char *pem, size_t len)
{
	X509_REQ *req;
	BIO *bio;

	if (pem == NULL || len == 0 || len > INT_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	req = PEM_read_bio_X509_REQ(bio, NULL, ndes_crypto_no_password, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return req;
}

X509_REQ *
ndes_csr_load(const char *path, char *err, size_t errlen)
{
	X509_REQ *req;
	uint8_t *data;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    ndes_crypto_read_fd(fd, &data, &len) == -1) {
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	close(fd);
	if (ndes_crypto_is_pem(data, len))
		req = ndes_csr_from_pem((const char *)data, len);
	else
		req = ndes_csr_from_der(data, len);
	free(data);
	if (req == NULL)
		ndes_crypto_seterr(err, errlen,
		    "%s: no certificate request found (PEM or DER expected)", path);
	return req;
}

int
ndes_csr_to_der(X509_REQ *req, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = req != NULL ? i2d_X509_REQ(req, &buf) : -1;

	return ndes_crypto_take_buf(buf, n, der, len);
}

int
ndes_csr_verify_signature_with(X509_REQ *req, EVP_PKEY *key)
{
	int r;

	if (req == NULL || key == NULL) {
		ERR_clear_error();
		return -1;
	}
	/* the default library context, whichever the request was parsed in */
	r = X509_REQ_verify_ex(req, key, NULL, NULL) == 1 ? 1 : 0;
	ERR_clear_error();
	return r;
}

int
ndes_csr_verify_signature(X509_REQ *req)
{
	return ndes_csr_verify_signature_with(req, req != NULL ? X509_REQ_get0_pubkey(req) :
	    NULL);
}

int
ndes_csr_pubkey_der(X509_REQ *req, uint8_t **der, size_t *len)
{
	EVP_PKEY *key = req != NULL ? X509_REQ_get0_pubkey(req) : NULL;

	if (key == NULL) {
		*der = NULL;
		*len = 0;
		ERR_clear_error();
		return -1;
	}
	return ndes_crypto_pubkey_der(key, der, len);
}

int
ndes_csr_pubkey_sha256(X509_REQ *req, char *hex, size_t hexlen)
{
	EVP_PKEY *key = req != NULL ? X509_REQ_get0_pubkey(req) : NULL;

	ERR_clear_error();
	return key != NULL ? ndes_crypto_pubkey_sha256(key, hex, hexlen) : -1;
}
