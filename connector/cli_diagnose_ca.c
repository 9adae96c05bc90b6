/* ndes-connector diagnose: the CA folder (ca: in the configuration): its
 * files, the key, the CA certificate and the CRL. */
#include "cli_diagnose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "crypto.h"
#include "errmsg.h"
#include "events.h"

char *
diag_ca_path(struct diag *d, const char *name, struct diag_result *r)
{
	char *dir, *p = NULL;

	if (!d->c->cfg.ca_present) {
		diag_skip(r, "no CA configured (ca:)");
		return NULL;
	}
	if ((dir = conn_conf_path(&d->c->cfg, d->c->cfg.ca.folder)) != NULL && name == NULL)
		return dir;
	if (dir != NULL && asprintf(&p, "%s/%s", dir, name) == -1)
		p = NULL;
	free(dir);
	if (p == NULL)
		diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "out of memory");
	return p;
}

/* A file the CA work reads and writes (writes in place, or only reads when
 * it is replaced by rename in the writable folder): 0, or -1 with r failed.
 * A missing optional file is fine. */
static int
diag_ca_rw(const char *dir, const char *name, bool optional, bool renamed,
    struct diag_result *r)
{
	char *p;
	int rc = 0, eno;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		return -1;
	if (access(p, F_OK) == -1 && errno == ENOENT && optional)
		rc = 0;
	else if (access(p, renamed ? R_OK : R_OK | W_OK) == -1) {
		eno = errno;
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s: %s", p, strerror(eno));
		if (eno == ENOENT)
			diag_fix(r, "restore it (an empty index.txt for a new CA: touch %s)", p);
		else
			diag_fix(r, "let the service user read and write %s", p);
		rc = -1;
	}
	free(p);
	return rc;
}

void
diag_ca_folder(struct diag *d, struct diag_result *r)
{
	char *dir = diag_ca_path(d, NULL, r);
	struct stat sb;

	if (dir == NULL)
		return;
	diag_fix(r, "correct ca.folder, or make the CA folder (ca.pem, ca.key, index.txt, "
	    "serial)");
	if (stat(dir, &sb) == -1)
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s: %s", dir, strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s: not a folder", dir);
	else if (access(dir, W_OK | X_OK) == -1) {
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s: not writable by uid %u: %s", dir,
		    (unsigned)geteuid(), strerror(errno));
		diag_fix(r, "let the service user write %s (the lock, serial, index.txt and "
		    "crl.pem are written there)", dir);
	} else if (diag_ca_rw(dir, "index.txt", false, false, r) == 0 &&
	    diag_ca_rw(dir, "serial", true, true, r) == 0 &&
	    diag_ca_rw(dir, "crl.pem", true, true, r) == 0)
		diag_ok(r, "%s (CA %s): index.txt readable and writable, serial readable "
		    "(replaced by rename)", dir, d->c->cfg.ca.name);
	free(dir);
}

void
diag_ca_key(struct diag *d, struct diag_result *r)
{
	char *kp = diag_ca_path(d, "ca.key", r), *cp = diag_ca_path(d, "ca.pem", r);
	char err[NDES_ERR_MAX], *pass = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (kp == NULL || cp == NULL)
		goto out;
	if (conn_conf_ca_passphrase(&d->c->cfg, &pass, err, sizeof(err)) == -1) {
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s", err);
		diag_fix(r, "correct ca.key_passphrase_file");
	} else if (diag_key_file(kp, pass, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, &key, r) == -1) {
		if (r->fix[0] == '\0')
			diag_fix(r, "restore the CA key, or correct ca.key_passphrase(_file)");
	} else if ((cert = ndes_crypto_load_cert(cp, err, sizeof(err))) != NULL &&
	    X509_check_private_key(cert, key) != 1) {
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s does not match %s", kp, cp);
		diag_fix(r, "put the CA certificate's own key into %s", kp);
	} else
		diag_ok(r, "%s: owned by us, mode 0600 or stricter%s%s", kp,
		    pass != NULL ? ", passphrase works" : "", cert != NULL ? ", matches ca.pem" : "");
	if (pass != NULL)
		OPENSSL_cleanse(pass, strlen(pass));
	ERR_clear_error();
out:
	free(pass);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(kp);
	free(cp);
}

