/* The challenge codec (DESIGN.md section 5, docs/challenge.md).
 *
 * A challenge is base64 text of a CMS AuthEnvelopedData (AES-256-GCM) whose
 * content is a CMS SignedData over the claims JSON.  The envelope has one
 * recipient per registered CRP encryption certificate: RSA recipients use
 * RSAES-OAEP (SHA-256), EC recipients ECDH key agreement.  The signature
 * carries no certificates: the verifier checks it against the signing
 * certificates it downloaded from the cloud. */
#ifndef NDES_CHALLENGE_H
#define NDES_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define NDES_CHALLENGE_VERSION 1
#define NDES_CHALLENGE_MAX_SANS 32
#define NDES_CHALLENGE_MAX_EKUS 16

enum ndes_challenge_cert_type {
	NDES_CHALLENGE_CERT_USER = 0,
	NDES_CHALLENGE_CERT_DEVICE = 1,
};

struct ndes_challenge_san {
	char *type;  /* "email", "upn", "dns" or "uri" */
	char *value;
};

struct ndes_challenge_claims {
	int version;
	char *challenge_id;       /* unique, a UUID */
	char *tenant_id;
	char *profile_id;
	char *device_id;          /* Azure AD device ID */
	char *user_id;            /* UPN; NULL for device certificates */
	enum ndes_challenge_cert_type cert_type;
	int64_t issued_at;        /* seconds since the epoch, UTC */
	int64_t expires_at;
	char *subject;            /* exact subject, ndes_crypto name string form */
	struct ndes_challenge_san sans[NDES_CHALLENGE_MAX_SANS];
	size_t n_sans;
	char *key_type;           /* "RSA" or "EC" */
	int min_key_bits;
	uint32_t key_usage;       /* OpenSSL KU_* bits */
	char *ekus[NDES_CHALLENGE_MAX_EKUS]; /* dotted OIDs */
	size_t n_ekus;
	char *hash;               /* "sha256", "sha384", "sha512", "sha1" */
	int validity_days;
	char *template_name;
	char *trusted_root;       /* SHA-256 (hex) of the profile's trusted root
	                           * certificate; NULL when the profile names none */
};

/* Why opening a challenge failed: these map onto event codes (events.def;
 * crp/verify.c holds the map).  In the order they are checked
 * (docs/challenge.md, "Verifying, in order"). */
enum ndes_challenge_error {
	NDES_CHALLENGE_OK = 0,
	NDES_CHALLENGE_NOT_BASE64,       /* not one-line padded base64 -> 0x00001017 */
	NDES_CHALLENGE_MALFORMED,        /* not CMS / not decryptable / bad claims -> 0x00000410 */
	NDES_CHALLENGE_NO_RECIPIENT_KEY, /* none of our CRP keys is a recipient -> 0x00000408 */
	NDES_CHALLENGE_NO_SIGNING_CERT,  /* no signing certificate downloaded -> 0x00000409 */
	NDES_CHALLENGE_CERTS_EMBEDDED,   /* the SignedData carries certificates -> 0x0000100E */
	NDES_CHALLENGE_CRLS_EMBEDDED,    /* ... or CRLs -> 0x0000100F */
	NDES_CHALLENGE_CONTENT_INVALID,  /* eContentType not id-data, or detached -> 0x00001010 */
	NDES_CHALLENGE_SIGNERS_NOT_ONE,  /* not exactly one SignerInfo -> 0x00001011 */
	NDES_CHALLENGE_ATTRIBUTES,       /* signed or unsigned attributes -> 0x00001012 */
	NDES_CHALLENGE_DIGEST_NOT_ALLOWED, /* not SHA-256/384/512 -> 0x00001013 */
	NDES_CHALLENGE_SIGALG_NOT_ALLOWED, /* not RSA PKCS#1 v1.5 / ECDSA, or not fitting -> 0x00001014 */
	NDES_CHALLENGE_UNKNOWN_SIGNER,   /* the signer is no pinned certificate -> 0x00001015 */
	NDES_CHALLENGE_SIGNER_UNUSABLE,  /* that certificate expired / no digitalSignature -> 0x00001016 */
	NDES_CHALLENGE_BAD_SIGNATURE,    /* does not verify under that certificate -> 0x0000100C */
};

/* One CRP encryption key pair that may be a recipient. */
struct ndes_challenge_key {
	X509 *cert;
	EVP_PKEY *key;
};

void ndes_challenge_claims_clear(struct ndes_challenge_claims *claims);

/* Claims <-> JSON text (jansson).  Parse returns -1 with a message naming the field. */
char *ndes_challenge_claims_to_json(const struct ndes_challenge_claims *claims);
int ndes_challenge_claims_from_json(const char *json, size_t len,
    struct ndes_challenge_claims *claims, char *err, size_t errlen);

/* Sign the claims and encrypt them to every recipient; *out is NUL-terminated
 * base64 text (free with free()). */
int ndes_challenge_seal(const struct ndes_challenge_claims *claims, X509 *signer_cert,
    EVP_PKEY *signer_key, STACK_OF(X509) *recipients, char **out, char *err, size_t errlen);

/* The envelope alone: encrypt the DER of a SignedData (made by anyone) to
 * every recipient as ndes_challenge_seal() does; *out is the challenge text.
 * For tests and fuzzing that need the inner layers to be reached. */
int ndes_challenge_envelope(const uint8_t *signed_der, size_t len, STACK_OF(X509) *recipients,
    char **out, char *err, size_t errlen);

/* Decrypt with the first matching key, verify against the signing
 * certificates and parse the claims.  The signing certificates are pinned:
 * the signature must name one of them (issuer and serial number, or subject
 * key identifier) and verify under its key; certificates carried in the
 * message are never used, and a message that carries any is refused.  A
 * pinned certificate is used only within its validity period and, when it
 * has a keyUsage extension, with digitalSignature.  Does not check the
 * claims' expiry: the caller decides with its own clock. */
enum ndes_challenge_error ndes_challenge_open(const char *text, size_t len,
    const struct ndes_challenge_key *keys, size_t n_keys, STACK_OF(X509) *signing_certs,
    struct ndes_challenge_claims *claims, char *err, size_t errlen);

/* Names of key usage bits as the claims JSON writes them. */
int ndes_challenge_key_usage_from_name(const char *name, uint32_t *bit);
const char *ndes_challenge_key_usage_name(uint32_t bit);

#endif
