/* successNotification / failureNotification bodies. */
#include "config.h"

#include "notification.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "verify.h"

const char *
crp_caller_info(void)
{
	return "ndes-crpd/" PACKAGE_VERSION;
}

int
crp_issued_cert_read(const uint8_t *der, size_t len, struct crp_issued_cert *ic,
    char *reason, size_t reasonlen, X509 **keep)
{
	X509 *cert;
	int rc = -1;

	memset(ic, 0, sizeof(*ic));
	if (der == NULL || len == 0) {
		snprintf(reason, reasonlen, "no issued certificate given");
		return -1;
	}
	if ((cert = ndes_crypto_cert_from_der(der, len)) == NULL) {
		snprintf(reason, reasonlen, "the issued certificate is not a DER certificate");
		return -1;
	}
	if (ndes_crypto_thumbprint(cert, EVP_sha1(), ic->thumbprint, sizeof(ic->thumbprint)) ||
	    ndes_crypto_serial_hex(cert, ic->serial, sizeof(ic->serial)) ||
	    ndes_crypto_not_after_iso8601(cert, ic->expires, sizeof(ic->expires)) ||
	    crp_spki_sha256(X509_get_X509_PUBKEY(cert), ic->pubkey_hash,
	    sizeof(ic->pubkey_hash)) ||
	    (ic->issuer = ndes_crypto_name_to_string(X509_get_issuer_name(cert))) == NULL)
		snprintf(reason, reasonlen, "the issued certificate cannot be read");
	else
		rc = 0;
	if (rc == 0 && keep != NULL)
		*keep = cert;
	else
		X509_free(cert);
	if (rc == -1)
		crp_issued_cert_clear(ic);
	return rc;
}

void
crp_issued_cert_clear(struct crp_issued_cert *ic)
{
	if (ic == NULL)
		return;
	free(ic->issuer);
	memset(ic, 0, sizeof(*ic));
}

static char *
notification_dump(json_t *obj)
{
	char *text;

	if (obj == NULL)
		return NULL;
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return text;
}

char *
crp_notification_success(const struct crp_notification_common *c,
    const struct crp_issued_cert *ic, const char *ca_configuration,
    const char *certificate_authority, json_t *conformance)
{
	char *csr = ndes_b64_encode(c->csr_der, c->csr_len);
	json_t *obj;

	if (csr == NULL) {
		json_decref(conformance);
		return NULL;
	}
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o*}",
	    "transactionId", c->transaction_id, "certificateRequest", csr,
	    "certificateThumbprint", ic->thumbprint, "certificateSerialNumber", ic->serial,
	    "certificateExpirationDateUtc", ic->expires,
	    "issuingCertificateAuthority", ic->issuer, "callerInfo", crp_caller_info(),
	    "caConfiguration", ca_configuration, "certificateAuthority",
	    certificate_authority, "ndesConformance", conformance);
	free(csr);
	return notification_dump(obj);
}

char *
crp_notification_failure(const struct crp_notification_common *c, uint32_t hresult,
    const char *description)
{
	char *csr = ndes_b64_encode(c->csr_der, c->csr_len);
	size_t n = crp_utf8_prefix(description, CRP_ERROR_DESCRIPTION_MAX);
	json_t *obj;

	if (csr == NULL)
		return NULL;
	obj = json_pack("{s:s, s:s, s:I, s:s%, s:s}",
	    "transactionId", c->transaction_id, "certificateRequest", csr,
	    "hResult", (json_int_t)(int32_t)hresult, "errorDescription", description, n,
	    "callerInfo", crp_caller_info());
	free(csr);
	return notification_dump(obj);
}

size_t
crp_utf8_prefix(const char *s, size_t max_chars)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0') {
		size_t len = 1;

		if ((s[i] & 0x80) != 0)
			while ((s[i + len] & 0xC0) == 0x80)
				len++;
		if (chars == max_chars)
			break;
		chars++;
		i += len;
	}
	return i;
}
