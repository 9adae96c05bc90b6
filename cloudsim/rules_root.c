/* The trusted root of a SCEP profile against the issuing CA: the reference
 * says the root certificate profile "must be the root certificate of the CA
 * that issues the certificates this profile configures".  Compared as
 * certificates (the chain from the issuing CA verifies to exactly that
 * self-signed certificate), never by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509_vfy.h>

#include "crypto.h"
#include "model_int.h"

/* The subject for messages; "?" when it cannot be written. */
static void
root_name(X509 *cert, char *buf, size_t len)
{
	char *s = ndes_crypto_name_to_string(X509_get_subject_name(cert));

	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

/* 0 when `root` is self-signed and the chain (the issuing CA first, then
 * the intermediates of the same file) verifies up to that very certificate;
 * -1 with the reason in why. */
static int
root_verifies(X509 *root, STACK_OF(X509) *chain, char *why, size_t len)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *built;
	int rc = -1;

	if (X509_self_signed(root, 1) != 1)
		snprintf(why, len, "it is not a self-signed root certificate");
	else if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, root) != 1 ||
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain) != 1)
		snprintf(why, len, "out of memory");
	else {
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		if (X509_verify_cert(ctx) != 1)
			snprintf(why, len, "the issuing CA does not chain to it (%s)",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		else if ((built = X509_STORE_CTX_get0_chain(ctx)) == NULL ||
		    X509_cmp(sk_X509_value(built, sk_X509_num(built) - 1), root) != 0)
			snprintf(why, len, "the issuing CA's chain ends at another certificate");
		else
			rc = 0;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* The trusted profile `t`, named by SCEP profile `p`, holds the root of the
 * issuing CA's chain (config->issuing_chain; no check without one). */
int
cloudsim_rules_root_of_chain(const struct cloudsim_config *c,
    const struct cloudsim_trusted_profile *t, const struct cloudsim_scep_profile *p,
    struct cloudsim_check *chk)
{
	char why[512], subject[256], issuer[256], msg[2048];

	if (c->issuing_chain == NULL || t->certificate == NULL ||
	    root_verifies(t->certificate, c->issuing_chain, why, sizeof(why)) == 0)
		return 0;
	root_name(t->certificate, subject, sizeof(subject));
	root_name(sk_X509_value(c->issuing_chain, 0), issuer, sizeof(issuer));
	snprintf(msg, sizeof(msg), "the certificate of trusted certificate profile \"%s\" (%s) "
	    "is not the root of the issuing CA's chain (service.issuing_ca_cert: %s): %s; SCEP "
	    "profile \"%s\" names it as its root certificate", t->name, subject, issuer, why,
	    p->name);
	return cloudsim_check_fail(chk, msg, "trusted_certificate_profiles[%zu].certificate",
	    (size_t)(t - c->trusted_profiles));
}

/* service.issuing_ca_cert, loaded with its intermediates (none: NULL). */
int
cloudsim_rules_load_issuing(struct cloudsim_config *c, struct cloudsim_check *chk)
{
	char msg[CLOUDSIM_ERR_MAX];

	if (c->service.issuing_ca_cert == NULL)
		return 0;
	if ((c->issuing_chain = ndes_crypto_load_certs(c->service.issuing_ca_cert, msg,
	    sizeof(msg))) == NULL)
		return cloudsim_check_fail(chk, msg, "service.issuing_ca_cert");
	return 0;
}
