/* The cloud's download answers, as the connector reads them
 * (connector/d_download.c): GET /certificates/signing, POST
 * /PkcsRequests/download and POST
 * /CertificateAuthorityRequests/downloadRevocationRequests all answer
 * {"value": [...]}. */
#ifndef NDES_CONN_DOWNLOAD_H
#define NDES_CONN_DOWNLOAD_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

/* The "value" array of a 200 answer's body (a new reference), or NULL when
 * the body is not a JSON object with an array "value". */
json_t *conn_download_value(const char *body, size_t len);

/* The certificates of the signing download's value (base64 DER strings,
 * in order; what is not one is skipped).  NULL when out of memory. */
STACK_OF(X509) *conn_download_signing_certs(const json_t *value);

/* The outbox key of one downloaded request: prefix ("p:", "r:") and the
 * string id_field ("requestId", "requestContext") of item.  0, or -1 when
 * the item has no such string, or one with a NUL or too long for keylen
 * (its key could be another request's). */
int conn_download_work_key(const json_t *item, const char *id_field, const char *prefix,
    char *key, size_t keylen);

#endif
