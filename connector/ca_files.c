/* The CA folder's files: paths, the folder lock, the CA certificate and key,
 * the serial and CRL number files, dates as index.txt writes them (ca_int.h).
 *
 * Every change happens under an exclusive flock on ".ndes-ca.lock" in the
 * folder, so two connectors never hand out one serial twice.  The backend's
 * operations (ca_folder.c, ca_issue.c, ca_crl.c, ca_crl_refresh.c) call
 * these, never the other way. */
#include "ca_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "crypto.h"
#include "lines.h"

char *
ca_path(const struct ca_folder *f, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", f->dir, name) == -1)
		return NULL;
	return p;
}

int
ca_lock(struct ca_folder *f, char *err, size_t errlen)
{
	char *p = ca_path(f, ".ndes-ca.lock");

	if (p == NULL)
		return -1;
	f->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->lock_fd == -1) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	while (flock(f->lock_fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: cannot lock: %s", f->dir, strerror(errno));
			close(f->lock_fd);
			f->lock_fd = -1;
			return -1;
		}
	}
	return 0;
}

void
ca_unlock(struct ca_folder *f)
{
	if (f->lock_fd != -1) {
		flock(f->lock_fd, LOCK_UN);
		close(f->lock_fd);
		f->lock_fd = -1;
	}
}

void
ca_keys_clear(struct ca_keys *k)
{
	X509_free(k->cert);
	EVP_PKEY_free(k->key);
	k->cert = NULL;
	k->key = NULL;
}

static enum conn_ca_status
ca_check_validity(X509 *cert, const char *path, char *err, size_t errlen)
{
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		snprintf(err, errlen, "%s: the CA certificate has expired", path);
		return CONN_CA_UNAVAILABLE;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
		snprintf(err, errlen, "%s: the CA certificate is not valid yet", path);
		return CONN_CA_UNAVAILABLE;
	}
	if (X509_check_ca(cert) == 0) {
		snprintf(err, errlen, "%s: not a CA certificate", path);
		return CONN_CA_UNAVAILABLE;
	}
	return CONN_CA_OK;
}

enum conn_ca_status
ca_load_keys(struct ca_folder *f, struct ca_keys *k, char *err, size_t errlen)
{
	char *cp = ca_path(f, "ca.pem"), *kp = ca_path(f, "ca.key");
	enum conn_ca_status st = CONN_CA_UNAVAILABLE;

	memset(k, 0, sizeof(*k));
	if (cp == NULL || kp == NULL)
		goto out;
	if ((k->cert = ndes_crypto_load_cert(cp, err, errlen)) == NULL ||
	    (st = ca_check_validity(k->cert, cp, err, errlen)) != CONN_CA_OK)
		goto out;
	st = CONN_CA_UNAVAILABLE;
	if ((k->key = ndes_crypto_load_key(kp, f->passphrase, err, errlen)) == NULL)
		goto out;
	if (X509_check_private_key(k->cert, k->key) != 1) {
		snprintf(err, errlen, "%s does not match %s", kp, cp);
		ERR_clear_error();
		goto out;
	}
	st = CONN_CA_OK;
out:
	if (st != CONN_CA_OK)
		ca_keys_clear(k);
	free(cp);
	free(kp);
	return st;
}

enum conn_ca_status
ca_file_status(int r)
{
	return r == CA_FILE_MALFORMED ? CONN_CA_FILE_MALFORMED : CONN_CA_UNAVAILABLE;
}

/* The one line of a number file: 0, -1 or CA_FILE_MALFORMED. */
static int
ca_number_line(FILE *fp, const char *path, BIGNUM **out, char *err, size_t errlen)
{
	struct ndes_lines r;
	int rc = CA_FILE_MALFORMED;

	if (ndes_lines_init(&r, fp, path, CA_NUMBER_LINE_MAX, NDES_LINES_UNTERMINATED_OK) == -1)
		return -1;
	if (ndes_lines_next(&r, err, errlen) != NDES_LINE_OK)
		rc = r.io_error ? -1 : CA_FILE_MALFORMED;
	else if (r.len == 0 || strspn(r.line, "0123456789abcdefABCDEF") != r.len ||
	    BN_hex2bn(out, r.line) == 0)
		snprintf(err, errlen, "%s: not a hexadecimal number", path);
	else if (ndes_lines_next(&r, err, errlen) != NDES_LINE_END)
		snprintf(err, errlen, "%s:%zu: more than one line", path, r.lineno);
	else
		rc = 0;
	ndes_lines_clear(&r);
	if (rc != 0) {
		BN_free(*out);
		*out = NULL;
	}
	return rc;
}

int
ca_read_number(const char *path, unsigned long dflt, BIGNUM **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	int rc;

	*out = NULL;
	if (fp == NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if ((*out = BN_new()) == NULL || BN_set_word(*out, dflt) != 1) {
			BN_free(*out);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	rc = ca_number_line(fp, path, out, err, errlen);
	fclose(fp);
	return rc;
}

int
ca_write_number(const char *path, const BIGNUM *n, char *err, size_t errlen)
{
	char *hex = BN_bn2hex(n), *text = NULL;
	int r = -1, len;

	if (hex == NULL)
		return -1;
	len = (int)strlen(hex);
	if (asprintf(&text, "%s%s\n", len % 2 ? "0" : "", hex) != -1)
		r = ndes_crypto_write_file(path, text, strlen(text), 0644, err, errlen);
	free(text);
	OPENSSL_free(hex);
	return r;
}

int
ca_time_text(const ASN1_TIME *t, char *buf, size_t buflen)
{
	ASN1_TIME *copy = NULL;
	int r = -1;

	/* UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280). */
	if ((copy = ASN1_TIME_to_generalizedtime(t, NULL)) == NULL)
		return -1;
	if (ASN1_STRING_length(copy) == 15) {
		const char *g = (const char *)ASN1_STRING_get0_data(copy);
		int year = (g[0] - '0') * 1000 + (g[1] - '0') * 100 + (g[2] - '0') * 10 +
		    (g[3] - '0');

		r = snprintf(buf, buflen, "%s", year < 2050 ? g + 2 : g) < (int)buflen ? 0 : -1;
	}
	ASN1_GENERALIZEDTIME_free(copy);
	return r;
}
