/* PKCS#10 certificate request helpers on OpenSSL 3 (libndes-common):
 * parsing, signature check and inspection of everything the challenge
 * verification compares (subject, SANs, key, requested usages,
 * challengePassword).  Conventions as in crypto.h: `err` gets one line,
 * buffers are malloc()'d (free()), thread-safe. */
#ifndef NDES_CSR_H
#define NDES_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* --- Parsing (csr.c) --- */

/* Exactly one DER request: trailing bytes are refused.  NULL on error. */
X509_REQ *ndes_csr_from_der(const uint8_t *der, size_t len);
/* The first "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") PEM block. */
X509_REQ *ndes_csr_from_pem(const char *pem, size_t len);
/* A PEM or DER file (detected by content). */
X509_REQ *ndes_csr_load(const char *path, char *err, size_t errlen);
int ndes_csr_to_der(X509_REQ *req, uint8_t **der, size_t *len);

/* --- The request's key decoded once (csr_key.c) --- */

/* As ndes_csr_from_der(), but the public key is left encoded: OpenSSL
 * 3.0 would build a key decoder for it (about 100 us).  Its
 * X509_REQ_get0_pubkey() is NULL: take the key with ndes_csr_key() and
 * pass it to the *_with() functions below. */
X509_REQ *ndes_csr_from_der_keyless(const uint8_t *der, size_t len);
/* The request's public key (a new reference: EVP_PKEY_free), decoded with
 * objects this thread made once; NULL when it cannot be decoded. */
EVP_PKEY *ndes_csr_key(X509_REQ *req);

/* 1: the request's signature verifies with its own public key; 0: it does
 * not (wrong or malformed signature, unsupported algorithm); -1: req is NULL
 * or its public key cannot be decoded. */
int ndes_csr_verify_signature(X509_REQ *req);
/* The same with the request's key given (ndes_csr_key()). */
int ndes_csr_verify_signature_with(X509_REQ *req, EVP_PKEY *key);

/* DER SubjectPublicKeyInfo of the request's key, and its SHA-256 in
 * upper-case hex (equal to ndes_crypto_pubkey_sha256() of the key and of
 * the certificate issued for it).  0 or -1. */
int ndes_csr_pubkey_der(X509_REQ *req, uint8_t **der, size_t *len);
int ndes_csr_pubkey_sha256(X509_REQ *req, char *hex, size_t hexlen);

/* --- Inspection (csr_info.c, csr_ext.c) --- */

enum ndes_san_type {
	NDES_SAN_EMAIL,		/* rfc822Name */
	NDES_SAN_UPN,		/* otherName 1.3.6.1.4.1.311.20.2.3, UTF8String */
	NDES_SAN_DNS,		/* dNSName */
	NDES_SAN_URI,		/* uniformResourceIdentifier */
	NDES_SAN_IP,		/* iPAddress: "192.0.2.1" or "2001:db8::1" (inet_ntop) */
	NDES_SAN_OTHER,		/* anything else; value describes it, see below */
};

/* For NDES_SAN_OTHER the value is "otherName:<dotted OID>",
 * "dirName:<ndes_crypto_name_to_string form>", "registeredID:<dotted OID>",
 * "x400Address" or "ediPartyName", so that an unexpected SAN is never lost. */
struct ndes_san {
	enum ndes_san_type type;
	char *value;		/* UTF-8, no NUL bytes inside */
};

enum ndes_key_type {
	NDES_KEY_OTHER,		/* e.g. Ed25519; key_bits still set */
	NDES_KEY_RSA,		/* rsaEncryption and RSASSA-PSS keys */
	NDES_KEY_EC,
};

/* Key usage bits: the values OpenSSL (KU_*) and Windows
 * (X509KeyUsageFlags) use. */
#define NDES_KU_DIGITAL_SIGNATURE	0x0080
#define NDES_KU_NON_REPUDIATION		0x0040
#define NDES_KU_KEY_ENCIPHERMENT	0x0020
#define NDES_KU_DATA_ENCIPHERMENT	0x0010
#define NDES_KU_KEY_AGREEMENT		0x0008
#define NDES_KU_KEY_CERT_SIGN		0x0004
#define NDES_KU_CRL_SIGN		0x0002
#define NDES_KU_ENCIPHER_ONLY		0x0001
#define NDES_KU_DECIPHER_ONLY		0x8000

struct ndes_csr_info {
	char *subject;			/* ndes_crypto_name_to_string(); "" when empty */
	struct ndes_san *sans;		/* in request order */
	size_t nsans;

	enum ndes_key_type key_type;
	int key_bits;			/* 2048, 256, ... */
	char key_curve[32];		/* EC: "P-256", "P-384", "P-521", or OpenSSL's
					 * group name for other curves; else "" */

	int has_key_usage;		/* keyUsage requested */
	int key_usage_critical;
	unsigned int key_usage;		/* NDES_KU_* bits */
	char **ekus;			/* extendedKeyUsage OIDs, dotted, in order */
	size_t nekus;

	char *challenge_password;	/* UTF-8, NULL when absent */
	size_t challenge_password_len;

	char sig_alg[64];		/* "sha256WithRSAEncryption", "ecdsa-with-SHA384" */
	char sig_hash[32];		/* "sha1", "sha256", "sha384", "sha512";
					 * "" when not given by the algorithm (RSA-PSS) */
};

/* Everything above from a request (extensions from extensionRequest or
 * Microsoft's msExtReq attribute).  Does not check the signature.  NULL
 * with err set when the request is ambiguous or damaged: a duplicate or
 * undecodable extension or challengePassword, a SAN with a NUL byte, a UPN
 * that is not a UTF8String, ... */
struct ndes_csr_info *ndes_csr_inspect(X509_REQ *req, char *err, size_t errlen);
/* The same with the request's key given (ndes_csr_key()). */
struct ndes_csr_info *ndes_csr_inspect_with(X509_REQ *req, EVP_PKEY *key, char *err,
    size_t errlen);
/* The same fields of an issued certificate (its extensions, its key, the
 * CA's signature algorithm; no challenge_password): to compare what was
 * issued with what was asked (conformance.h).  NULL with err set when the
 * certificate's extensions are ambiguous or damaged. */
struct ndes_csr_info *ndes_cert_inspect(X509 *cert, char *err, size_t errlen);
void ndes_csr_info_free(struct ndes_csr_info *info);

/* "EMAIL", "UPN", "DNS", "URI", "IP", "OTHER". */
const char *ndes_san_type_name(enum ndes_san_type type);

#endif
