/* The emulator's own PKI in state_dir/pki/ (pki.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "log.h"
#include "pki.h"

#define PKI_CA_LIFETIME_S      (10LL * 365 * 86400)
#define PKI_LEAF_LIFETIME_S    (2LL * 365 * 86400)
#define PKI_RENEW_BEFORE_S     (30LL * 86400)
#define PKI_BACKDATE_S         300

int
cloudsim_mkdirs(const char *path, mode_t mode, char *err, size_t errlen)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	for (char *p = buf + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", buf, strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static char *
pki_path(const char *dir, const char *name)
{
	char *path;

	return asprintf(&path, "%s/%s", dir, name) == -1 ? NULL : path;
}

/* 1 loaded, 0 neither file exists, -1 error. */
static int
pki_load_pair(const char *cert_path, const char *key_path, X509 **cert, EVP_PKEY **key,
    char *err, size_t errlen)
{
	int have_cert = access(cert_path, F_OK) == 0, have_key = access(key_path, F_OK) == 0;

	if (!have_cert && !have_key)
		return 0;
	if (!have_cert || !have_key) {
		snprintf(err, errlen, "%s: missing (its pair %s exists); remove both to make "
		    "new ones", have_cert ? key_path : cert_path, have_cert ? cert_path : key_path);
		return -1;
	}
	if ((*cert = ndes_crypto_load_cert(cert_path, err, errlen)) == NULL ||
	    (*key = ndes_crypto_load_key(key_path, NULL, err, errlen)) == NULL)
		return -1;
	if (X509_check_private_key(*cert, *key) != 1) {
		snprintf(err, errlen, "%s: the key does not match %s", key_path, cert_path);
		return -1;
	}
	return 1;
}

static int
pki_save_pair(const char *cert_path, const char *key_path, X509 *cert, EVP_PKEY *key,
    char *err, size_t errlen)
{
	if (ndes_crypto_write_key(key_path, key, NULL, err, errlen) != 0 ||
	    ndes_crypto_write_cert(cert_path, cert, err, errlen) != 0)
		return -1;
	log_info("made %s", cert_path);
	return 0;
}

static int
pki_make_ca(struct cloudsim_pki *pki, const char *tenant_id, char *err, size_t errlen)
{
	static const struct cloudsim_pki_ext exts[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature" },
		{ NID_subject_key_identifier, "hash" },
	};

	if ((pki->ca_key = EVP_EC_gen("P-256")) == NULL) {
		snprintf(err, errlen, "cannot make the CA key");
		return -1;
	}
	pki->ca_cert = cloudsim_pki_make_cert(pki->ca_key, "ndes-cloud-sim CA", tenant_id,
	    NULL, pki->ca_key, PKI_BACKDATE_S, PKI_CA_LIFETIME_S, exts, 3, err, errlen);
	return pki->ca_cert ? 0 : -1;
}

/* The server certificate must name public_host and still be valid in a month. */
static int
pki_server_ok(X509 *cert, const char *host)
{
	time_t soon = time(NULL) + PKI_RENEW_BEFORE_S;

	if (X509_cmp_time(X509_get0_notAfter(cert), &soon) <= 0)
		return 0;
	return X509_check_host(cert, host, 0, 0, NULL) == 1 ||
	    X509_check_ip_asc(cert, host, 0) == 1;
}

static int
inet_pton_any(const char *host, unsigned char *buf)
{
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int
pki_make_server(struct cloudsim_pki *pki, const char *host, char *err, size_t errlen)
{
	unsigned char ip[16];
	char san[1024];
	int is_ip = inet_pton_any(host, ip);
	struct cloudsim_pki_ext exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, san },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
	};

	if (strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "::1") == 0)
		snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	else
		snprintf(san, sizeof(san), "%s:%s,DNS:localhost,IP:127.0.0.1,IP:::1",
		    is_ip ? "IP" : "DNS", host);
	if ((pki->server_key = EVP_EC_gen("P-256")) == NULL) {
		snprintf(err, errlen, "cannot make the server key");
		return -1;
	}
	pki->server_cert = cloudsim_pki_make_cert(pki->server_key, host, NULL, pki->ca_cert,
	    pki->ca_key, PKI_BACKDATE_S, PKI_LEAF_LIFETIME_S, exts, 6, err, errlen);
	return pki->server_cert ? 0 : -1;
}

