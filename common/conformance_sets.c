/* Set comparisons of claims with a request or a certificate (conformance.h):
 * SANs and EKUs, saying what is missing and what is extra. */
#include "conformance.h"

#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>

const char *
ndes_claims_san_type(enum ndes_san_type t)
{
	switch (t) {
	case NDES_SAN_EMAIL:
		return "email";
	case NDES_SAN_UPN:
		return "upn";
	case NDES_SAN_DNS:
		return "dns";
	case NDES_SAN_URI:
		return "uri";
	default:
		return NULL;
	}
}

/* Append "<what> <a>[:<b>]" to detail, "; " between items. */
static void
detail_add(char *detail, size_t len, const char *what, const char *a, const char *b)
{
	size_t n;

	if (detail == NULL || len == 0 || (n = strlen(detail)) + 1 >= len)
		return;
	snprintf(detail + n, len - n, "%s%s %s%s%s", n > 0 ? "; " : "", what, a,
	    b != NULL ? ":" : "", b != NULL ? b : "");
}

bool
ndes_claims_sans_equal(const struct ndes_challenge_claims *c, const struct ndes_csr_info *info,
    char *detail, size_t len)
{
	bool used[NDES_CHALLENGE_MAX_SANS] = { false };
	bool equal = true;

	if (detail != NULL && len > 0)
		detail[0] = '\0';
	for (size_t i = 0; i < info->nsans; i++) {
		const char *type = ndes_claims_san_type(info->sans[i].type);
		size_t j = c->n_sans;

		if (type != NULL)
			for (j = 0; j < c->n_sans; j++)
				if (!used[j] && strcmp(c->sans[j].type, type) == 0 &&
				    strcmp(c->sans[j].value, info->sans[i].value) == 0)
					break;
		if (j < c->n_sans) {
			used[j] = true;
			continue;
		}
		equal = false;
		detail_add(detail, len, "extra", type != NULL ? type :
		    ndes_san_type_name(info->sans[i].type), info->sans[i].value);
	}
	for (size_t j = 0; j < c->n_sans; j++) {
		if (used[j])
			continue;
		equal = false;
		detail_add(detail, len, "missing", c->sans[j].type, c->sans[j].value);
	}
	return equal;
}

static bool
in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* "clientAuth" for 1.3.6.1.5.5.7.3.2, the OID itself when OpenSSL has no name. */
static const char *
eku_name(const char *oid)
{
	int nid = OBJ_txt2nid(oid);

	return nid != NID_undef ? OBJ_nid2sn(nid) : oid;
}

bool
ndes_claims_ekus_equal(const struct ndes_challenge_claims *c, const struct ndes_csr_info *info,
    char *detail, size_t len)
{
	bool equal = true;

	if (detail != NULL && len > 0)
		detail[0] = '\0';
	for (size_t i = 0; i < c->n_ekus; i++) {
		if (in_list(info->ekus, info->nekus, c->ekus[i]))
			continue;
		equal = false;
		detail_add(detail, len, "missing", eku_name(c->ekus[i]), NULL);
	}
	for (size_t i = 0; i < info->nekus; i++) {
		if (in_list(c->ekus, c->n_ekus, info->ekus[i]))
			continue;
		equal = false;
		detail_add(detail, len, "extra", eku_name(info->ekus[i]), NULL);
	}
	return equal;
}
