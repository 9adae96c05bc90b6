/* ndes-cloud-sim PKI (docs/cloud-api.md, "PKI"): the cloud CA, the server
 * certificate and the challenge-signing pair in state_dir/pki/ (made on
 * first start unless the configuration names them), the certificates the
 * CA issues to connectors, and the per-device key pairs of PKCS requests.
 * All functions return NULL / -1 with one line in err. */
#ifndef NDES_CLOUDSIM_PKI_H
#define NDES_CLOUDSIM_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "model.h"

struct cloudsim_pki {
	X509 *ca_cert;               /* issues connector certificates */
	EVP_PKEY *ca_key;
	X509 *server_cert;
	EVP_PKEY *server_key;
	STACK_OF(X509) *server_chain;    /* sent after the server certificate */
	X509 *signing_cert;          /* challenge signing */
	EVP_PKEY *signing_key;
	STACK_OF(X509) *ca_chain;    /* "caChain": the cloud CA, then tls_ca */
	STACK_OF(X509) *client_cas;  /* TLS client certificates chain to these */
	char *devices_dir;           /* state_dir/devices */
};

/* Load or make everything under service->state_dir. */
struct cloudsim_pki *cloudsim_pki_open(const struct cloudsim_service *service,
    const char *tenant_id, char *err, size_t errlen);
void cloudsim_pki_free(struct cloudsim_pki *pki);

enum cloudsim_cert_kind {
	CLOUDSIM_CERT_CLIENT,        /* EKU clientAuth, KU digitalSignature */
	CLOUDSIM_CERT_CRP,           /* KU keyEncipherment (RSA) or keyAgreement (EC) */
};

/* A CSR given as base64 DER: one PKCS#10 whose signature verifies and whose
 * key is RSA (2048-8192 bits) or EC (P-256, P-384, P-521).  err names what
 * is wrong without the field name ("not base64", "signature does not
 * verify", ...). */
X509_REQ *cloudsim_pki_csr_from_b64(const char *b64, char *err, size_t errlen);

/* A certificate for the CSR's key issued by the cloud CA: subject
 * CN=<connector_id>[ CRP],O=<tenant_id>, valid from 5 minutes ago for
 * lifetime_s seconds. */
X509 *cloudsim_pki_issue(struct cloudsim_pki *pki, X509_REQ *csr, enum cloudsim_cert_kind kind,
    const char *connector_id, const char *tenant_id, int64_t lifetime_s,
    char *err, size_t errlen);

/* One extension as OpenSSL's configuration text, e.g. { NID_key_usage,
 * "critical,digitalSignature" }. */
struct cloudsim_pki_ext {
	int nid;
	const char *value;
};

/* A certificate for pub named CN=cn[,O=org] (org may be NULL), signed by
 * issuer/issuer_key (self-signed when issuer is NULL: issuer_key is then the
 * private key of pub), valid from now - backdate_s for lifetime_s seconds. */
X509 *cloudsim_pki_make_cert(EVP_PKEY *pub, const char *cn, const char *org, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t backdate_s, int64_t lifetime_s,
    const struct cloudsim_pki_ext *exts, size_t n_exts, char *err, size_t errlen);

/* The key pair (RSA 2048) and self-signed certificate of a device for PKCS
 * requests: made on first use as devices/<name>.key (0600) and .pem, where
 * <name> is the device ID (or "sha256-<hex of the ID>" when the ID is not a
 * safe file name).  Either out pointer may be NULL. */
int cloudsim_pki_device(struct cloudsim_pki *pki, const char *device_id, EVP_PKEY **key,
    X509 **cert, char *err, size_t errlen);

/* mkdir -p with mode for the missing folders. */
int cloudsim_mkdirs(const char *path, mode_t mode, char *err, size_t errlen);

#endif
