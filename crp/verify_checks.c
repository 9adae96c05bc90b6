/* The request checks: does the CSR ask for exactly what the claims allow?
 * Each mismatch has its own extension code (common/events.def). */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "challenge.h"
#include "conformance.h"
#include "csr.h"

static uint32_t check_fail(uint32_t, char *, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static uint32_t
check_fail(uint32_t code, char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
	return code;
}

static uint32_t
check_key(const struct ndes_challenge_claims *c, const struct ndes_csr_info *info,
    char *reason, size_t len)
{
	const char *type = info->key_type == NDES_KEY_RSA ? "RSA" :
	    info->key_type == NDES_KEY_EC ? "EC" : "other";

	if (c->key_type == NULL || strcmp(c->key_type, type) != 0)
		return check_fail(NDES_DIAG_KEY_TYPE_MISMATCH, reason, len,
		    "key type %s, the challenge expects %s", type,
		    c->key_type != NULL ? c->key_type : "none");
	if (info->key_bits < c->min_key_bits)
		return check_fail(NDES_DIAG_KEY_SIZE_TOO_SMALL, reason, len,
		    "key of %d bits, the challenge expects at least %d", info->key_bits,
		    c->min_key_bits);
	return NDES_DIAG_SUCCESS;
}

static uint32_t
check_usages(const struct ndes_challenge_claims *c, const struct ndes_csr_info *info,
    char *reason, size_t len)
{
	unsigned int ku = info->has_key_usage ? info->key_usage : 0;

	if (ku != c->key_usage)
		return check_fail(NDES_DIAG_KEY_USAGE_MISMATCH, reason, len,
		    "key usage 0x%04X requested, the challenge allows 0x%04X", ku,
		    (unsigned int)c->key_usage);
	if (!ndes_claims_ekus_equal(c, info, NULL, 0))
		return check_fail(NDES_DIAG_EKU_MISMATCH, reason, len,
		    "%zu extended key usage(s) requested, they differ from the %zu the "
		    "challenge allows", info->nekus, c->n_ekus);
	return NDES_DIAG_SUCCESS;
}

uint32_t
crp_check_request(const struct ndes_challenge_claims *c, const struct ndes_csr_info *info,
    const char *tenant_id, char *reason, size_t len)
{
	uint32_t code;

	if (c->tenant_id == NULL || strcasecmp(c->tenant_id, tenant_id) != 0)
		return check_fail(NDES_DIAG_TENANT_MISMATCH, reason, len,
		    "challenge is for tenant %s, this server serves %s",
		    c->tenant_id != NULL ? c->tenant_id : "(none)", tenant_id);
	if (c->subject == NULL || strcmp(c->subject, info->subject) != 0)
		return check_fail(NDES_DIAG_SUBJECT_MISMATCH, reason, len,
		    "subject \"%.80s\" differs from the expected \"%.80s\"", info->subject,
		    c->subject != NULL ? c->subject : "");
	if (!ndes_claims_sans_equal(c, info, NULL, 0))
		return check_fail(NDES_DIAG_SAN_MISMATCH, reason, len,
		    "%zu subject alternative name(s) requested, they differ from the %zu the "
		    "challenge expects", info->nsans, c->n_sans);
	if ((code = check_key(c, info, reason, len)) != NDES_DIAG_SUCCESS)
		return code;
	if ((code = check_usages(c, info, reason, len)) != NDES_DIAG_SUCCESS)
		return code;
	if (c->hash == NULL || strcmp(c->hash, info->sig_hash) != 0)
		return check_fail(NDES_DIAG_HASH_MISMATCH, reason, len,
		    "request signed with %s, the challenge expects %s",
		    info->sig_hash[0] != '\0' ? info->sig_hash : "an unnamed hash",
		    c->hash != NULL ? c->hash : "none");
	return NDES_DIAG_SUCCESS;
}
