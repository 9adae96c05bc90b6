/* Internal to csr_info.c and csr_ext.c. */
#ifndef NDES_CSR_INT_H
#define NDES_CSR_INT_H

#include <openssl/x509.h>

#include "csr.h"

/* Fill info's SANs, key usage and EKUs from requested extensions (exts may
 * be NULL: none requested).  0 or -1 with err set. */
int ndes_csr_read_extensions(const STACK_OF(X509_EXTENSION) *exts,
    struct ndes_csr_info *info, char *err, size_t errlen);

/* A dotted OID as a malloc()'d string, NULL on error. */
char *ndes_csr_oid_string(const ASN1_OBJECT *obj);

#endif
