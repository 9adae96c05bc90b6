/* Loading certificates and private keys from files (see crypto.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "crypto_int.h"

/* Grows *buf to newcap bytes without leaving copies of key material behind. */
static int
read_grow(uint8_t **buf, size_t len, size_t newcap)
{
	uint8_t *nbuf;

	if ((nbuf = malloc(newcap)) == NULL)
		return -1;
	if (len > 0)
		memcpy(nbuf, *buf, len);
	OPENSSL_clear_free(*buf, len);
	*buf = nbuf;
	return 0;
}

int
ndes_crypto_read_fd(int fd, uint8_t **out, size_t *outlen)
{
	const size_t maxcap = NDES_CRYPTO_MAX_FILE + 2;
	size_t len = 0, cap = 0;
	uint8_t *buf = NULL;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap == 0 ? 8192 : cap * 2 > maxcap ? maxcap : cap * 2;
			if (read_grow(&buf, len, cap) == -1)
				goto fail;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		if ((len += (size_t)n) > NDES_CRYPTO_MAX_FILE) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	n = errno;
	OPENSSL_clear_free(buf, len);
	errno = (int)n;
	return -1;
}

/* Reads a whole file; err gets "<path>: <reason>". */
static int
read_path(const char *path, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = ndes_crypto_read_fd(fd, out, outlen);
	if (r == -1)
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	return r;
}

/* All PEM certificates of a buffer, in order; NULL when none or damaged. */
static STACK_OF(X509) *
certs_from_pem(const uint8_t *data, size_t len)
{
	STACK_OF(X509) *sk;
	BIO *bio;
	X509 *cert;
	unsigned long e;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return NULL;
	if ((sk = sk_X509_new_null()) == NULL) {
		BIO_free(bio);
		return NULL;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, ndes_crypto_no_password, NULL)) != NULL) {
		if (!sk_X509_push(sk, cert)) {
			X509_free(cert);
			break;
		}
	}
	e = ERR_peek_last_error();
	BIO_free(bio);
	/* The loop must end on "no more PEM blocks", not on a damaged one. */
	if (sk_X509_num(sk) == 0 || ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		sk_X509_pop_free(sk, X509_free);
		sk = NULL;
	}
	ERR_clear_error();
	return sk;
}

static STACK_OF(X509) *
certs_from_data(const uint8_t *data, size_t len)
{
	STACK_OF(X509) *sk;
	X509 *cert;

	if (ndes_crypto_is_pem(data, len))
		return certs_from_pem(data, len);
	if ((cert = ndes_crypto_cert_from_der(data, len)) == NULL)
		return NULL;
	if ((sk = sk_X509_new_null()) == NULL || !sk_X509_push(sk, cert)) {
		sk_X509_free(sk);
		X509_free(cert);
		return NULL;
	}
	return sk;
}

STACK_OF(X509) *
ndes_crypto_load_certs(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	uint8_t *data;
	size_t len;

	if (read_path(path, &data, &len, err, errlen) == -1)
		return NULL;
	sk = certs_from_data(data, len);
	free(data);
	if (sk == NULL)
		ndes_crypto_seterr(err, errlen,
		    "%s: no certificate found or a certificate is damaged (PEM or DER expected)",
		    path);
	return sk;
}

X509 *
ndes_crypto_load_cert(const char *path, char *err, size_t errlen)
{
	uint8_t *data;
	size_t len;
	X509 *cert;

	if (read_path(path, &data, &len, err, errlen) == -1)
		return NULL;
	if (ndes_crypto_is_pem(data, len))
		cert = ndes_crypto_cert_from_pem((const char *)data, len);
	else
		cert = ndes_crypto_cert_from_der(data, len);
	free(data);
	if (cert == NULL)
		ndes_crypto_seterr(err, errlen,
		    "%s: no certificate found (PEM or DER expected)", path);
	return cert;
}

/* Opens a private key file and checks it through the descriptor. */
static int
key_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		ndes_crypto_seterr(err, errlen,
		    "%s: private key file is not a regular file", path);
	} else if ((st.st_mode & 077) != 0) {
		ndes_crypto_seterr(err, errlen,
		    "%s: private key file is %s by group or others (mode %04o); chmod 600 it",
		    path, (st.st_mode & 044) != 0 ? "readable" : "accessible",
		    (unsigned)(st.st_mode & 07777));
	} else
		return fd;
	close(fd);
	return -1;
}

struct key_pass {
	const char *passphrase;
	int asked;
};

static int
key_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct key_pass *kp = u;
	size_t len;

	kp->asked = 1;
	if (kp->passphrase == NULL || size <= 0)
		return -1;
	if ((len = strlen(kp->passphrase)) > (size_t)size)
		return -1;
	memcpy(buf, kp->passphrase, len);
	return (int)len;
}

static EVP_PKEY *
key_decode(const uint8_t *data, size_t len, struct key_pass *kp)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *key = NULL;
	const unsigned char *p = data;
	size_t left = len;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, NULL, NULL, NULL,
	    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return NULL;
	if (OSSL_DECODER_CTX_set_pem_password_cb(dctx, key_pass_cb, kp) &&
	    !OSSL_DECODER_from_data(dctx, &p, &left)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	return key;
}

EVP_PKEY *
ndes_crypto_load_key(const char *path, const char *passphrase, char *err, size_t errlen)
{
	struct key_pass kp = { passphrase, 0 };
	EVP_PKEY *key;
	uint8_t *data;
	size_t len;
	int fd;

	if ((fd = key_open(path, err, errlen)) == -1)
		return NULL;
	if (ndes_crypto_read_fd(fd, &data, &len) == -1) {
		ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	key = key_decode(data, len, &kp);
	OPENSSL_clear_free(data, len);
	if (key != NULL)
		return key;
	if (kp.asked && passphrase == NULL)
		ndes_crypto_seterr(err, errlen,
		    "%s: private key is encrypted and no passphrase was given", path);
	else if (kp.asked)
		ndes_crypto_seterr(err, errlen,
		    "%s: cannot decrypt private key (wrong passphrase?)", path);
	else
		ndes_crypto_seterr(err, errlen,
		    "%s: no private key found (PEM or DER, PKCS#8, PKCS#1 or SEC1 expected)",
		    path);
	return NULL;
}
