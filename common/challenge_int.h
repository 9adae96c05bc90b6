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

#endif
