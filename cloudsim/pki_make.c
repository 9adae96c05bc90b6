/* Making certificates with OpenSSL: the one builder every certificate of
 * the emulator goes through (pki.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "pki.h"

/* A positive random 128-bit serial number. */
static int
pki_random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int rc = -1;

	if (bn != NULL && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

static int
pki_set_name(X509 *cert, const char *cn, const char *org, X509 *issuer)
{
	X509_NAME *name = X509_NAME_new();
	int rc = -1;

	if (name == NULL)
		return -1;
	if ((org == NULL || X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) == 1) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_set_subject_name(cert, name) == 1 &&
	    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) == 1)
		rc = 0;
	X509_NAME_free(name);
	return rc;
}

static int
pki_add_exts(X509 *cert, X509 *issuer, const struct cloudsim_pki_ext *exts, size_t n)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid,
		    exts[i].value);

		if (ext == NULL || X509_add_ext(cert, ext, -1) != 1) {
			X509_EXTENSION_free(ext);
			return -1;
		}
		X509_EXTENSION_free(ext);
	}
	return 0;
}

X509 *
cloudsim_pki_make_cert(EVP_PKEY *pub, const char *cn, const char *org, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t backdate_s, int64_t lifetime_s,
    const struct cloudsim_pki_ext *exts, size_t n_exts, char *err, size_t errlen)
{
	X509 *cert = X509_new();

	if (cert == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    pki_random_serial(cert) != 0 || pki_set_name(cert, cn, org, issuer) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), (long)-backdate_s) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), (long)lifetime_s) == NULL ||
	    X509_set_pubkey(cert, pub) != 1 || pki_add_exts(cert, issuer, exts, n_exts) != 0 ||
	    X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
		snprintf(err, errlen, "cannot make the certificate for \"%s\": %s", cn,
		    ndes_crypto_last_error("out of memory"));
		X509_free(cert);
		return NULL;
	}
	return cert;
}
