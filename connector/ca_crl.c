/* Revocation in a CA folder: index.txt V -> R, then a fresh crl.pem signed by
 * the CA (CRL number from crlnumber, nextUpdate crl_days later). */
#include "ca_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto.h"

static const char *const crl_reasons[] = { "unspecified", "keyCompromise",
	"CACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
	"certificateHold", NULL, "removeFromCRL" };

static int
crl_add_reason(X509_REVOKED *rev, const char *name)
{
	ASN1_ENUMERATED *e;
	int r = -1;

	for (size_t i = 0; i < sizeof(crl_reasons) / sizeof(crl_reasons[0]); i++) {
		if (crl_reasons[i] == NULL || strcasecmp(crl_reasons[i], name) != 0)
			continue;
		if ((e = ASN1_ENUMERATED_new()) == NULL)
			return -1;
		if (ASN1_ENUMERATED_set(e, (long)i) == 1 &&
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, 0) == 1)
			r = 0;
		ASN1_ENUMERATED_free(e);
		return r;
	}
	return 0;	/* a reason we do not know: left out */
}

static X509_REVOKED *
crl_entry(const struct ca_index_entry *e)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_TIME *when = ASN1_TIME_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	char *date = strdup(e->revocation), *comma;
	int ok = 0;

	if (rev == NULL || when == NULL || date == NULL)
		goto out;
	if ((comma = strchr(date, ',')) != NULL)
		*comma++ = '\0';
	if (ASN1_TIME_set_string(when, date) != 1 || BN_hex2bn(&bn, e->serial) == 0 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1 ||
	    (comma != NULL && crl_add_reason(rev, comma) == -1))
		goto out;
	ok = 1;
out:
	free(date);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	if (!ok) {
		X509_REVOKED_free(rev);
		rev = NULL;
	}
	return rev;
}

static int
crl_add_extensions(X509_CRL *crl, X509 *issuer, const BIGNUM *number)
{
	ASN1_INTEGER *num = BN_to_ASN1_INTEGER(number, NULL);
	X509V3_CTX ctx;
	X509_EXTENSION *akid;
	int r = -1;

	X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
	akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (num != NULL && akid != NULL && X509_CRL_add_ext(crl, akid, -1) == 1 &&
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1)
		r = 0;
	X509_EXTENSION_free(akid);
	ASN1_INTEGER_free(num);
	return r;
}

static X509_CRL *
crl_build(const struct ca_folder *f, const struct ca_keys *k, const struct ca_index *idx,
    const BIGNUM *number)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	time_t now = time(NULL);
	const EVP_MD *md = EVP_PKEY_is_a(k->key, "ED25519") ? NULL : EVP_sha256();

	if (crl == NULL || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(k->cert)) != 1 ||
	    (t = X509_time_adj_ex(NULL, 0, 0, &now)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    X509_time_adj_ex(t, f->crl_days, 0, &now) == NULL ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1)
		goto fail;
	for (size_t i = 0; i < idx->n; i++) {
		X509_REVOKED *rev;

		if (idx->e[i].status != 'R')
			continue;
		if ((rev = crl_entry(&idx->e[i])) == NULL || X509_CRL_add0_revoked(crl, rev) != 1) {
			X509_REVOKED_free(rev);
			goto fail;
		}
	}
	if (X509_CRL_sort(crl) != 1 || crl_add_extensions(crl, k->cert, number) == -1 ||
	    X509_CRL_sign(crl, k->key, md) <= 0)
		goto fail;
	ASN1_TIME_free(t);
	return crl;
fail:
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return NULL;
}

static int
crl_write(const char *path, X509_CRL *crl, char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int r = -1;

	if (bio != NULL && PEM_write_bio_X509_CRL(bio, crl) == 1 &&
	    (len = BIO_get_mem_data(bio, &data)) > 0)
		r = ndes_crypto_write_file(path, data, (size_t)len, 0644, err, errlen);
	BIO_free(bio);
	return r;
}

