/* The check after issuance on the device (dsim.h): the conformance code
 * ndes-crpd runs (common/conformance.c), with the claims the payload
 * carries, the request's key, GetCACert's certificates and the payload's
 * trusted root. */
#include <stdio.h>
#include <string.h>

#include "conformance.h"
#include "dsim.h"

int
dsim_conform(const struct dsim_payload *p, X509 *cert, EVP_PKEY *key,
    STACK_OF(X509) *ca_certs, char *why, size_t whylen)
{
	struct ndes_conformance_input in = {
		.cert = cert, .claims = &p->claims, .request_key = key,
		.ca_certs = ca_certs, .trusted_root = p->trusted_root,
	};
	struct ndes_conformance_result res;
	char err[DSIM_ERR_MAX];
	size_t used = 0;

	why[0] = '\0';
	if (ndes_conformance_check(&in, &res, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "the issued certificate cannot be read: %s", err);
		return -1;
	}
	for (size_t i = 0; i < res.n && used < whylen; i++) {
		int n = snprintf(why + used, whylen - used, "%s0x%08X %s", i ? "; " : "",
		    (unsigned)res.diffs[i].code, res.diffs[i].detail);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return res.n == 0 ? 0 : 1;
}
