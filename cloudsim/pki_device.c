/* Per-device key pairs for PKCS requests (pki.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "log.h"
#include "pki.h"

#define PKI_DEVICE_LIFETIME_S (20LL * 365 * 86400)

/* The device ID when it is a safe file name, else sha256-<hex>. */
static void
pki_device_name(const char *id, char *out, size_t outlen)
{
	char hex[NDES_CRYPTO_HEX_MAX];
	size_t n = strlen(id);
	int safe = n > 0 && n <= 128 && id[0] != '.';

	for (size_t i = 0; safe && i < n; i++)
		safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", id[i]) != NULL;
	if (safe) {
		snprintf(out, outlen, "%s", id);
		return;
	}
	ndes_crypto_digest_hex((const uint8_t *)id, n, EVP_sha256(), hex, sizeof(hex));
	snprintf(out, outlen, "sha256-%s", hex);
}

static int
pki_device_make(const char *id, const char *cert_path, const char *key_path,
    char *err, size_t errlen)
{
	static const struct cloudsim_pki_ext exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,keyEncipherment" },
		{ NID_subject_key_identifier, "hash" },
	};
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = NULL;
	int rc = -1;

	if (key == NULL) {
		snprintf(err, errlen, "cannot make a key for device %s", id);
		return -1;
	}
	cert = cloudsim_pki_make_cert(key, id, NULL, NULL, key, 300, PKI_DEVICE_LIFETIME_S,
	    exts, 3, err, errlen);
	if (cert != NULL && ndes_crypto_write_key(key_path, key, NULL, err, errlen) == 0 &&
	    ndes_crypto_write_cert(cert_path, cert, err, errlen) == 0) {
		log_info("made the key pair of device %s in %s", id, key_path);
		rc = 0;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int
cloudsim_pki_device(struct cloudsim_pki *pki, const char *device_id, EVP_PKEY **key,
    X509 **cert, char *err, size_t errlen)
{
	char name[160], *cert_path = NULL, *key_path = NULL;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	int rc = -1;

	pki_device_name(device_id, name, sizeof(name));
	if (asprintf(&cert_path, "%s/%s.pem", pki->devices_dir, name) == -1 ||
	    asprintf(&key_path, "%s/%s.key", pki->devices_dir, name) == -1) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (access(key_path, F_OK) != 0 &&
	    pki_device_make(device_id, cert_path, key_path, err, errlen) != 0)
		goto out;
	if ((k = ndes_crypto_load_key(key_path, NULL, err, errlen)) == NULL ||
	    (c = ndes_crypto_load_cert(cert_path, err, errlen)) == NULL)
		goto out;
	rc = 0;
	if (key != NULL) {
		*key = k;
		k = NULL;
	}
	if (cert != NULL) {
		*cert = c;
		c = NULL;
	}
out:
	EVP_PKEY_free(k);
	X509_free(c);
	free(cert_path);
	free(key_path);
	return rc;
}