int
ca_publish_crl(struct ca_folder *f, const struct ca_keys *k, const struct ca_index *idx,
    char *err, size_t errlen)
{
	char *num_path = ca_path(f, "crlnumber"), *crl_path = ca_path(f, "crl.pem");
	BIGNUM *number = NULL;
	X509_CRL *crl = NULL;
	int r = -1;

	if (num_path == NULL || crl_path == NULL ||
	    (r = ca_read_number(num_path, 1, &number, err, errlen)) != 0)
		goto out;
	r = -1;
	if ((crl = crl_build(f, k, idx, number)) == NULL) {
		snprintf(err, errlen, "cannot make the CRL: %s",
		    ndes_crypto_last_error("out of memory"));
		goto out;
	}
	if (BN_add_word(number, 1) != 1 || ca_write_number(num_path, number, err, errlen) == -1 ||
	    crl_write(crl_path, crl, err, errlen) == -1)
		goto out;
	r = 0;
out:
	X509_CRL_free(crl);
	BN_free(number);
	free(num_path);
	free(crl_path);
	return r;
}

static enum conn_ca_status
ca_mark_revoked(struct ca_index *idx, const char *serial, char *err, size_t errlen)
{
	ssize_t i = ca_index_find(idx, serial);
	char date[32];
	ASN1_TIME *now;

	if (i < 0) {
		snprintf(err, errlen, "no certificate with serial number %s in the CA's index",
		    serial);
		return CONN_CA_NOT_FOUND;
	}
	if (idx->e[i].status == 'R') {
		snprintf(err, errlen, "certificate %s was already revoked on %s", serial,
		    idx->e[i].revocation);
		return CONN_CA_ALREADY_REVOKED;
	}
	if ((now = X509_time_adj_ex(NULL, 0, 0, NULL)) == NULL ||
	    ca_time_text(now, date, sizeof(date)) == -1) {
		ASN1_TIME_free(now);
		return CONN_CA_ERROR;
	}
	ASN1_TIME_free(now);
	free(idx->e[i].revocation);
	if ((idx->e[i].revocation = strdup(date)) == NULL)
		return CONN_CA_ERROR;
	idx->e[i].status = 'R';
	return CONN_CA_OK;
}

enum conn_ca_status
ca_folder_revoke(struct conn_ca *ca, const char *serial, char *err, size_t errlen)
{
	struct ca_folder *f = ca->priv;
	struct ca_keys k = { 0 };
	struct ca_index idx = { 0 };
	enum conn_ca_status st;
	char *index_path = NULL;
	int r;

	err[0] = '\0';
	if (ndes_crypto_serial_equal(serial, serial) != 1) {
		snprintf(err, errlen, "serial number \"%s\" is not hexadecimal", serial);
		return CONN_CA_BAD_REQUEST;
	}
	if (ca_lock(f, err, errlen) == -1)
		return CONN_CA_UNAVAILABLE;
	if ((st = ca_load_keys(f, &k, err, errlen)) != CONN_CA_OK)
		goto out;
	st = CONN_CA_UNAVAILABLE;
	if ((index_path = ca_path(f, "index.txt")) == NULL)
		goto out;
	if ((r = ca_index_load(index_path, &idx, err, errlen)) != 0) {
		st = ca_file_status(r);
		goto out;
	}
	if ((st = ca_mark_revoked(&idx, serial, err, errlen)) != CONN_CA_OK)
		goto out;
	st = CONN_CA_UNAVAILABLE;
	if (ca_index_save(index_path, &idx, err, errlen) == -1)
		goto out;
	if ((r = ca_publish_crl(f, &k, &idx, err, errlen)) != 0) {
		st = ca_file_status(r);
		goto out;
	}
	st = CONN_CA_OK;
out:
	ca_unlock(f);
	ca_keys_clear(&k);
	ca_index_clear(&idx);
	free(index_path);
	return st;
}
