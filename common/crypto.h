/* Certificate and key helpers on OpenSSL 3 (libndes-common).
 *
 * Conventions:
 * - Functions that can fail for a reason an operator must read take
 *   `char *err, size_t errlen` and write one line there (starting with the
 *   file path where there is one); err may be NULL.  The OpenSSL error queue
 *   is cleared before they return.
 * - Buffers returned through `uint8_t **` or as `char *` are malloc()'d: free().
 *   Objects are OpenSSL's: X509_free(), EVP_PKEY_free(),
 *   sk_X509_pop_free(sk, X509_free).
 * - Hex strings are upper case without separators, as Windows shows
 *   thumbprints.  Size hex buffers with NDES_CRYPTO_HEX_MAX.
 * - Everything here is thread-safe (no global state). */
#ifndef NDES_CRYPTO_H
#define NDES_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Enough for the hex of any digest (and any sane serial number) plus NUL. */
#define NDES_CRYPTO_HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)
#define NDES_CRYPTO_SHA1_HEX_LEN 40
#define NDES_CRYPTO_SHA256_HEX_LEN 64

/* Largest file the loaders read (certificates, bundles, keys): 4 MiB. */
#define NDES_CRYPTO_MAX_FILE (4 * 1024 * 1024)

/* --- Loading (crypto_load.c) --- */

/* The first certificate in a PEM file, or the certificate of a DER file
 * (detected by content).  NULL with err set otherwise. */
X509 *ndes_crypto_load_cert(const char *path, char *err, size_t errlen);

/* Every certificate of a PEM bundle in file order (CA chains), or the one of
 * a DER file.  A file without any certificate, or with a damaged one, fails. */
STACK_OF(X509) *ndes_crypto_load_certs(const char *path, char *err, size_t errlen);

/* A private key: PEM or DER; PKCS#8 (plain or encrypted), traditional
 * PKCS#1 RSA or SEC1 EC, and traditional encrypted PEM ("Proc-Type:
 * 4,ENCRYPTED", e.g. 3DES keys made by `openssl genrsa -des3`).
 * `passphrase` may be NULL; nothing is ever asked on a terminal.
 * The file is opened first, then checked through the open descriptor:
 * refused unless it is a regular file with no permission bits for group or
 * others, with exactly these messages:
 *   "<path>: private key file is readable by group or others (mode 0644); chmod 600 it"
 *   "<path>: private key file is accessible by group or others (mode 0620); chmod 600 it"
 *   "<path>: private key file is not a regular file"
 * Other messages: "<path>: <strerror>", "<path>: private key is encrypted
 * and no passphrase was given", "<path>: cannot decrypt private key (wrong
 * passphrase?)", "<path>: no private key found (PEM or DER, PKCS#8, PKCS#1
 * or SEC1 expected)". */
EVP_PKEY *ndes_crypto_load_key(const char *path, const char *passphrase,
    char *err, size_t errlen);

/* --- Writing (crypto_write.c): atomic (temporary file in the same
 * folder, fsync, rename, fsync of the folder); 0 or -1. --- */

/* PKCS#8 PEM, mode 0600; encrypted with AES-256-CBC when passphrase != NULL. */
int ndes_crypto_write_key(const char *path, EVP_PKEY *key, const char *passphrase,
    char *err, size_t errlen);
/* PEM, mode 0644. */
int ndes_crypto_write_cert(const char *path, X509 *cert, char *err, size_t errlen);
/* Any bytes, with the given mode (exactly, whatever the umask). */
int ndes_crypto_write_file(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);

/* --- Conversions (crypto.c) --- */

int ndes_crypto_cert_to_der(X509 *cert, uint8_t **der, size_t *len);
/* NUL-terminated "-----BEGIN CERTIFICATE-----\n...". */
char *ndes_crypto_cert_to_pem(X509 *cert);
/* The DER must be exactly one certificate: trailing bytes are refused. */
X509 *ndes_crypto_cert_from_der(const uint8_t *der, size_t len);
/* The same from base64 text (NUL-terminated; NULL or not base64: NULL). */
X509 *ndes_crypto_cert_from_b64(const char *b64);
/* The first certificate in PEM text. */
X509 *ndes_crypto_cert_from_pem(const char *pem, size_t len);

