/* CA backends: where the connector issues PKCS certificates and revokes.
 *
 * A backend is a struct conn_ca with an ops table; the first one is a CA
 * folder compatible with `openssl ca` and micromdm's depot (ca_folder.c).
 * The generic layer (ca.c) adds what is the same for every backend: the
 * configured client-authentication certificate must exist (else 0x401),
 * revocation must be allowed (else 0x402), and the validity rule. */
#ifndef NDES_CONN_CA_H
#define NDES_CONN_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum conn_ca_status {
	CONN_CA_OK = 0,
	CONN_CA_UNAVAILABLE,		/* CA not valid or not reachable */
	CONN_CA_CLIENT_AUTH_MISSING,	/* configured client-auth certificate missing */
	CONN_CA_DENIED,			/* this account may not revoke */
	CONN_CA_NOT_FOUND,		/* revocation: no such serial */
	CONN_CA_ALREADY_REVOKED,	/* revocation: revoked before */
	CONN_CA_BAD_REQUEST,		/* the request cannot be carried out as asked */
	CONN_CA_ERROR,			/* anything else */
	CONN_CA_FILE_MALFORMED,		/* index.txt, serial or crlnumber malformed */
};

/* What to put into a certificate.  The caller owns every member. */
struct conn_ca_profile {
	X509_NAME		*subject;
	GENERAL_NAMES		*sans;		/* NULL: none */
	unsigned int		 key_usage;	/* NDES_KU_* bits, 0: no extension */
	STACK_OF(ASN1_OBJECT)	*ekus;		/* NULL: no extension */
	const EVP_MD		*md;		/* NULL: SHA-256 */
	int64_t			 requested_s;	/* validity the request asks for, 0: none */
	int64_t			 template_s;	/* the template's validity */
	bool			 attribute_end_date; /* honour requested_s when shorter */
	const char		*template_name;
};

struct conn_ca;

/* What conn_ca_crl_refresh found or did. */
struct conn_ca_crl_info {
	bool	 published;	/* a fresh CRL was written */
	char	 reason[512];	/* why it was (or, when not, "") */
	time_t	 next_update;	/* of the CRL in place afterwards, 0: unknown */
	int	 revoked;	/* entries of the CRL published */
};

struct conn_ca_ops {
	const char *kind;
	/* Load and check what issuing needs (CA certificate and key). */
	enum conn_ca_status (*check)(struct conn_ca *ca, char *err, size_t errlen);
	enum conn_ca_status (*issue)(struct conn_ca *ca, EVP_PKEY *pub,
	    const struct conn_ca_profile *prof, X509 **cert, char *err, size_t errlen);
	/* serial: hex, any case, leading zeros or not. */
	enum conn_ca_status (*revoke)(struct conn_ca *ca, const char *serial,
	    char *err, size_t errlen);
	/* The CA certificate (a reference the caller frees), NULL if unusable. */
	X509 *(*ca_cert)(struct conn_ca *ca, char *err, size_t errlen);
	/* Publish a fresh CRL when the current one is due; NULL: the backend
	 * publishes no CRL. */
	enum conn_ca_status (*crl_refresh)(struct conn_ca *ca, struct conn_ca_crl_info *info,
	    char *err, size_t errlen);
	void (*free)(struct conn_ca *ca);
};

struct conn_ca {
	const struct conn_ca_ops *ops;
	char		*name;			/* caConfiguration */
	char		*client_auth_cert;	/* NULL: not needed */
	bool		 may_revoke;
	void		*priv;
};

struct conn_ca_folder_opts {
	const char	*name;
	const char	*folder;
	const char	*passphrase;		/* NULL: key not encrypted */
	int		 crl_days;
	bool		 may_revoke;
	const char	*client_auth_cert;
};

/* A CA folder (ca.pem, ca.key, index.txt, serial, crlnumber, crl.pem).
 * Nothing is read yet: problems show at check/issue/revoke time. */
struct conn_ca *conn_ca_folder_new(const struct conn_ca_folder_opts *opts);

enum conn_ca_status conn_ca_check(struct conn_ca *ca, char *err, size_t errlen);
enum conn_ca_status conn_ca_issue(struct conn_ca *ca, EVP_PKEY *pub,
    const struct conn_ca_profile *prof, X509 **cert, char *err, size_t errlen);
enum conn_ca_status conn_ca_revoke(struct conn_ca *ca, const char *serial,
    char *err, size_t errlen);
X509 *conn_ca_cert(struct conn_ca *ca, char *err, size_t errlen);
/* Keep the CRL fresh: a new one is published (atomically replaced, from
 * the CA's index, so with the same revoked serials) when there is none,
 * when it cannot be read or does not verify with the CA certificate, or
 * when less than half of crl_days is left before its nextUpdate.  Backends
 * without a CRL: CONN_CA_OK, nothing published. */
enum conn_ca_status conn_ca_crl_refresh(struct conn_ca *ca, struct conn_ca_crl_info *info,
    char *err, size_t errlen);
void conn_ca_free(struct conn_ca *ca);
/* A PEM CRL file, or NULL with a reason in err and errno set: ENOENT when
 * there is none, EINVAL when it is not a PEM CRL, else the open error. */
X509_CRL *conn_ca_crl_load(const char *path, char *err, size_t errlen);

/* The end of validity: the template's validity, or the requested one when
 * attribute_end_date allows it and it is shorter; never past the CA's own
 * notAfter.  0 when the CA has expired (ca_not_after <= now). */
time_t conn_ca_not_after(time_t now, const struct conn_ca_profile *prof, time_t ca_not_after);

/* Mappings of a status to what the cloud and the events carry. */
uint32_t conn_ca_pkcs_diag(enum conn_ca_status st);	 /* 20102 code */
uint32_t conn_ca_revoke_diag(enum conn_ca_status st);	 /* 20202 code */
uint32_t conn_ca_crl_diag(enum conn_ca_status st);	 /* 20212 code */
int conn_ca_request_error(enum conn_ca_status st);	 /* CARequestErrorCode */
const char *conn_ca_status_name(enum conn_ca_status st);

/* CARequestErrorCode values (Intune-Resource-Access). */
#define CONN_CAERR_NONE			0
#define CONN_CAERR_NON_RETRYABLE	4000
#define CONN_CAERR_SERIALIZATION	4001
#define CONN_CAERR_PARAMETER_INVALID	4002
#define CONN_CAERR_CRYPTOGRAPHY		4003
#define CONN_CAERR_CERT_NOT_FOUND	4004
#define CONN_CAERR_CONFLICT		4005
#define CONN_CAERR_NOT_SUPPORTED	4006
#define CONN_CAERR_PAYLOAD_TOO_LARGE	4007
#define CONN_CAERR_RETRYABLE		4100
#define CONN_CAERR_UNAVAILABLE		4101
#define CONN_CAERR_TOO_BUSY		4102
#define CONN_CAERR_AUTHENTICATION	4103

#endif
