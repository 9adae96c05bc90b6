/* Internal helpers shared by crypto*.c and csr*.c; not for other modules. */
#ifndef NDES_CRYPTO_INT_H
#define NDES_CRYPTO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>

/* snprintf into err when err != NULL; clears the OpenSSL error queue. */
void ndes_crypto_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Moves an OPENSSL_malloc()'d buffer of n bytes (n <= 0: failure) into a
 * malloc()'d one; always frees `buf`.  0 or -1. */
int ndes_crypto_take_buf(unsigned char *buf, int n, uint8_t **out, size_t *outlen);

/* Copies a memory BIO's contents into a malloc()'d NUL-terminated string. */
char *ndes_crypto_bio_string(BIO *bio);

/* PEM password callback that never supplies a password (no terminal prompt). */
int ndes_crypto_no_password(char *buf, int size, int rwflag, void *u);

/* Reads a whole file of at most NDES_CRYPTO_MAX_FILE bytes from an open
 * descriptor into a malloc()'d buffer (NUL-terminated, not counted).
 * -1 with errno set (EFBIG when too large). */
int ndes_crypto_read_fd(int fd, uint8_t **out, size_t *outlen);

/* Upper-case hex of n bytes into hex (2n + 1 bytes needed).  0 or -1. */
int ndes_crypto_hex(const unsigned char *buf, size_t n, char *hex, size_t hexlen);

/* 1 when the data looks like PEM text: not starting like DER (0x30) and
 * containing "-----BEGIN " (text may come before it). */
int ndes_crypto_is_pem(const uint8_t *data, size_t len);

#endif
