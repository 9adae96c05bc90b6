/* PKCS certificate requests from the cloud (POST /PkcsRequests/download):
 * parse, carry out on a CA backend (the connector makes the key pair), and
 * pack the key and certificate as PKCS#12 inside a CMS EnvelopedData to the
 * device's public key (docs/connector.md, "PKCS delivery"). */
#ifndef NDES_CONN_PKCS_H
#define NDES_CONN_PKCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "errmsg.h"

struct conn_pkcs_san {
	char	*type;		/* "email", "upn", "dns", "uri", "ip" */
	char	*value;
};

struct conn_pkcs_request {
	char			*request_id;
	char			*device_id;
	char			*user_id;
	char			*profile;
	char			*template_name;
	char			*subject;	/* RFC 4514 */
	struct conn_pkcs_san	*sans;
	size_t			 n_sans;
	char			*key_type;	/* "RSA" or "EC" */
	int			 key_size;
	char			**key_usage;	/* names, as in the challenge claims */
	size_t			 n_key_usage;
	char			**ekus;		/* dotted OIDs */
	size_t			 n_ekus;
	char			*hash;
	int			 validity_days;	/* 0: none asked */
	uint8_t			*device_pub;	/* DER SubjectPublicKeyInfo */
	size_t			 device_pub_len;
	char			*ca_configuration;
};

/* One element of the download's "value" array: 0; -1 without a requestId
 * (it cannot be answered); -2 when sans, keyUsage or extendedKeyUsages are
 * malformed (answer with a failure, 4001).  Other problems are found when
 * the request is carried out (a failure result then names them). */
int conn_pkcs_request_parse(const json_t *obj, struct conn_pkcs_request *req,
    char *err, size_t errlen);
void conn_pkcs_request_clear(struct conn_pkcs_request *req);

struct conn_pkcs_result {
	bool			 succeeded;
	enum conn_ca_status	 status;
	char			*envelope;	/* base64 DER CMS EnvelopedData */
	char			 thumbprint[64];
	char			 serial[128];
	char			 expiry[32];	/* 2027-01-31T12:00:00Z */
	int			 error_code;	/* CARequestErrorCode */
	char			 error_message[NDES_ERR_MAX];
};

struct conn_pkcs_opts {
	int64_t	 template_s;		/* < 0: the template is not offered */
	bool	 attribute_end_date;
};

/* Everything the CA needs from req (subject, SANs, usages, hash, validity):
 * 0, or -1 (a bad request) with err.  Clear prof either way. */
int conn_pkcs_profile(const struct conn_pkcs_request *req, const struct conn_pkcs_opts *opts,
    struct conn_ca_profile *prof, char *err, size_t errlen);
void conn_pkcs_profile_clear(struct conn_ca_profile *prof);

/* Carry out req on ca and fill res (always: failures become a result). */
void conn_pkcs_process(struct conn_ca *ca, const struct conn_pkcs_request *req,
    const struct conn_pkcs_opts *opts, struct conn_pkcs_result *res);
void conn_pkcs_result_clear(struct conn_pkcs_result *res);
/* {requestId, succeeded, pkcs12Envelope, certificateThumbprint,
 *  certificateSerialNumber, certificateExpirationDateUtc, errorCode,
 *  errorMessage}. */
json_t *conn_pkcs_result_json(const char *request_id, const struct conn_pkcs_result *res);

/* pkcs_pack.c: PKCS#12 (password "", AES-256-CBC, MAC SHA-256) wrapped in
 * EnvelopedData (AES-256-CBC) to recipient (RSA: RSAES-OAEP SHA-256; EC:
 * ECDH), recipient identified by subjectKeyIdentifier (SHA-1 of the
 * public key, RFC 5280 method 1). */
int conn_pkcs_pack(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *recipient,
    uint8_t **der, size_t *len, char *err, size_t errlen);
/* The reverse with the device's private key (tests, tools). */
int conn_pkcs_unpack(const uint8_t *der, size_t len, EVP_PKEY *device_key, EVP_PKEY **key,
    X509 **cert, STACK_OF(X509) **chain, char *err, size_t errlen);

/* A fresh key pair: "RSA" with bits, or "EC" with 256/384/521. */
EVP_PKEY *conn_pkcs_keygen(const char *type, int bits, char *err, size_t errlen);

#endif
