/* What the crpd targets (csr, crp_http, challenge) share: the key material
 * crpd verifies with, from the test keys of fuzz/keys/. */
#ifndef NDES_FUZZ_CRP_H
#define NDES_FUZZ_CRP_H

#include "keys.h"
#include "verify.h"

/* The tenant of the seeds' claims (fuzz/make-corpus.sh). */
#define FUZZ_TENANT "8a1f2c3d-0000-4000-8000-00000000f022"

/* CRP keys "crp" (EC) and "crp-rsa", signing certificate "signer". */
const struct crp_keyset *fuzz_crp_keyset(void);
/* Tenant FUZZ_TENANT, now FUZZ_NOW, grace 300 s. */
const struct crp_verify_params *fuzz_crp_params(void);

/* The invariants of a verification's outcome: a known event with a code it
 * may carry, a reason unless it passed, the claims' IDs when they were read,
 * and an HTTP answer (201 exactly when verified, else 403 or 503) whose
 * JSON body builds. */
void fuzz_crp_check_result(bool ok, const struct crp_verify_result *res);

/* Sealing as the cloud does, with the test keys (fuzz/fuzz_crp.c), each
 * NULL when OpenSSL refuses the content:
 *   content encrypted to the test CRP key "crp" (AuthEnvelopedData,
 *     AES-256-GCM, ECDH), as challenge text (base64; free());
 *   content signed by "signer" as claims are (SignedData, no certificates,
 *     no signed attributes), as DER (OPENSSL_free());
 *   both: claims JSON to challenge text (free()). */
char	*fuzz_seal_envelope(const uint8_t *content, size_t len);
uint8_t	*fuzz_seal_sign(const uint8_t *content, size_t len, size_t *outlen);
char	*fuzz_seal_claims(const uint8_t *json, size_t len);

#endif
