/* Writing keys and certificates atomically (see crypto.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "crypto_int.h"

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the folder holding path, so that the rename survives a crash. */
static int
sync_parent(const char *path)
{
	char *copy;
	int fd, r = -1;

	if ((copy = strdup(path)) == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return -1;
	if (fsync(fd) == 0 || errno == EINVAL)
		r = 0;
	close(fd);
	return r;
}

int
ndes_crypto_write_file(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen)
{
	char *tmp = NULL;
	int fd = -1, saved;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) == -1) {
		tmp = NULL;
		goto fail;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1 || sync_parent(path) == -1)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	ndes_crypto_seterr(err, errlen, "%s: %s", path, strerror(saved));
	return -1;
}

int
ndes_crypto_write_key(const char *path, EVP_PKEY *key, const char *passphrase,
    char *err, size_t errlen)
{
	const EVP_CIPHER *cipher = passphrase != NULL ? EVP_aes_256_cbc() : NULL;
	int klen = passphrase != NULL ? (int)strlen(passphrase) : 0;
	BIO *bio;
	char *data;
	long n;
	int r = -1;

	if (key == NULL || (bio = BIO_new(BIO_s_secmem())) == NULL) {
		ndes_crypto_seterr(err, errlen, "%s: no key to write", path);
		return -1;
	}
	if (!PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, (char *)passphrase,
	    klen, NULL, NULL) || (n = BIO_get_mem_data(bio, &data)) <= 0)
		ndes_crypto_seterr(err, errlen, "%s: cannot encode private key: %s",
		    path, ndes_crypto_last_error("unknown error"));
	else
		r = ndes_crypto_write_file(path, data, (size_t)n, 0600, err, errlen);
	BIO_free(bio);
	return r;
}

int
ndes_crypto_write_cert(const char *path, X509 *cert, char *err, size_t errlen)
{
	char *pem;
	int r;

	if ((pem = ndes_crypto_cert_to_pem(cert)) == NULL) {
		ndes_crypto_seterr(err, errlen, "%s: cannot encode certificate", path);
		return -1;
	}
	r = ndes_crypto_write_file(path, pem, strlen(pem), 0644, err, errlen);
	free(pem);
	return r;
}
