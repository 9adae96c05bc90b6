/* The ScepActions notifications crpd hands to the connector (DESIGN.md
 * section 4): the JSON objects and their pieces. */
#ifndef CRP_NOTIFICATION_H
#define CRP_NOTIFICATION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "crypto.h"

#define CRP_NOTIFY_KIND_SUCCESS "successNotification"
#define CRP_NOTIFY_KIND_FAILURE "failureNotification"
#define CRP_ERROR_DESCRIPTION_MAX 255	/* characters */

/* What a successNotification says about the issued certificate. */
struct crp_issued_cert {
	char	 thumbprint[NDES_CRYPTO_SHA1_HEX_LEN + 1];	/* SHA-1, upper hex */
	char	 serial[NDES_CRYPTO_HEX_MAX];			/* ndes_crypto_serial_hex */
	char	 expires[32];					/* YYYY-MM-DDTHH:MM:SSZ */
	char	 pubkey_hash[NDES_CRYPTO_SHA256_HEX_LEN + 1];
	char	*issuer;					/* name string */
};

/* Read the certificate: 0, or -1 with reason.  keep (may be NULL) gets the
 * parsed certificate (X509_free() it) on success, so that it is parsed once. */
int	crp_issued_cert_read(const uint8_t *der, size_t len, struct crp_issued_cert *out,
	    char *reason, size_t reasonlen, X509 **keep);
void	crp_issued_cert_clear(struct crp_issued_cert *ic);

struct crp_notification_common {
	const char	*transaction_id;
	const uint8_t	*csr_der;	/* the verified request */
	size_t		 csr_len;
};

/* The JSON objects (compact, keys in the documented order); malloc'd.
 * conformance: the project's ndesConformance member (docs/cloud-api.md),
 * taken over; NULL: none. */
char	*crp_notification_success(const struct crp_notification_common *c,
	    const struct crp_issued_cert *ic, const char *ca_configuration,
	    const char *certificate_authority, json_t *conformance);
char	*crp_notification_failure(const struct crp_notification_common *c,
	    uint32_t hresult, const char *description);

/* Bytes of the longest prefix of the UTF-8 string s with at most max_chars
 * characters (code points). */
size_t	crp_utf8_prefix(const char *s, size_t max_chars);
/* "ndes-crpd/<version>" */
const char *crp_caller_info(void);

#endif
