/* The CA folder backend: its operations table and constructor.
 *
 * The folder is the one `openssl ca` and micromdm's scepserver use: ca.pem,
 * ca.key (possibly encrypted, e.g. 3DES by scepserver), index.txt, serial,
 * crlnumber, crl.pem (ca_files.c reads and locks them). */
#include "ca_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static enum conn_ca_status
ca_folder_check(struct conn_ca *ca, char *err, size_t errlen)
{
	struct ca_keys k;
	enum conn_ca_status st = ca_load_keys(ca->priv, &k, err, errlen);

	ca_keys_clear(&k);
	return st;
}

static X509 *
ca_folder_cert(struct conn_ca *ca, char *err, size_t errlen)
{
	struct ca_keys k;
	X509 *cert;

	if (ca_load_keys(ca->priv, &k, err, errlen) != CONN_CA_OK)
		return NULL;
	cert = k.cert;
	k.cert = NULL;
	ca_keys_clear(&k);
	return cert;
}

static void
ca_folder_free(struct conn_ca *ca)
{
	struct ca_folder *f = ca->priv;

	if (f == NULL)
		return;
	ca_unlock(f);
	if (f->passphrase != NULL)
		OPENSSL_cleanse(f->passphrase, strlen(f->passphrase));
	free(f->passphrase);
	free(f->dir);
	free(f);
}

static const struct conn_ca_ops ca_folder_ops = {
	.kind = "folder",
	.check = ca_folder_check,
	.issue = ca_folder_issue,
	.revoke = ca_folder_revoke,
	.ca_cert = ca_folder_cert,
	.crl_refresh = ca_folder_crl_refresh,
	.free = ca_folder_free,
};

struct conn_ca *
conn_ca_folder_new(const struct conn_ca_folder_opts *opts)
{
	struct conn_ca *ca = calloc(1, sizeof(*ca));
	struct ca_folder *f = calloc(1, sizeof(*f));

	if (ca == NULL || f == NULL)
		goto fail;
	ca->ops = &ca_folder_ops;
	ca->priv = f;
	f->lock_fd = -1;
	f->crl_days = opts->crl_days > 0 ? opts->crl_days : 7;
	ca->may_revoke = opts->may_revoke;
	if ((ca->name = strdup(opts->name != NULL ? opts->name : "")) == NULL ||
	    (f->dir = strdup(opts->folder)) == NULL ||
	    (opts->passphrase != NULL && (f->passphrase = strdup(opts->passphrase)) == NULL) ||
	    (opts->client_auth_cert != NULL &&
	    (ca->client_auth_cert = strdup(opts->client_auth_cert)) == NULL))
		goto fail;
	return ca;
fail:
	if (ca != NULL && ca->ops != NULL)
		conn_ca_free(ca);
	else {
		free(ca);
		free(f);
	}
	return NULL;
}
