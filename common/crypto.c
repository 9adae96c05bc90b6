/* Conversions, fingerprints, serial numbers and names (see crypto.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "b64.h"
#include "clock.h"
#include "crypto.h"
#include "crypto_int.h"

void
ndes_crypto_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
}

const char *
ndes_crypto_last_error(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return s != NULL ? s : fallback;
}

int
ndes_crypto_take_buf(unsigned char *buf, int n, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (buf == NULL || n <= 0 || (*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(buf);
		ERR_clear_error();
		return -1;
	}
	memcpy(*out, buf, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(buf);
	return 0;
}

char *
ndes_crypto_bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

int
ndes_crypto_no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int
ndes_crypto_hex(const unsigned char *buf, size_t n, char *hex, size_t hexlen)
{
	if (hex == NULL || hexlen < 2 * n + 1)
		return -1;
	if (n == 0) {
		hex[0] = '\0';
		return 0;
	}
	if (!OPENSSL_buf2hexstr_ex(hex, hexlen, NULL, buf, n, '\0')) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
ndes_crypto_is_pem(const uint8_t *data, size_t len)
{
	/* DER certificates, keys and requests start with a SEQUENCE tag. */
	if (len == 0 || data[0] == 0x30)
		return 0;
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

int
ndes_crypto_cert_to_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = cert != NULL ? i2d_X509(cert, &buf) : -1;

	return ndes_crypto_take_buf(buf, n, der, len);
}

char *
ndes_crypto_cert_to_pem(X509 *cert)
{
	BIO *bio;
	char *s = NULL;

	if (cert == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, cert))
		s = ndes_crypto_bio_string(bio);
	BIO_free(bio);
	ERR_clear_error();
	return s;
}

X509 *
ndes_crypto_cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *cert;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	cert = d2i_X509(NULL, &p, (long)len);
	if (cert != NULL && p != der + len) {
		X509_free(cert);
		cert = NULL;
	}
	ERR_clear_error();
	return cert;
}

X509 *
ndes_crypto_cert_from_b64(const char *b64)
{
	uint8_t *der = NULL;
	size_t len;
	X509 *cert = NULL;

	if (b64 != NULL && ndes_b64_decode(b64, strlen(b64), &der, &len) == 0)
		cert = ndes_crypto_cert_from_der(der, len);
	free(der);
	return cert;
}

X509 *
ndes_crypto_cert_from_pem(const char *pem, size_t len)
{
	BIO *bio;
	X509 *cert;

	if (pem == NULL || len == 0 || len > INT_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	cert = PEM_read_bio_X509(bio, NULL, ndes_crypto_no_password, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return cert;
}

int
ndes_crypto_pubkey_der(EVP_PKEY *key, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = key != NULL ? i2d_PUBKEY(key, &buf) : -1;

	return ndes_crypto_take_buf(buf, n, der, len);
}

int
ndes_crypto_digest_hex(const uint8_t *data, size_t len, const EVP_MD *md,
    char *hex, size_t hexlen)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (md == NULL || (data == NULL && len > 0) ||
	    !EVP_Digest(data != NULL ? data : buf, len, buf, &n, md, NULL)) {
		ERR_clear_error();
		return -1;
	}
	return ndes_crypto_hex(buf, n, hex, hexlen);
}

int
ndes_crypto_thumbprint(X509 *cert, const EVP_MD *md, char *hex, size_t hexlen)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (cert == NULL || md == NULL || !X509_digest(cert, md, buf, &n)) {
		ERR_clear_error();
		return -1;
	}
	return ndes_crypto_hex(buf, n, hex, hexlen);
}

int
ndes_crypto_pubkey_sha256(EVP_PKEY *key, char *hex, size_t hexlen)
{
	uint8_t *der;
	size_t len;
	int r;

	if (ndes_crypto_pubkey_der(key, &der, &len) == -1)
		return -1;
	r = ndes_crypto_digest_hex(der, len, EVP_sha256(), hex, hexlen);
	free(der);
	return r;
}

int
ndes_crypto_serial_hex(X509 *cert, char *hex, size_t hexlen)
{
	const ASN1_INTEGER *sn = cert != NULL ? X509_get0_serialNumber(cert) : NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long clen = 0;
	int n, tag, xclass, r = -1;

	if (sn == NULL || (n = i2d_ASN1_INTEGER(sn, &der)) <= 0)
		goto done;
	/* The hex of the INTEGER's content octets, as encoded. */
	p = der;
	if (ASN1_get_object(&p, &clen, &tag, &xclass, n) & 0x80 ||
	    tag != V_ASN1_INTEGER || clen <= 0)
		goto done;
	r = ndes_crypto_hex(p, (size_t)clen, hex, hexlen);
done:
	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}

int
ndes_crypto_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	time_t s;

	*out = 0;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	errno = 0;
	if ((s = timegm(&tm)) == (time_t)-1 && errno == EOVERFLOW)
		return -1;
	*out = s;
	return 0;
}

int
ndes_crypto_not_after_iso8601(const X509 *cert, char *buf, size_t len)
{
	time_t t;

	if (cert == NULL || ndes_crypto_asn1_time(X509_get0_notAfter(cert), &t) == -1)
		return -1;
	return ndes_clock_iso8601(t, buf, len);
}

static BIGNUM *
serial_parse(const char *hex)
{
	BIGNUM *bn = NULL;
	size_t len = hex != NULL ? strlen(hex) : 0;

	if (len == 0 || len > INT_MAX || hex[0] == '-')
		return NULL;
	if (BN_hex2bn(&bn, hex) != (int)len) {
		BN_free(bn);
		return NULL;
	}
	return bn;
}

int
ndes_crypto_serial_equal(const char *hex_a, const char *hex_b)
{
	BIGNUM *a = serial_parse(hex_a), *b = serial_parse(hex_b);
	int r = -1;

	if (a != NULL && b != NULL)
		r = BN_cmp(a, b) == 0;
	BN_free(a);
	BN_free(b);
	ERR_clear_error();
	return r;
}

char *
ndes_crypto_name_to_string(const X509_NAME *name)
{
	/* RFC 2253 form, but UTF-8 kept as is instead of \XX escapes. */
	const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio;
	char *s = NULL;

	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0)
		s = ndes_crypto_bio_string(bio);
	BIO_free(bio);
	ERR_clear_error();
	return s;
}
