/* GetCACert (RFC 8894 section 4.2): one DER certificate
 * (application/x-x509-ca-cert), or a certs-only PKCS#7 with the RA and CA
 * certificates (application/x-x509-ca-ra-cert). */
#include "scep_int.h"

#include <string.h>
#include <strings.h>

#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#define CT_CA "application/x-x509-ca-cert"
#define CT_CA_RA "application/x-x509-ca-ra-cert"

static STACK_OF(X509) *
cacert_single(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	STACK_OF(X509) *certs;
	X509 *cert = d2i_X509(NULL, &p, (long)len);

	if (cert == NULL || p != der + len) {
		X509_free(cert);
		return NULL;
	}
	certs = sk_X509_new_null();
	if (certs == NULL || sk_X509_push(certs, cert) <= 0) {
		X509_free(cert);
		sk_X509_free(certs);
		return NULL;
	}
	return certs;
}

/* The certificates of a degenerate (certs-only) SignedData. */
static STACK_OF(X509) *
cacert_pkcs7(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *certs = NULL, *in;

	if (p7 == NULL || p != der + len || !PKCS7_type_is_signed(p7) ||
	    p7->d.sign == NULL)
		goto out;
	in = p7->d.sign->cert;
	if (in == NULL || sk_X509_num(in) == 0)
		goto out;
	certs = sk_X509_deep_copy(in, X509_dup, X509_free);
out:
	PKCS7_free(p7);
	return certs;
}

static bool
cacert_is_ra(X509 *cert)
{
	uint32_t ku = X509_get_key_usage(cert);

	return X509_check_ca(cert) == 0 && (ku == UINT32_MAX || (ku & KU_KEY_ENCIPHERMENT));
}

/* The RA (a certificate that is not a CA and may encipher keys) when
 * there is one, else the first CA certificate, else the first. */
static X509 *
cacert_recipient(STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (cacert_is_ra(sk_X509_value(certs, i)))
			return sk_X509_value(certs, i);
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (X509_check_ca(sk_X509_value(certs, i)) != 0)
			return sk_X509_value(certs, i);
	return sk_X509_value(certs, 0);
}

static bool
ct_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(content_type, want, n) == 0 &&
	    (content_type[n] == 0 || content_type[n] == ';');
}

int
dsim_scep_cacert_parse(const char *content_type, const uint8_t *der, size_t len,
    STACK_OF(X509) **certs, X509 **recipient, char *reason)
{
	*certs = NULL;
	*recipient = NULL;
	if (len == 0 || len > INT32_MAX) {
		dsim_scep_reason(reason, "GetCACert answer is empty");
		return -1;
	}
	if (content_type != NULL && ct_is(content_type, CT_CA))
		*certs = cacert_single(der, len);
	else if (content_type != NULL && ct_is(content_type, CT_CA_RA))
		*certs = cacert_pkcs7(der, len);
	else if (content_type == NULL) {
		*certs = cacert_single(der, len);
		if (*certs == NULL)
			*certs = cacert_pkcs7(der, len);
	} else {
		dsim_scep_reason(reason, "GetCACert answer has Content-Type \"%.64s\"",
		    content_type);
		return -1;
	}
	if (*certs == NULL) {
		dsim_scep_reason(reason, "GetCACert answer is not %s",
		    content_type != NULL && ct_is(content_type, CT_CA_RA) ?
		    "a certs-only PKCS#7 with certificates" : "one DER certificate");
		return -1;
	}
	*recipient = cacert_recipient(*certs);
	return 0;
}