static int
pki_make_signing(struct cloudsim_pki *pki, const char *tenant_id, char *err, size_t errlen)
{
	static const struct cloudsim_pki_ext exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
	};

	if ((pki->signing_key = EVP_EC_gen("P-256")) == NULL) {
		snprintf(err, errlen, "cannot make the signing key");
		return -1;
	}
	pki->signing_cert = cloudsim_pki_make_cert(pki->signing_key,
	    "ndes-cloud-sim Challenge Signing", tenant_id, pki->ca_cert, pki->ca_key,
	    PKI_BACKDATE_S, PKI_LEAF_LIFETIME_S, exts, 4, err, errlen);
	return pki->signing_cert ? 0 : -1;
}

/* Load dir/<name>.pem + .key, or make and save them with make(). */
static int
pki_own_pair(const char *dir, const char *name, X509 **cert, EVP_PKEY **key,
    int (*make)(struct cloudsim_pki *, const char *, char *, size_t),
    struct cloudsim_pki *pki, const char *arg, char *err, size_t errlen)
{
	char cert_name[64], key_name[64], *cert_path, *key_path;
	int rc = -1, loaded;

	snprintf(cert_name, sizeof(cert_name), "%s.pem", name);
	snprintf(key_name, sizeof(key_name), "%s.key", name);
	cert_path = pki_path(dir, cert_name);
	key_path = pki_path(dir, key_name);
	if (cert_path == NULL || key_path == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	loaded = pki_load_pair(cert_path, key_path, cert, key, err, errlen);
	if (loaded == 1 && make == pki_make_server && !pki_server_ok(*cert, arg)) {
		log_info("%s does not name %s or expires soon: making a new one", cert_path, arg);
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		loaded = 0;
	}
	if (loaded == 0 && make(pki, arg, err, errlen) == 0)
		loaded = pki_save_pair(cert_path, key_path, *cert, *key, err, errlen) == 0;
	rc = loaded == 1 ? 0 : -1;
out:
	free(cert_path);
	free(key_path);
	return rc;
}

/* tls_cert (leaf + chain) and tls_key from the configuration. */
static int
pki_given_server(struct cloudsim_pki *pki, const struct cloudsim_service *s,
    char *err, size_t errlen)
{
	if (s->tls_key == NULL) {
		snprintf(err, errlen, "service.tls_cert is given without service.tls_key");
		return -1;
	}
	if ((pki->server_chain = ndes_crypto_load_certs(s->tls_cert, err, errlen)) == NULL ||
	    (pki->server_key = ndes_crypto_load_key(s->tls_key, NULL, err, errlen)) == NULL)
		return -1;
	pki->server_cert = sk_X509_shift(pki->server_chain);
	if (X509_check_private_key(pki->server_cert, pki->server_key) != 1) {
		snprintf(err, errlen, "%s: the key does not match %s", s->tls_key, s->tls_cert);
		return -1;
	}
	return 0;
}

static int
pki_given_signing(struct cloudsim_pki *pki, const struct cloudsim_service *s,
    char *err, size_t errlen)
{
	if (s->signing_cert == NULL || s->signing_key == NULL) {
		snprintf(err, errlen, "service.signing_cert and service.signing_key go together");
		return -1;
	}
	if ((pki->signing_cert = ndes_crypto_load_cert(s->signing_cert, err, errlen)) == NULL ||
	    (pki->signing_key = ndes_crypto_load_key(s->signing_key, NULL, err, errlen)) == NULL)
		return -1;
	if (X509_check_private_key(pki->signing_cert, pki->signing_key) != 1) {
		snprintf(err, errlen, "%s: the key does not match %s", s->signing_key,
		    s->signing_cert);
		return -1;
	}
	return 0;
}

/* caChain: the cloud CA, then every certificate of tls_ca. */
static int
pki_chains(struct cloudsim_pki *pki, const struct cloudsim_service *s, char *err, size_t errlen)
{
	STACK_OF(X509) *given = NULL;

	if (s->tls_ca != NULL && (given = ndes_crypto_load_certs(s->tls_ca, err, errlen)) == NULL)
		return -1;
	pki->ca_chain = sk_X509_new_null();
	pki->client_cas = sk_X509_new_null();
	if (pki->ca_chain == NULL || pki->client_cas == NULL ||
	    !X509_up_ref(pki->ca_cert) || !sk_X509_push(pki->ca_chain, pki->ca_cert) ||
	    !X509_up_ref(pki->ca_cert) || !sk_X509_push(pki->client_cas, pki->ca_cert)) {
		sk_X509_pop_free(given, X509_free);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (given != NULL && sk_X509_num(given) > 0)
		sk_X509_push(pki->ca_chain, sk_X509_shift(given));
	sk_X509_free(given);
	if (pki->server_chain == NULL)
		pki->server_chain = sk_X509_new_null();
	return pki->server_chain ? 0 : -1;
}

static int
pki_load_all(struct cloudsim_pki *pki, const struct cloudsim_service *s,
    const char *tenant_id, const char *dir, char *err, size_t errlen)
{
	if (pki_own_pair(dir, "ca", &pki->ca_cert, &pki->ca_key, pki_make_ca, pki, tenant_id,
	    err, errlen) != 0)
		return -1;
	if (s->tls_cert != NULL ? pki_given_server(pki, s, err, errlen) :
	    pki_own_pair(dir, "server", &pki->server_cert, &pki->server_key, pki_make_server,
	    pki, s->public_host, err, errlen))
		return -1;
	if (s->signing_cert != NULL || s->signing_key != NULL ?
	    pki_given_signing(pki, s, err, errlen) :
	    pki_own_pair(dir, "signing", &pki->signing_cert, &pki->signing_key,
	    pki_make_signing, pki, tenant_id, err, errlen))
		return -1;
	return pki_chains(pki, s, err, errlen);
}

struct cloudsim_pki *
cloudsim_pki_open(const struct cloudsim_service *service, const char *tenant_id,
    char *err, size_t errlen)
{
	struct cloudsim_pki *pki = calloc(1, sizeof(*pki));
	char *dir = pki_path(service->state_dir, "pki");

	if (pki == NULL || dir == NULL ||
	    (pki->devices_dir = pki_path(service->state_dir, "devices")) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cloudsim_mkdirs(dir, 0700, err, errlen) != 0 ||
	    cloudsim_mkdirs(pki->devices_dir, 0700, err, errlen) != 0 ||
	    pki_load_all(pki, service, tenant_id, dir, err, errlen) != 0)
		goto fail;
	free(dir);
	return pki;
fail:
	free(dir);
	cloudsim_pki_free(pki);
	return NULL;
}

void
cloudsim_pki_free(struct cloudsim_pki *pki)
{
	if (pki == NULL)
		return;
	X509_free(pki->ca_cert);
	EVP_PKEY_free(pki->ca_key);
	X509_free(pki->server_cert);
	EVP_PKEY_free(pki->server_key);
	sk_X509_pop_free(pki->server_chain, X509_free);
	X509_free(pki->signing_cert);
	EVP_PKEY_free(pki->signing_key);
	sk_X509_pop_free(pki->ca_chain, X509_free);
	sk_X509_pop_free(pki->client_cas, X509_free);
	free(pki->devices_dir);
	free(pki);
}
