/* Issuing from a CA folder: serial, validity, extensions, signature,
 * index.txt, serial file. */
#include "ca_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "csr.h"
#include "dn.h"
#include "errmsg.h"

/* NDES_KU_* value and the bit it names in the KeyUsage BIT STRING. */
static const struct { unsigned int ku; int bit; } ku_bits[] = {
	{ NDES_KU_DIGITAL_SIGNATURE, 0 }, { NDES_KU_NON_REPUDIATION, 1 },
	{ NDES_KU_KEY_ENCIPHERMENT, 2 }, { NDES_KU_DATA_ENCIPHERMENT, 3 },
	{ NDES_KU_KEY_AGREEMENT, 4 }, { NDES_KU_KEY_CERT_SIGN, 5 },
	{ NDES_KU_CRL_SIGN, 6 }, { NDES_KU_ENCIPHER_ONLY, 7 },
	{ NDES_KU_DECIPHER_ONLY, 8 },
};

static int
ca_add_key_usage(X509 *cert, unsigned int ku)
{
	ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
	int r = -1;

	if (bs == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(ku_bits) / sizeof(ku_bits[0]); i++)
		if ((ku & ku_bits[i].ku) != 0 && ASN1_BIT_STRING_set_bit(bs, ku_bits[i].bit, 1) != 1)
			goto out;
	if (X509_add1_ext_i2d(cert, NID_key_usage, bs, 1, X509V3_ADD_REPLACE) == 1)
		r = 0;
out:
	ASN1_BIT_STRING_free(bs);
	return r;
}

static int
ca_add_conf_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int r;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	r = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return r;
}

static int
ca_add_extensions(X509 *cert, X509 *issuer, const struct conn_ca_profile *prof)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int r = -1;
	int san_critical = X509_NAME_entry_count(prof->subject) == 0;

	if (bc == NULL)
		return -1;
	bc->ca = 0;
	if (X509_add1_ext_i2d(cert, NID_basic_constraints, bc, 1, X509V3_ADD_REPLACE) != 1 ||
	    ca_add_conf_ext(cert, issuer, NID_subject_key_identifier, "hash") == -1 ||
	    ca_add_conf_ext(cert, issuer, NID_authority_key_identifier, "keyid:always") == -1)
		goto out;
	if (prof->key_usage != 0 && ca_add_key_usage(cert, prof->key_usage) == -1)
		goto out;
	if (prof->ekus != NULL && sk_ASN1_OBJECT_num(prof->ekus) > 0 &&
	    X509_add1_ext_i2d(cert, NID_ext_key_usage, prof->ekus, 0, X509V3_ADD_REPLACE) != 1)
		goto out;
	if (prof->sans != NULL && sk_GENERAL_NAME_num(prof->sans) > 0 &&
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, prof->sans, san_critical,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	r = 0;
out:
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

static const EVP_MD *
ca_sign_md(EVP_PKEY *key, const struct conn_ca_profile *prof)
{
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	return prof->md != NULL ? prof->md : EVP_sha256();
}

static X509 *
ca_build(const struct ca_keys *k, EVP_PKEY *pub, const struct conn_ca_profile *prof,
    const BIGNUM *serial, enum conn_ca_status *st, char *err, size_t errlen)
{
	X509 *cert = X509_new();
	time_t now = time(NULL), end, ca_end;
	const ASN1_TIME *ca_nb = X509_get0_notBefore(k->cert);

	*st = CONN_CA_ERROR;
	if (cert == NULL || ndes_crypto_asn1_time(X509_get0_notAfter(k->cert), &ca_end) == -1)
		goto fail;
	if ((end = conn_ca_not_after(now, prof, ca_end)) == 0) {
		*st = CONN_CA_UNAVAILABLE;
		snprintf(err, errlen, "the CA certificate has expired");
		goto fail;
	}
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL ||
	    X509_set_issuer_name(cert, X509_get_subject_name(k->cert)) != 1 ||
	    X509_set_subject_name(cert, prof->subject) != 1 ||
	    X509_set_pubkey(cert, pub) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(cert), 0, -300, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), 0, 0, &end) == NULL)
		goto fail;
	/* Backdated five minutes for clock skew, but never before the CA. */
	if (ASN1_TIME_compare(X509_get0_notBefore(cert), ca_nb) < 0 &&
	    X509_set1_notBefore(cert, ca_nb) != 1)
		goto fail;
	if (ca_add_extensions(cert, k->cert, prof) == -1) {
		snprintf(err, errlen, "cannot add the extensions: %s",
		    ndes_crypto_last_error("bad extension value"));
		*st = CONN_CA_BAD_REQUEST;
		goto fail;
	}
	if (X509_sign(cert, k->key, ca_sign_md(k->key, prof)) <= 0) {
		snprintf(err, errlen, "cannot sign: %s", ndes_crypto_last_error("signing failed"));
		goto fail;
	}
	*st = CONN_CA_OK;
	return cert;
