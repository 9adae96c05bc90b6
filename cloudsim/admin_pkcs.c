/* Admin: open a delivered PKCS#12 with the device's key, as the device
 * would (`ndes-cloud-sim pkcs-open`; docs/cloud-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/pkcs12.h>

#include "admin.h"
#include "crypto.h"
#include "log.h"
#include "pki.h"
#include "store.h"

/* CMS_decrypt of the envelope: the PKCS#12 DER in a memory BIO. */
static BIO *
admin_decrypt(const uint8_t *der, size_t len, EVP_PKEY *key, X509 *cert, char *err,
    size_t errlen)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	BIO *out = BIO_new(BIO_s_mem());

	if (cms == NULL || out == NULL ||
	    (CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) != 1 &&
	    (BIO_reset(out), CMS_decrypt(cms, key, NULL, NULL, out, CMS_BINARY)) != 1)) {
		snprintf(err, errlen, "the envelope does not decrypt with the device key: %s",
		    ndes_crypto_last_error("not CMS"));
		BIO_free(out);
		out = NULL;
	}
	CMS_ContentInfo_free(cms);
	return out;
}

/* PKCS#12 with the empty password (or none). */
static int
admin_p12(BIO *bio, X509 **cert, EVP_PKEY **key, char *err, size_t errlen)
{
	PKCS12 *p12 = d2i_PKCS12_bio(bio, NULL);
	STACK_OF(X509) *ca = NULL;
	int rc = -1;

	if (p12 == NULL)
		snprintf(err, errlen, "the envelope's content is not a PKCS#12");
	else if (PKCS12_parse(p12, "", key, cert, &ca) != 1 &&
	    PKCS12_parse(p12, NULL, key, cert, &ca) != 1)
		snprintf(err, errlen, "the PKCS#12 does not open with an empty password: %s",
		    ndes_crypto_last_error("unknown error"));
	else if (*cert == NULL)
		snprintf(err, errlen, "the PKCS#12 holds no certificate");
	else
		rc = 0;
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	return rc;
}

static json_t *
admin_cert_json(const char *request_id, const char *device, X509 *cert, EVP_PKEY *key)
{
	char thumb[NDES_CRYPTO_HEX_MAX], serial[NDES_CRYPTO_HEX_MAX];
	char *subject = ndes_crypto_name_to_string(X509_get_subject_name(cert));
	char *issuer = ndes_crypto_name_to_string(X509_get_issuer_name(cert));
	char na[32] = "";
	json_t *out = NULL;

	ndes_crypto_not_after_iso8601(cert, na, sizeof(na));
	if (subject != NULL && issuer != NULL &&
	    ndes_crypto_thumbprint(cert, EVP_sha1(), thumb, sizeof(thumb)) == 0 &&
	    ndes_crypto_serial_hex(cert, serial, sizeof(serial)) == 0)
		out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}",
		    "requestId", request_id, "deviceId", device, "subject", subject,
		    "issuer", issuer, "serialNumber", serial, "thumbprint", thumb,
		    "notAfter", na, "hasPrivateKey", key != NULL,
		    "keyMatches", key != NULL && X509_check_private_key(cert, key) == 1);
	free(subject);
	free(issuer);
	return out;
}

/* Decrypt and parse; the answer or NULL with err. */
static json_t *
admin_open(struct api_call *c, const char *id, const uint8_t *der, size_t len,
    const char *device, char *err, size_t errlen)
{
	EVP_PKEY *dkey = NULL, *key = NULL;
	X509 *dcert = NULL, *cert = NULL;
	json_t *out = NULL;
	BIO *bio = NULL;

	if (cloudsim_pki_device(c->svc->pki, device, &dkey, &dcert, err, errlen) == 0 &&
	    (bio = admin_decrypt(der, len, dkey, dcert, err, errlen)) != NULL &&
	    admin_p12(bio, &cert, &key, err, errlen) == 0 &&
	    (out = admin_cert_json(id, device, cert, key)) == NULL)
		snprintf(err, errlen, "cannot describe the certificate");
	BIO_free(bio);
	EVP_PKEY_free(dkey);
	EVP_PKEY_free(key);
	X509_free(dcert);
	X509_free(cert);
	return out;
}

void
admin_pkcs_open(struct ndes_http_request *req, void *arg)
{
	char err[API_ERR_MAX], *device = NULL;
	const char *id = NULL;
	uint8_t *der = NULL;
	struct api_call c;
	size_t len = 0;
	json_t *out;
	int rc;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	if (api_get_str(c.body, "requestId", true, 256, &id, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	rc = cloudsim_store_pkcs_envelope(c.svc->store, id, &der, &len, &device);
	if (rc < 0)
		api_error(&c, 500, "internal_error", "the state database failed");
	else if (rc == 0)
		api_error(&c, 404, "not_found", "no PKCS#12 was delivered for this request");
	else if ((out = admin_open(&c, id, der, len, device, err, sizeof(err))) == NULL)
		api_error(&c, 422, "envelope_unreadable", err);
	else
		api_reply(&c, 200, out);
	free(der);
	free(device);
}
