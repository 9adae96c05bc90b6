/* The conformance check after issuance (docs/policy.md, "What is checked
 * after issuance"): does an issued certificate carry what its challenge's
 * claims asked for?  A SCEP server may sign whatever it likes (micromdm's
 * scepserver 2.1.0 sets its own key usage, EKU and validity); this finds
 * out, difference by difference, each with its own diagnostic code
 * (common/events.def, 0x000015xx).  Shared: ndes-crpd runs it on every
 * issued certificate that reaches it; a device emulator can run the same.
 *
 * What is compared, in this order (one difference per kind at most):
 *   subject      the exact string form (ndes_crypto_name_to_string: every
 *                attribute, value and the order) -> 0x1501; the string type
 *                of each attribute as RFC 5280 prescribes: C, serialNumber,
 *                dnQualifier PrintableString; emailAddress, DC IA5String;
 *                every other one UTF8String or PrintableString -> 0x1502
 *   SANs         the same multiset of {type, value} as the claims -> 0x1503
 *   key usage    exactly the claims' bits, when the claims ask for any -> 0x1504
 *   EKUs         exactly the claims' set, when the claims name any -> 0x1505
 *   public key   equal to the verified request's, when given -> 0x1506
 *   hash         the hash of the CA's signature is the claims' -> 0x1507
 *   validity     notAfter - notBefore within NDES_CONFORMANCE_VALIDITY_TOLERANCE
 *                of the claims' validityDays, and not after the issuing
 *                CA's notAfter when the CA certificate is given -> 0x1508
 *   chain        from the issuing CA (given certificates) to the trusted
 *                root, when one is given, verified now; a root named by its
 *                SHA-256 that is not among the given certificates -> 0x1509
 *
 * Thread-safe; nothing global. */
#ifndef NDES_CONFORMANCE_H
#define NDES_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "challenge.h"
#include "csr.h"

/* One day: CAs backdate notBefore (Windows by 10 minutes, against clock
 * skew) and round to days; a day either way is the same validity. */
#define NDES_CONFORMANCE_VALIDITY_TOLERANCE (24 * 3600)
#define NDES_CONFORMANCE_MAX_DIFFS 10
#define NDES_CONFORMANCE_DETAIL_MAX 200

struct ndes_conformance_diff {
	uint32_t	code;		/* NDES_DIAG_ISSUED_* */
	char		detail[NDES_CONFORMANCE_DETAIL_MAX];	/* asked vs issued */
};

struct ndes_conformance_result {
	size_t				n;	/* 0: the certificate conforms */
	struct ndes_conformance_diff	diffs[NDES_CONFORMANCE_MAX_DIFFS];
};

struct ndes_conformance_input {
	X509				*cert;		/* the issued certificate */
	const struct ndes_challenge_claims *claims;
	EVP_PKEY			*request_key;	/* the verified request's; NULL: not compared */
	/* The issuing CA's certificate and those above it (may be NULL). */
	STACK_OF(X509)			*ca_certs;
	/* The profile's trusted root: the certificate itself, or its SHA-256
	 * (the claims' trustedRoot) to be found among ca_certs (not found:
	 * 0x1509).  Neither, or a thumbprint without ca_certs: the chain is
	 * not checked. */
	X509				*trusted_root;
	const char			*trusted_root_sha256;
};

/* Compare; out lists every difference.  0, or -1 with err set when the
 * certificate cannot be read at all (nothing compared). */
int	ndes_conformance_check(const struct ndes_conformance_input *in,
	    struct ndes_conformance_result *out, char *err, size_t errlen);

/* The set comparisons crpd's request check shares (crp/verify_checks.c):
 * SANs as a multiset of {type, value}, EKUs as a set of OIDs.  detail, when
 * not NULL, says what is missing and what is extra. */
bool	ndes_claims_sans_equal(const struct ndes_challenge_claims *c,
	    const struct ndes_csr_info *info, char *detail, size_t len);
bool	ndes_claims_ekus_equal(const struct ndes_challenge_claims *c,
	    const struct ndes_csr_info *info, char *detail, size_t len);

/* The claims' SAN type of a certificate's or request's SAN ("email", "upn",
 * "dns", "uri"), NULL for the types claims cannot name. */
const char *ndes_claims_san_type(enum ndes_san_type t);

#endif
