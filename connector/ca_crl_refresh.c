/* Keeping a CA folder's crl.pem fresh: a CRL nobody re-issues goes past its
 * nextUpdate and relying parties stop accepting the CA's certificates.  A
 * new one (from index.txt, so with the same revoked serials) is published
 * when there is none, when it cannot be read or does not verify with the CA
 * certificate, or when less than half of crl_days is left. */
#include "ca_int.h"
#include "clock.h"
#include "crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

X509_CRL *
conn_ca_crl_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	X509_CRL *crl;
	int saved;

	if (fp == NULL) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (crl == NULL) {
		snprintf(err, errlen, "%s is not a PEM CRL", path);
		errno = EINVAL;
	}
	return crl;
}

/* The CRL, or NULL with why it must be published anew. */
static X509_CRL *
crl_read(const char *path, char *why, size_t whylen)
{
	X509_CRL *crl = conn_ca_crl_load(path, why, whylen);

	if (crl == NULL && errno == ENOENT)
		snprintf(why, whylen, "there is no %s", path);
	return crl;
}

/* Is crl.pem due?  info->reason says why ("" when not), info->next_update
 * its nextUpdate when it could be read. */
static void
crl_due(const struct ca_folder *f, const char *path, X509 *ca, struct conn_ca_crl_info *info)
{
	X509_CRL *crl = crl_read(path, info->reason, sizeof(info->reason));
	const ASN1_TIME *next;
	time_t now = time(NULL);
	char when[32];

	if (crl == NULL)
		return;
	next = X509_CRL_get0_nextUpdate(crl);
	ndes_crypto_asn1_time(next, &info->next_update);
	ndes_clock_iso8601(info->next_update, when, sizeof(when));
	if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1)
		snprintf(info->reason, sizeof(info->reason), "%s is not signed by the CA "
		    "certificate", path);
	else if (next == NULL || info->next_update == 0)
		snprintf(info->reason, sizeof(info->reason), "%s has no nextUpdate", path);
	else if (info->next_update <= now)
		snprintf(info->reason, sizeof(info->reason), "%s is past its nextUpdate %s", path,
		    when);
	else if ((int64_t)(info->next_update - now) < (int64_t)f->crl_days * 86400 / 2)
		snprintf(info->reason, sizeof(info->reason), "the nextUpdate %s of %s is less than "
		    "half of ca.crl_days (%d days) away", when, path, f->crl_days);
	ERR_clear_error();
	X509_CRL_free(crl);
}

static int
crl_count_revoked(const struct ca_index *idx)
{
	int n = 0;

	for (size_t i = 0; i < idx->n; i++)
		if (idx->e[i].status == 'R')
			n++;
	return n;
}

enum conn_ca_status
ca_folder_crl_refresh(struct conn_ca *ca, struct conn_ca_crl_info *info, char *err,
    size_t errlen)
{
	struct ca_folder *f = ca->priv;
	struct ca_keys k = { 0 };
	struct ca_index idx = { 0 };
	char *crl_path = ca_path(f, "crl.pem"), *index_path = ca_path(f, "index.txt");
	enum conn_ca_status st = CONN_CA_UNAVAILABLE;
	int r;

	if (crl_path == NULL || index_path == NULL || ca_lock(f, err, errlen) == -1)
		goto out;
	if ((st = ca_load_keys(f, &k, err, errlen)) != CONN_CA_OK)
		goto out;
	crl_due(f, crl_path, k.cert, info);
	if (info->reason[0] == '\0')
		goto out;
	if ((r = ca_index_load(index_path, &idx, err, errlen)) != 0 ||
	    (r = ca_publish_crl(f, &k, &idx, err, errlen)) != 0) {
		st = ca_file_status(r);
		goto out;
	}
	info->published = true;
	info->next_update = time(NULL) + (time_t)f->crl_days * 86400;
	info->revoked = crl_count_revoked(&idx);
	st = CONN_CA_OK;
out:
	ca_unlock(f);
	ca_keys_clear(&k);
	ca_index_clear(&idx);
	free(crl_path);
	free(index_path);
	return st;
}
