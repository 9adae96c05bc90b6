/* Distinguished names from their string form (RFC 4514, the form
 * ndes_crypto_name_to_string() writes and the cloud sends): the last RDN
 * first, "," between RDNs, "+" inside a multi-valued RDN, backslash escapes
 * ("\," or "\2C"), short names or dotted OIDs, "#hex" DER values. */
#ifndef NDES_CONN_DN_H
#define NDES_CONN_DN_H

#include <stddef.h>
#include <openssl/x509.h>

/* NULL with a message ("unknown attribute type \"XX\"", ...) on error.  An
 * empty string gives an empty name. */
X509_NAME *conn_dn_parse(const char *text, char *err, size_t errlen);
/* The RFC 4514 text of a name in the `openssl ca` index form
 * ("/C=US/O=Org/CN=alice", first RDN first); malloc'd. */
char *conn_dn_oneline(const X509_NAME *name);

#endif
