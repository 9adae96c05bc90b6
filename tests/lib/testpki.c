#include "testpki.h"

#include <string.h>
#include <openssl/x509v3.h>

EVP_PKEY *
testpki_key(const char *alg)
{
	if (strcmp(alg, "rsa-2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(alg, "rsa-3072") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (strcmp(alg, "ec-p256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(alg, "ec-p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return NULL;
}

X509 *
testpki_cert(EVP_PKEY *key, const char *cn, X509 *issuer_cert, EVP_PKEY *issuer_key,
    long not_before_s, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	static long serial = 1000;

	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
	X509_gmtime_adj(X509_getm_notBefore(cert), not_before_s);
	X509_gmtime_adj(X509_getm_notAfter(cert), not_before_s + (long)days * 86400);
	X509_set_pubkey(cert, key);
	X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
	X509_NAME_free(name);
	return cert;
}

X509 *
testpki_root(EVP_PKEY *key, const char *cn, int days)
{
	X509 *cert = testpki_cert(key, cn, NULL, NULL, -3600, days);
	X509V3_CTX ctx;
	X509_EXTENSION *bc, *ku;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical, CA:TRUE");
	ku = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical, keyCertSign, cRLSign");
	X509_add_ext(cert, bc, -1);
	X509_add_ext(cert, ku, -1);
	X509_sign(cert, key, EVP_sha256());
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(ku);
	return cert;
}
