/* Registration and renewal with the cloud: the key pairs and CSRs, the
 * request bodies, the reply, and writing everything into the state folder
 * (shared by `ndes-connector register|renew` and the daemon's renewal).
 *
 * Keys: the client-authentication key (EC P-256) and the CRP encryption
 * key (RSA 2048), both written 0600. */
#ifndef NDES_CONN_ENROLL_H
#define NDES_CONN_ENROLL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "state.h"

struct conn_enroll {
	EVP_PKEY	*client_key;
	EVP_PKEY	*crp_key;
	char		*client_csr;	/* base64 DER */
	char		*crp_csr;
};

struct conn_enroll_reply {
	char		*connector_id;
	char		*tenant_id;
	X509		*client;
	X509		*crp;
	STACK_OF(X509)	*ca_chain;
	STACK_OF(X509)	*signing;
};

/* Fresh keys and CSRs (CN=<name>, CN=<name> CRP). */
int conn_enroll_prepare(struct conn_enroll *e, const char *name, char *err, size_t errlen);
void conn_enroll_clear(struct conn_enroll *e);
/* JSON bodies, malloc'd. */
char *conn_enroll_register_body(const struct conn_enroll *e, const char *token,
    const char *name);
char *conn_enroll_renew_body(const struct conn_enroll *e);

/* The reply of register (201) or renew (200); the certificates must carry
 * our public keys. */
int conn_enroll_parse(const char *body, size_t len, const struct conn_enroll *e,
    struct conn_enroll_reply *r, char *err, size_t errlen);
void conn_enroll_reply_clear(struct conn_enroll_reply *r);

/* Write keys (0600), certificates, the CA chain, the signing certificates
 * and registration.json.  reg: cloud_url and name in, the rest filled.
 * renewal: the current CRP pair becomes crp-previous.* first. */
int conn_enroll_store(const struct conn_state *st, const struct conn_enroll *e,
    const struct conn_enroll_reply *r, struct conn_registration *reg, bool renewal,
    char *err, size_t errlen);

/* Write certificates as one PEM file (0644, atomic). */
int conn_write_certs(const char *path, STACK_OF(X509) *certs, char *err, size_t errlen);

#endif
