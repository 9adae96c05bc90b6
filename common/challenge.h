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
};

/* Why opening a challenge failed: these map onto event codes (events.def). */
enum ndes_challenge_error {
	NDES_CHALLENGE_OK = 0,
	NDES_CHALLENGE_MALFORMED,        /* not base64 / not CMS / bad claims -> 0x00000410 */
	NDES_CHALLENGE_NO_RECIPIENT_KEY, /* none of our CRP keys is a recipient -> 0x00000408 */
	NDES_CHALLENGE_NO_SIGNING_CERT,  /* no signing certificate downloaded -> 0x00000409 */
	NDES_CHALLENGE_BAD_SIGNATURE,    /* unknown signer or bad signature -> extension code */
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

/* Decrypt with the first matching key, verify against the signing
 * certificates and parse the claims.  Does not check expiry: the caller
 * decides with its own clock. */
enum ndes_challenge_error ndes_challenge_open(const char *text, size_t len,
    const struct ndes_challenge_key *keys, size_t n_keys, STACK_OF(X509) *signing_certs,
    struct ndes_challenge_claims *claims, char *err, size_t errlen);

/* Names of key usage bits as the claims JSON writes them. */
int ndes_challenge_key_usage_from_name(const char *name, uint32_t *bit);
const char *ndes_challenge_key_usage_name(uint32_t bit);

#endif
