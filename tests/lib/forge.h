/* Forged challenges for the tests: a SignedData over any content, built
 * with OpenSSL's CMS API the way an attacker would, with every field the
 * pinned-signer checks look at under the test's control, then sealed in the
 * real envelope (ndes_challenge_envelope) so the verifier reaches it. */
#ifndef NDES_TEST_FORGE_H
#define NDES_TEST_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct forge_spec {
	const char	*content;	/* the signed content (claims JSON) */
	X509		*signer;	/* required, with key */
	EVP_PKEY	*key;
	const EVP_MD	*md;		/* NULL: SHA-256 */
	bool		 keyid;		/* name the signer by subject key identifier */
	bool		 rsa_pss;	/* RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys) */
	X509		*signer2;	/* a second SignerInfo, with key2 */
	EVP_PKEY	*key2;
	X509		*embed[3];	/* certificates added to the SignedData */
	X509_CRL	*crl;		/* a CRL added to the SignedData */
	const char	*econtent_type;	/* OID; NULL: id-data */
	bool		 detached;	/* content outside the signature */
	bool		 signed_attrs;	/* the default signed attributes */
	bool		 unsigned_attr;	/* one unsigned attribute */
	int		 sigalg_nid;	/* rewrite the signature algorithm OID after signing */
};

/* The DER SignedData (free()), asserting it could be made. */
uint8_t	*forge_signed_data(const struct forge_spec *s, size_t *len);
/* That SignedData in the envelope to recipient: challenge text (free()). */
char	*forge_challenge(const struct forge_spec *s, X509 *recipient);
/* DER bytes (any) in the envelope to recipient: challenge text (free()). */
char	*forge_seal_der(const uint8_t *der, size_t len, X509 *recipient);
/* An empty CRL issued by cert/key. */
X509_CRL *forge_crl(X509 *issuer, EVP_PKEY *key);
/* A self-signed certificate for key with a subject key identifier and,
 * unless NULL, that keyUsage ("digitalSignature", "keyEncipherment", ...). */
X509	*forge_cert_ext(EVP_PKEY *key, const char *cn, const char *key_usage);
struct forge_pair {
	EVP_PKEY	*key;
	X509		*cert;
};

/* A CA of its own (CN=another CA) and a leaf it issued (CN=cn), EC P-256. */
void	forge_other_ca(struct forge_pair *ca, struct forge_pair *leaf, const char *cn);
void	forge_pair_free(struct forge_pair *p);

/* real's copy (same issuer, serial number, subject) with key's public key,
 * signed by key: names real in a SignerInfo, verifies under key. */
X509	*forge_impostor(X509 *real, EVP_PKEY *key);

#endif