/* The configured client-authentication certificate (0x401 when missing). */
static int
diag_ca_client_auth(struct diag *d, struct diag_result *r)
{
	const char *p = d->c->cfg.ca.client_auth_cert;
	char *abs;
	int rc = 0;

	if (p == NULL || (abs = conn_conf_path(&d->c->cfg, p)) == NULL)
		return 0;
	if (access(abs, R_OK) == -1) {
		diag_fail(r, NDES_DIAG_SYMANTEC_CLIENT_AUTH_CERT_NOT_FOUND, "ca.client_auth_cert "
		    "%s: %s", abs, strerror(errno));
		diag_fix(r, "put that certificate there, or remove ca.client_auth_cert");
		rc = -1;
	}
	free(abs);
	return rc;
}

void
diag_ca_cert(struct diag *d, struct diag_result *r)
{
	char *cp = diag_ca_path(d, "ca.pem", r), err[1024], *subj = NULL, nbs[32], nas[32];
	time_t nb, na, now = time(NULL);
	X509 *cert;

	if (cp == NULL)
		return;
	diag_fix(r, "renew the CA certificate (and its key) in %s", cp);
	if ((cert = ndes_crypto_load_cert(cp, err, sizeof(err))) == NULL) {
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s", err);
		diag_fix(r, "restore the CA certificate %s", cp);
		free(cp);
		return;
	}
	subj = ndes_crypto_name_to_string(X509_get_subject_name(cert));
	diag_time(X509_get0_notBefore(cert), &nb, nbs, sizeof(nbs));
	diag_time(X509_get0_notAfter(cert), &na, nas, sizeof(nas));
	if (X509_check_ca(cert) == 0)
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s: not a CA certificate", cp);
	else if (na <= now)
		diag_fail(r, NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE, "%s expired at %s", subj, nas);
	else if (nb > now) {
		diag_fail(r, NDES_DIAG_CLOCK_SKEW, "%s is not valid before %s", subj, nbs);
		diag_fix(r, "check this machine's clock (timedatectl; NTP)");
	} else if (diag_ca_client_auth(d, r) == -1)
		;
	else if (na - now < DIAG_CA_WARN_DAYS * 86400)
		diag_warn(r, NDES_DIAG_CERTIFICATE_EXPIRING_SOON, "%s expires at %s (%lld days "
		    "left)", subj, nas, (long long)((na - now) / 86400));
	else
		diag_ok(r, "%s, expires at %s (%lld days left)", subj, nas,
		    (long long)((na - now) / 86400));
	free(subj);
	X509_free(cert);
	free(cp);
}

/* The CRL against the CA certificate and the clock. */
static void
diag_crl_judge(const char *path, X509_CRL *crl, X509 *ca, struct diag_result *r)
{
	char nus[32];
	time_t nu = 0;
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	int nrev = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));	/* -1: none */

	if (next != NULL)
		diag_time(next, &nu, nus, sizeof(nus));
	if (ca != NULL && X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1)
		diag_fail(r, NDES_DIAG_CRL_STALE, "%s is not signed by the CA certificate", path);
	else if (next == NULL)
		diag_warn(r, NDES_DIAG_CRL_STALE, "%s has no nextUpdate", path);
	else if (nu <= time(NULL))
		diag_fail(r, NDES_DIAG_CRL_STALE, "%s is past its nextUpdate %s", path, nus);
	else
		diag_ok(r, "%s: %d revoked, next update %s", path, nrev > 0 ? nrev : 0, nus);
	ERR_clear_error();
}

void
diag_ca_crl(struct diag *d, struct diag_result *r)
{
	char *path = diag_ca_path(d, "crl.pem", r), *cp = diag_ca_path(d, "ca.pem", r);
	char err[NDES_ERR_MAX];
	X509_CRL *crl;
	X509 *ca;

	if (path == NULL || cp == NULL)
		goto out;
	diag_fix(r, "publish a fresh CRL: openssl ca -gencrl -keyfile ca.key -cert ca.pem -out "
	    "%s (with an openssl.cnf naming this folder's index.txt), or start or reload "
	    "ndes-connectord (it publishes one when half of ca.crl_days is gone)", path);
	if ((crl = conn_ca_crl_load(path, err, sizeof(err))) == NULL) {
		if (errno == ENOENT)
			diag_warn(r, NDES_DIAG_CRL_STALE, "no %s yet (ndes-connectord publishes "
			    "one at start)", path);
		else
			diag_fail(r, NDES_DIAG_CRL_STALE, "%s", err);
		goto out;
	}
	ca = ndes_crypto_load_cert(cp, err, sizeof(err));
	diag_crl_judge(path, crl, ca, r);
	X509_free(ca);
	X509_CRL_free(crl);
out:
	free(path);
	free(cp);
}
