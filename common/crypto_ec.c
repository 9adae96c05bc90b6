/* EC public keys from an encoded point (crypto.h, ndes_crypto_ec_point_key).
 *
 * EVP_PKEY_fromdata() builds the curve's group anew for every key
 * (EC_GROUP_new_by_curve_name: 14 us on the development VM, two keys per
 * verification: the request's and the challenge's ephemeral one).  A copy
 * (EVP_PKEY_dup) of a template that holds the curve copies the group
 * instead, and EVP_PKEY_set1_encoded_public_key() decodes the point into
 * it (4.5-6.5 us in all; EVP_PKEY_new() and EVP_PKEY_copy_parameters(),
 * used before, 4.7-8 us).  The point is refused as it is decoded when a
 * coordinate is out of range or the point is not on the curve
 * (EC_POINT_oct2point).
 *
 * Per-thread cache, lifetime: one template per curve, made on the thread's
 * first key of that curve, freed by a pthread key destructor when the
 * thread exits; the main thread's live until the process exits.  Never
 * shared between threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "crypto.h"

#define EC_TEMPLATES 4

struct ec_templates {
	char		 curve[EC_TEMPLATES][32];
	EVP_PKEY	*params[EC_TEMPLATES];
};

static pthread_once_t ec_once = PTHREAD_ONCE_INIT;
static pthread_key_t ec_tls;

static void
ec_templates_free(void *arg)
{
	struct ec_templates *t = arg;

	if (t == NULL)
		return;
	for (int i = 0; i < EC_TEMPLATES; i++)
		EVP_PKEY_free(t->params[i]);
	free(t);
}

static void
ec_init(void)
{
	pthread_key_create(&ec_tls, ec_templates_free);
}

static EVP_PKEY *
ec_params_new(const char *curve)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *key = NULL;

	if (ctx == NULL || EVP_PKEY_paramgen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_params(ctx, params) <= 0 || EVP_PKEY_paramgen(ctx, &key) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* This thread's template for the curve; NULL when the curve is unknown
 * (or, beyond EC_TEMPLATES curves, not kept: *owned). */
static EVP_PKEY *
ec_template(const char *curve, int *owned)
{
	struct ec_templates *t;
	int i;

	*owned = 0;
	pthread_once(&ec_once, ec_init);
	if ((t = pthread_getspecific(ec_tls)) == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL || pthread_setspecific(ec_tls, t) != 0) {
			free(t);
			return NULL;
		}
	}
	for (i = 0; i < EC_TEMPLATES && t->params[i] != NULL; i++)
		if (strcmp(t->curve[i], curve) == 0)
			return t->params[i];
	if (i == EC_TEMPLATES || strlen(curve) >= sizeof(t->curve[i])) {
		*owned = 1;
		return ec_params_new(curve);
	}
	if ((t->params[i] = ec_params_new(curve)) != NULL)
		strcpy(t->curve[i], curve);
	return t->params[i];
}

EVP_PKEY *
ndes_crypto_ec_point_key(const char *curve, const uint8_t *point, size_t len)
{
	EVP_PKEY *tmpl, *key = NULL;
	int owned;

	if (curve == NULL || point == NULL || len == 0 ||
	    (tmpl = ec_template(curve, &owned)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if ((key = EVP_PKEY_dup(tmpl)) == NULL ||
	    EVP_PKEY_set1_encoded_public_key(key, point, len) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (owned)
		EVP_PKEY_free(tmpl);
	ERR_clear_error();
	return key;
}