/* DER SubjectPublicKeyInfo of a (public or private) key. */
int ndes_crypto_pubkey_der(EVP_PKEY *key, uint8_t **der, size_t *len);

/* --- EC keys (crypto_ec.c) --- */

/* The public key of an encoded point (SEC 1: uncompressed or compressed)
 * on the named curve (OpenSSL's short name, "prime256v1"), made from this
 * thread's template of the curve: no group built per key.  NULL when the
 * curve is unknown or the point does not decode or is not on the curve. */
EVP_PKEY *ndes_crypto_ec_point_key(const char *curve, const uint8_t *point, size_t len);

/* --- Fingerprints and names (crypto.c) --- */

/* Digest of the certificate's DER (EVP_sha1(): the Windows thumbprint,
 * 40 hex characters; EVP_sha256(): 64).  Equal to `openssl x509
 * -fingerprint` without the colons.  0 or -1 (hex too small). */
int ndes_crypto_thumbprint(X509 *cert, const EVP_MD *md, char *hex, size_t hexlen);
/* Digest of any bytes (e.g. a DER certificate not parsed yet). */
int ndes_crypto_digest_hex(const uint8_t *data, size_t len, const EVP_MD *md,
    char *hex, size_t hexlen);
/* SHA-256 of the DER SubjectPublicKeyInfo: the same value for a private key,
 * its CSR (ndes_csr_pubkey_sha256) and its certificate
 * (X509_get0_pubkey()), to match issued certificates to requests. */
int ndes_crypto_pubkey_sha256(EVP_PKEY *key, char *hex, size_t hexlen);

/* Serial number as .NET's X509Certificate2.SerialNumber shows it: the bytes
 * of the DER INTEGER, two upper-case hex digits each, so a positive serial
 * whose first bit is set keeps its leading "00" (openssl prints it without).
 * 0 or -1. */
int ndes_crypto_serial_hex(X509 *cert, char *hex, size_t hexlen);
/* An ASN.1 time (a certificate's notBefore/notAfter, a CRL's nextUpdate) as
 * seconds since the epoch: 0, or -1 with *out set to 0 when t is NULL or not
 * a time that fits a time_t.  The one checked conversion: nothing else in
 * the tree calls ASN1_TIME_to_tm + timegm. */
int ndes_crypto_asn1_time(const ASN1_TIME *t, time_t *out);
/* The certificate's notAfter as ISO-8601 UTC text, "2027-11-30T03:00:00Z"
 * (ndes_clock_iso8601): 0, or -1 (no cert, bad time, short buffer). */
int ndes_crypto_not_after_iso8601(const X509 *cert, char *buf, size_t len);
/* Compares two serial numbers written in hex (either case, with or without
 * leading zeros, so both the form above and `openssl x509 -serial` / the
 * `openssl ca` index match): 1 same, 0 different, -1 not hex. */
int ndes_crypto_serial_equal(const char *hex_a, const char *hex_b);

/* A distinguished name as one string, the form every component compares
 * (CSR subject, challenge claims, certificates):
 * RFC 4514 (RFC 2253) order and escaping, i.e. the LAST RDN first, "," between
 * RDNs without spaces, "+" inside a multi-valued RDN (its values reversed
 * too, like the RDNs), short attribute names
 * (CN, OU, O, L, ST, C, DC, UID, emailAddress, ...), values in UTF-8 (not
 * \XX-escaped), attributes OpenSSL has no name for as dotted OID=#hexDER.
 * The CSR subject /C=US/O=Contoso/OU=Sales/CN=alice gives
 * "CN=alice,OU=Sales,O=Contoso,C=US"; an empty name gives "".
 * malloc()'d, NULL on error. */
char *ndes_crypto_name_to_string(const X509_NAME *name);

/* The OpenSSL error queue as "reason" text (the most recent error), or
 * `fallback` when empty; clears the queue. */
const char *ndes_crypto_last_error(const char *fallback);

#endif
