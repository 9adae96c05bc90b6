/* The test SCEP responder's state (scep_responder*.c). */
#ifndef NDES_TESTS_SCEP_RESPONDER_INT_H
#define NDES_TESTS_SCEP_RESPONDER_INT_H

#include <openssl/pkcs7.h>

#include "http.h"
#include "scep_responder.h"
#include "testpki.h"

struct resp {
	struct resp_config	cfg;
	const char		*caps;
	struct ndes_http_server	*srv;
	char			url[64];
	X509			*ca_cert, *ra_cert;
	EVP_PKEY		*ca_key, *ra_key;
	EVP_PKEY		*other_key;	/* RESP_OTHER_KEY, RESP_*_SIGNER */
	EVP_PKEY		*pending_key;	/* the request's key while PENDING */
	X509_NAME		*pending_subject;
	struct resp_seen	seen;
};

void	resp_pki_operation(struct resp *r, struct ndes_http_request *req);
/* A certs-only SignedData with a and b (b may be NULL). */
PKCS7	*resp_certs_only(X509 *a, X509 *b);

#endif
