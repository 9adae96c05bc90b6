/* Inside the challenge codec: challenge.c opens the envelope,
 * challenge_verify.c checks the SignedData inside it. */
#ifndef NDES_CHALLENGE_INT_H
#define NDES_CHALLENGE_INT_H

#include <openssl/bio.h>
#include <openssl/cms.h>

#include "challenge.h"

/* The SignedData against the pinned signing certificates (challenge.h,
 * ndes_challenge_open): the structure first, then the signer, then
 * OpenSSL's signature check.  On NDES_CHALLENGE_OK the signed content is
 * written to content; otherwise err says why. */
enum ndes_challenge_error ndes_challenge_verify_signed(CMS_ContentInfo *signed_data,
    STACK_OF(X509) *pinned, BIO *content, char *err, size_t errlen);

/* An EC recipient's entry (ri, our rek in it) opened with our key: the
 * originator's point checked to be on the curve (the quick check), not
 * fully validated, then the content decrypted into out as CMS_decrypt()
 * does (challenge_ecdh.c).  1 decrypted, 0 did not decrypt,
 * NDES_CHALLENGE_KARI_OFF_CURVE refused (the originator's key is no point
 * of our curve, or the point at infinity), -1 not for this path (another
 * key type or curve, originator parameters that are not our curve's): use
 * CMS_decrypt(). */
#define NDES_CHALLENGE_KARI_OFF_CURVE (-2)
int ndes_challenge_kari_decrypt(CMS_ContentInfo *env, CMS_RecipientInfo *ri,
    CMS_RecipientEncryptedKey *rek, EVP_PKEY *key, BIO *out);

#endif