fail:
	if (*st == CONN_CA_ERROR && err[0] == '\0')
		snprintf(err, errlen, "cannot build the certificate: %s",
		    ndes_crypto_last_error("out of memory"));
	X509_free(cert);
	return NULL;
}

/* Keep a copy like `openssl ca` does, when the folder has newcerts/. */
static void
ca_keep_copy(struct ca_folder *f, X509 *cert, const char *serial)
{
	char *dir = ca_path(f, "newcerts"), *path = NULL;
	struct stat sb;
	char err[NDES_ERR_MAX];

	if (dir != NULL && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    asprintf(&path, "%s/%s.pem", dir, serial) != -1)
		ndes_crypto_write_cert(path, cert, err, sizeof(err));
	free(path);
	free(dir);
}

static int
ca_record(struct ca_folder *f, X509 *cert, const BIGNUM *serial, char *err, size_t errlen)
{
	char *serial_path = ca_path(f, "serial"), *index_path = ca_path(f, "index.txt");
	char expiry[32], *hex = BN_bn2hex(serial), *subject = NULL, *padded = NULL;
	struct ca_index_entry e = { 0 };
	BIGNUM *next = BN_dup(serial);
	int r = -1;

	if (serial_path == NULL || index_path == NULL || hex == NULL || next == NULL ||
	    BN_add_word(next, 1) != 1 ||
	    ca_time_text(X509_get0_notAfter(cert), expiry, sizeof(expiry)) == -1 ||
	    (subject = conn_dn_oneline(X509_get_subject_name(cert))) == NULL ||
	    asprintf(&padded, "%s%s", strlen(hex) % 2 ? "0" : "", hex) == -1) {
		padded = NULL;
		goto out;
	}
	/* The serial file first: after a crash in between, a serial is skipped,
	 * never handed out twice. */
	if (ca_write_number(serial_path, next, err, errlen) == -1)
		goto out;
	e.status = 'V';
	e.expiry = expiry;
	e.revocation = "";
	e.serial = padded;
	e.file = "unknown";
	e.subject = subject;
	if (ca_index_append(index_path, &e, err, errlen) == -1)
		goto out;
	ca_keep_copy(f, cert, padded);
	r = 0;
out:
	BN_free(next);
	OPENSSL_free(hex);
	free(padded);
	free(subject);
	free(serial_path);
	free(index_path);
	return r;
}

enum conn_ca_status
ca_folder_issue(struct conn_ca *ca, EVP_PKEY *pub, const struct conn_ca_profile *prof,
    X509 **out, char *err, size_t errlen)
{
	struct ca_folder *f = ca->priv;
	struct ca_keys k = { 0 };
	enum conn_ca_status st = CONN_CA_UNAVAILABLE;
	char *serial_path = NULL;
	BIGNUM *serial = NULL;
	X509 *cert = NULL;
	int r;

	err[0] = '\0';
	if (ca_lock(f, err, errlen) == -1)
		return CONN_CA_UNAVAILABLE;
	if ((st = ca_load_keys(f, &k, err, errlen)) != CONN_CA_OK)
		goto out;
	st = CONN_CA_UNAVAILABLE;
	/* A fresh micromdm depot has no serial file yet: its CA is serial 1. */
	if ((serial_path = ca_path(f, "serial")) == NULL)
		goto out;
	if ((r = ca_read_number(serial_path, 2, &serial, err, errlen)) != 0) {
		st = ca_file_status(r);
		goto out;
	}
	if ((cert = ca_build(&k, pub, prof, serial, &st, err, errlen)) == NULL)
		goto out;
	if (ca_record(f, cert, serial, err, errlen) == -1) {
		st = CONN_CA_UNAVAILABLE;
		X509_free(cert);
		cert = NULL;
		goto out;
	}
	*out = cert;
	st = CONN_CA_OK;
out:
	ca_unlock(f);
	ca_keys_clear(&k);
	BN_free(serial);
	free(serial_path);
	return st;
}
