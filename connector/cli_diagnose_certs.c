/* ndes-connector diagnose: the registration certificate (present, the one
 * registered, valid, renewal due), its chain to the cloud CA, the CRP
 * certificate and the challenge-signing certificates. */
#include "cli_diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "errmsg.h"
#include "events.h"

/* The renewal rule of the daemon: less than threshold_percent left. */
static bool
diag_renewal_due(const struct conn_cfg *cfg, time_t nb, time_t na, time_t now)
{
	return (na - now) * 100 < (int64_t)cfg->renewal.threshold_percent * (na - nb);
}

void
diag_reg_cert(struct diag *d, struct diag_result *r)
{
	char tp[NDES_CRYPTO_HEX_MAX] = "", nbs[32], nas[32];
	time_t nb, na, now = time(NULL);

	if (d->reg_state != 0) {
		diag_skip(r, "not registered");
		return;
	}
	diag_fix(r, "register again (ndes-connector register --force ...)");
	if (d->client == NULL) {
		diag_fail(r, NDES_DIAG_CERTIFICATE_NOT_FOUND, "%s", d->client_err);
		return;
	}
	ndes_crypto_thumbprint(d->client, EVP_sha1(), tp, sizeof(tp));
	diag_time(X509_get0_notBefore(d->client), &nb, nbs, sizeof(nbs));
	diag_time(X509_get0_notAfter(d->client), &na, nas, sizeof(nas));
	if (d->reg.client_thumbprint == NULL || strcasecmp(tp, d->reg.client_thumbprint) != 0)
		diag_fail(r, NDES_DIAG_CERT_THUMBPRINT_NOT_FOUND, "%s (thumbprint %s) is not the "
		    "certificate registered (thumbprint %s)", d->c->st.client_cert, tp,
		    d->reg.client_thumbprint != NULL ? d->reg.client_thumbprint : "none");
	else if (na <= now)
		diag_fail(r, NDES_DIAG_CERTIFICATE_EXPIRED, "%s expired at %s", tp, nas);
	else if (nb > now) {
		diag_fail(r, NDES_DIAG_CLOCK_SKEW, "%s is not valid before %s, %lld s from now",
		    tp, nbs, (long long)(nb - now));
		diag_fix(r, "check this machine's clock (timedatectl; NTP)");
	} else if (diag_renewal_due(&d->c->cfg, nb, na, now)) {
		diag_warn(r, NDES_DIAG_CERTIFICATE_EXPIRING_SOON, "%s expires at %s (%lld days "
		    "left), less than %lld%% of its lifetime", tp, nas,
		    (long long)((na - now) / 86400), (long long)d->c->cfg.renewal.threshold_percent);
		diag_fix(r, "ndes-connectord renews it at its next check; run ndes-connector "
		    "renew to renew now, and look for event 10102 if it does not");
	} else
		diag_ok(r, "%s, expires at %s (%lld days left)", tp, nas,
		    (long long)((na - now) / 86400));
}

/* The trust store of the registration chain: ca-chain.pem, else cloud-ca.pem. */
static X509_STORE *
diag_chain_store(const struct conn_state *st, const char **used, char *err, size_t errlen)
{
	STACK_OF(X509) *certs;
	X509_STORE *store;

	*used = access(st->ca_chain, F_OK) == 0 ? st->ca_chain : st->cloud_ca;
	if ((certs = ndes_crypto_load_certs(*used, err, errlen)) == NULL)
		return NULL;
	if ((store = X509_STORE_new()) != NULL) {
		for (int i = 0; i < sk_X509_num(certs); i++)
			X509_STORE_add_cert(store, sk_X509_value(certs, i));
		X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		X509_STORE_set_purpose(store, X509_PURPOSE_SSL_CLIENT);
	}
	sk_X509_pop_free(certs, X509_free);
	return store;
}

/* X509_verify_cert of cert against store: 0, or -1 with the reason. */
static int
diag_verify(X509_STORE *store, X509 *cert, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = -1;

	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, cert, NULL) == 1) {
		if (X509_verify_cert(ctx) == 1)
			r = 0;
		else
			snprintf(err, errlen, "%s", X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(ctx)));
	} else
		snprintf(err, errlen, "out of memory");
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

