/* Challenge verification: everything of a VERIFY request except the one-time
 * use check, which needs the store (challenge_store.h).  Pure and
 * thread-safe: runs on the worker threads.  The checks and their codes are
 * listed in docs/crpd.md. */
#ifndef CRP_VERIFY_H
#define CRP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "events.h"
#include "keys.h"

#define CRP_REASON_MAX 256

struct crp_verify_params {
	const char	*tenant_id;	/* expected tenant */
	int64_t		 now;		/* seconds since the epoch */
	int64_t		 grace;		/* clock skew allowance, seconds */
};

struct crp_verify_result {
	/* The outcome so far: NDES_EV_CRP_VERIFY_SUCCESS with code 0 means
	 * every check passed and the one-time use check comes next. */
	enum ndes_event	 event;
	uint32_t	 code;
	char		 reason[CRP_REASON_MAX];	/* short, no secrets */
	/* From the claims, when they could be read (else NULL). */
	char		*challenge_id;
	char		*device_id;
	char		*user_id;
	char		*claims_template;
	int64_t		 expires_at;
	/* SHA-256 (upper hex) of the CSR's public key and of the challenge
	 * text, when the CSR could be read (else ""). */
	char		 pubkey_hash[NDES_CRYPTO_SHA256_HEX_LEN + 1];
	char		 challenge_hash[NDES_CRYPTO_SHA256_HEX_LEN + 1];
};

/* Verify csr_der against ks.  Always fills res (free its strings with
 * crp_verify_result_clear); returns true when every check passed. */
bool	crp_verify(const struct crp_keyset *ks, const struct crp_verify_params *params,
	    const uint8_t *csr_der, size_t csr_len, struct crp_verify_result *res);
void	crp_verify_result_clear(struct crp_verify_result *res);

/* SHA-256 (upper hex) of the DER SubjectPublicKeyInfo as it was received
 * (X509_PUBKEY re-encoded, no key decoding: OpenSSL 3.0's key encoders
 * cost ~100 us).  Same value as ndes_csr_pubkey_sha256() /
 * ndes_crypto_pubkey_sha256() for the usual named-curve and RSA keys. */
int	crp_spki_sha256(X509_PUBKEY *spki, char *hex, size_t hexlen);

/* SHA-256 upper hex of a challenge text, as stored for notify lookups. */
int	crp_challenge_hash(const char *text, size_t len, char *hex, size_t hexlen);

/* The request checks, in order (verify_checks.c): 0 when the CSR meets the
 * claims, else the extension code with reason set. */
struct ndes_challenge_claims;
struct ndes_csr_info;
uint32_t crp_check_request(const struct ndes_challenge_claims *claims,
	    const struct ndes_csr_info *info, const char *tenant_id, char *reason,
	    size_t reasonlen);

#endif
