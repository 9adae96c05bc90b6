/* In-process test PKI: keys and certificates made with OpenSSL for unit tests. */
#ifndef NDES_TESTPKI_H
#define NDES_TESTPKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* "rsa-2048", "rsa-3072", "ec-p256", "ec-p384" */
EVP_PKEY *testpki_key(const char *alg);
/* A certificate for key with subject CN=cn, signed by issuer (self-signed when
 * issuer_cert is NULL), valid from now + not_before_s for days. */
X509 *testpki_cert(EVP_PKEY *key, const char *cn, X509 *issuer_cert, EVP_PKEY *issuer_key,
    long not_before_s, int days);
/* A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign,
 * cRLSign), valid from an hour ago for days. */
X509 *testpki_root(EVP_PKEY *key, const char *cn, int days);

#endif