void
diag_reg_chain(struct diag *d, struct diag_result *r)
{
	const struct conn_state *st = &d->c->st;
	char err[NDES_ERR_MAX], *subj = NULL, *iss = NULL;
	const char *used;
	X509_STORE *store;
	EVP_PKEY *key = NULL;

	if (d->reg_state != 0 || d->client == NULL) {
		diag_skip(r, "no registration certificate");
		return;
	}
	diag_fix(r, "register again (ndes-connector register --force ...)");
	if ((store = diag_chain_store(st, &used, err, sizeof(err))) == NULL) {
		diag_fail(r, NDES_DIAG_CERTIFICATE_CHAIN_INVALID, "%s", err);
		return;
	}
	if (diag_verify(store, d->client, err, sizeof(err)) == -1)
		diag_fail(r, NDES_DIAG_CERTIFICATE_CHAIN_INVALID, "%s does not verify against "
		    "%s: %s", st->client_cert, used, err);
	else if (d->key_ok && ((key = ndes_crypto_load_key(st->client_key, NULL, err,
	    sizeof(err))) == NULL || X509_check_private_key(d->client, key) != 1))
		diag_fail(r, NDES_DIAG_CERTIFICATE_CHAIN_INVALID, "%s does not belong to %s",
		    st->client_cert, st->client_key);
	else {
		subj = ndes_crypto_name_to_string(X509_get_subject_name(d->client));
		iss = ndes_crypto_name_to_string(X509_get_issuer_name(d->client));
		diag_ok(r, "%s issued by %s, verified against %s%s", subj ? subj : "?",
		    iss ? iss : "?", used, d->key_ok ? "; the key matches" : "");
	}
	free(subj);
	free(iss);
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_STORE_free(store);
}

void
diag_crp_cert(struct diag *d, struct diag_result *r)
{
	const struct conn_state *st = &d->c->st;
	char err[NDES_ERR_MAX], tp[NDES_CRYPTO_HEX_MAX] = "", nas[32];
	EVP_PKEY *key = NULL;
	X509 *cert;
	time_t na;

	if (d->reg_state != 0) {
		diag_skip(r, "not registered");
		return;
	}
	diag_fix(r, "register again (ndes-connector register --force ...), then restart or "
	    "reload ndes-crpd");
	if ((cert = ndes_crypto_load_cert(st->crp_cert, err, sizeof(err))) == NULL) {
		diag_fail(r, NDES_DIAG_CRPSCEP_CERT_NOT_FOUND, "%s", err);
		return;
	}
	ndes_crypto_thumbprint(cert, EVP_sha1(), tp, sizeof(tp));
	diag_time(X509_get0_notAfter(cert), &na, nas, sizeof(nas));
	if (na <= time(NULL))
		diag_fail(r, NDES_DIAG_CERTIFICATE_EXPIRED, "%s (%s) expired at %s", st->crp_cert,
		    tp, nas);
	else if ((key = ndes_crypto_load_key(st->crp_key, NULL, err, sizeof(err))) != NULL &&
	    X509_check_private_key(cert, key) != 1)
		diag_fail(r, NDES_DIAG_CRPSCEP_CERT_NOT_FOUND, "%s does not belong to %s",
		    st->crp_cert, st->crp_key);
	else
		diag_ok(r, "%s, expires at %s (%lld days left)", tp, nas,
		    (long long)((na - time(NULL)) / 86400));
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
}

void
diag_signing(struct diag *d, struct diag_result *r)
{
	const char *path = d->c->st.signing_certs;
	STACK_OF(X509) *certs;
	char err[NDES_ERR_MAX];

	if (d->reg_state != 0) {
		diag_skip(r, "not registered");
		return;
	}
	if ((certs = ndes_crypto_load_certs(path, err, sizeof(err))) == NULL) {
		diag_fail(r, NDES_DIAG_CRPSCEP_SIGNING_CERT_NOT_FOUND, "%s", err);
		diag_fix(r, "start ndes-connectord: it downloads them (event 20400), or register "
		    "again");
		return;
	}
	diag_ok(r, "%s: %d certificate%s", path, sk_X509_num(certs),
	    sk_X509_num(certs) == 1 ? "" : "s");
	sk_X509_pop_free(certs, X509_free);
}
