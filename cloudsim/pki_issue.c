/* Connector certificates issued from CSRs by the cloud CA (pki.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "csr.h"
#include "pki.h"

#define PKI_BACKDATE_S 300

static int
pki_csr_key_ok(X509_REQ *req, char *err, size_t errlen)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	char group[64] = "";
	int bits;

	if (key == NULL) {
		snprintf(err, errlen, "the public key cannot be decoded");
		return -1;
	}
	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (bits < 2048 || bits > 8192) {
			snprintf(err, errlen, "RSA key of %d bits (2048 to 8192 accepted)", bits);
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
	    strcmp(group, "secp521r1") == 0))
		return 0;
	snprintf(err, errlen, "unsupported key (RSA 2048+ or EC P-256, P-384, P-521 accepted)");
	return -1;
}

X509_REQ *
cloudsim_pki_csr_from_b64(const char *b64, char *err, size_t errlen)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509_REQ *req;

	if (ndes_b64_decode(b64, strlen(b64), &der, &len) != 0 || len == 0) {
		free(der);	/* "" and whitespace decode to zero bytes */
		snprintf(err, errlen, "not base64");
		return NULL;
	}
	req = ndes_csr_from_der(der, len);
	free(der);
	if (req == NULL) {
		snprintf(err, errlen, "not a DER PKCS#10 certificate request");
		return NULL;
	}
	if (ndes_csr_verify_signature(req) != 1) {
		snprintf(err, errlen, "the request's signature does not verify");
		X509_REQ_free(req);
		return NULL;
	}
	if (pki_csr_key_ok(req, err, errlen) != 0) {
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

X509 *
cloudsim_pki_issue(struct cloudsim_pki *pki, X509_REQ *csr, enum cloudsim_cert_kind kind,
    const char *connector_id, const char *tenant_id, int64_t lifetime_s,
    char *err, size_t errlen)
{
	EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);
	int rsa = pub != NULL && EVP_PKEY_is_a(pub, "RSA");
	struct cloudsim_pki_ext exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, kind == CLOUDSIM_CERT_CLIENT ? "critical,digitalSignature" :
		    rsa ? "critical,keyEncipherment" : "critical,keyAgreement" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_ext_key_usage, "clientAuth" },
	};
	char cn[128];

	if (pub == NULL) {
		snprintf(err, errlen, "the request's public key cannot be decoded");
		return NULL;
	}
	snprintf(cn, sizeof(cn), "%s%s", connector_id, kind == CLOUDSIM_CERT_CRP ? " CRP" : "");
	return cloudsim_pki_make_cert(pub, cn, tenant_id, pki->ca_cert, pki->ca_key,
	    PKI_BACKDATE_S, lifetime_s, exts, kind == CLOUDSIM_CERT_CLIENT ? 5 : 4, err, errlen);
}
