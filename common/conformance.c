/* The conformance check after issuance (conformance.h). */
#include "conformance.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "errmsg.h"
#include "events.h"

static void diff_add(struct ndes_conformance_result *, uint32_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
diff_add(struct ndes_conformance_result *out, uint32_t code, const char *fmt, ...)
{
	struct ndes_conformance_diff *d;
	va_list ap;

	if (out->n >= NDES_CONFORMANCE_MAX_DIFFS)
		return;
	d = &out->diffs[out->n++];
	d->code = code;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

/* RFC 5280 4.1.2.4 and appendix A: the string type an attribute must have. */
static bool
string_type_ok(int nid, int type)
{
	switch (nid) {
	case NID_countryName:
	case NID_serialNumber:
	case NID_dnQualifier:
		return type == V_ASN1_PRINTABLESTRING;
	case NID_pkcs9_emailAddress:
	case NID_domainComponent:
		return type == V_ASN1_IA5STRING;
	default:
		return type == V_ASN1_UTF8STRING || type == V_ASN1_PRINTABLESTRING;
	}
}

static void
check_subject(X509 *cert, const struct ndes_csr_info *info,
    const struct ndes_challenge_claims *c, struct ndes_conformance_result *out)
{
	const X509_NAME *name = X509_get_subject_name(cert);

	if (c->subject == NULL || strcmp(c->subject, info->subject) != 0)
		diff_add(out, NDES_DIAG_ISSUED_SUBJECT_DIFFERS, "asked \"%.80s\", issued \"%.80s\"",
		    c->subject != NULL ? c->subject : "", info->subject);
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		int type = ASN1_STRING_type(X509_NAME_ENTRY_get_data(e));

		if (!string_type_ok(nid, type)) {
			diff_add(out, NDES_DIAG_ISSUED_SUBJECT_STRING_TYPE,
			    "%s is a %s", nid != NID_undef ? OBJ_nid2sn(nid) : "an attribute",
			    ASN1_tag2str(type));
			return;
		}
	}
}

/* "digitalSignature,keyEncipherment" */
static void
ku_names(unsigned int bits, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int bit = 0x8000; bit != 0; bit >>= 1) {
		const char *name = ndes_challenge_key_usage_name(bit);

		if ((bits & bit) == 0 || n + 1 >= len)
			continue;
		snprintf(buf + n, len - n, "%s%s", n > 0 ? "," : "", name ? name : "other");
		n = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, len, "none");
}

static void
check_usages(const struct ndes_csr_info *info, const struct ndes_challenge_claims *c,
    struct ndes_conformance_result *out)
{
	unsigned int ku = info->has_key_usage ? info->key_usage : 0;
	char asked[96], issued[96], detail[NDES_CONFORMANCE_DETAIL_MAX];

	if (c->key_usage != 0 && ku != c->key_usage) {
		ku_names(c->key_usage, asked, sizeof(asked));
		ku_names(ku, issued, sizeof(issued));
		diff_add(out, NDES_DIAG_ISSUED_KEY_USAGE_DIFFERS, "asked %s, issued %s", asked,
		    issued);
	}
	if (c->n_ekus > 0 && !ndes_claims_ekus_equal(c, info, detail, sizeof(detail)))
		diff_add(out, NDES_DIAG_ISSUED_EKU_DIFFERS, "%s", detail);
}

static void
check_key_and_hash(const struct ndes_conformance_input *in, const struct ndes_csr_info *info,
    struct ndes_conformance_result *out)
{
	const struct ndes_challenge_claims *c = in->claims;

	if (in->request_key != NULL && EVP_PKEY_eq(X509_get0_pubkey(in->cert),
	    in->request_key) != 1)
		diff_add(out, NDES_DIAG_ISSUED_PUBLIC_KEY_DIFFERS,
		    "the certificate's key is not the verified request's");
	if (c->hash != NULL && strcmp(c->hash, info->sig_hash) != 0)
		diff_add(out, NDES_DIAG_ISSUED_HASH_DIFFERS, "asked %s, issued %s (%s)", c->hash,
		    info->sig_hash[0] != '\0' ? info->sig_hash : "no hash", info->sig_alg);
}

/* The certificate among ca_certs that issued cert, NULL when none. */
static X509 *
issuer_of(X509 *cert, STACK_OF(X509) *ca_certs)
{
	for (int i = 0; i < sk_X509_num(ca_certs); i++)
		if (X509_check_issued(sk_X509_value(ca_certs, i), cert) == X509_V_OK)
			return sk_X509_value(ca_certs, i);
	return NULL;
}

static void
check_validity(const struct ndes_conformance_input *in, struct ndes_conformance_result *out)
{
	const int64_t days = in->claims->validity_days;
	X509 *ca = issuer_of(in->cert, in->ca_certs);
	time_t nb, na, ca_na;
	int64_t life;

	if (ndes_crypto_asn1_time(X509_get0_notBefore(in->cert), &nb) == -1 ||
	    ndes_crypto_asn1_time(X509_get0_notAfter(in->cert), &na) == -1) {
		diff_add(out, NDES_DIAG_ISSUED_VALIDITY_DIFFERS, "unreadable validity period");
		return;
	}
	life = (int64_t)na - (int64_t)nb;
	if (days > 0 && (life > days * 86400 + NDES_CONFORMANCE_VALIDITY_TOLERANCE ||
	    life < days * 86400 - NDES_CONFORMANCE_VALIDITY_TOLERANCE))
		diff_add(out, NDES_DIAG_ISSUED_VALIDITY_DIFFERS,
		    "asked %lld days, issued %lld days %lld hours", (long long)days,
		    (long long)(life / 86400), (long long)(life % 86400 / 3600));
	else if (ca != NULL && ndes_crypto_asn1_time(X509_get0_notAfter(ca), &ca_na) == 0 &&
	    na > ca_na)
		diff_add(out, NDES_DIAG_ISSUED_VALIDITY_DIFFERS,
		    "valid %lld seconds beyond the issuing CA's certificate",
		    (long long)(na - ca_na));
}

/* The certificate among certs whose SHA-256 is hex (any case), NULL if none. */
static X509 *
find_by_sha256(STACK_OF(X509) *certs, const char *hex)
{
	char tp[NDES_CRYPTO_HEX_MAX];

	for (int i = 0; i < sk_X509_num(certs); i++)
		if (ndes_crypto_thumbprint(sk_X509_value(certs, i), EVP_sha256(), tp,
		    sizeof(tp)) == 0 && strcasecmp(tp, hex) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

static void
check_chain(const struct ndes_conformance_input *in, struct ndes_conformance_result *out)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *root = in->trusted_root;
	int ok = 0, error = X509_V_ERR_UNSPECIFIED;

	if (root == NULL && (root = find_by_sha256(in->ca_certs,
	    in->trusted_root_sha256)) == NULL) {
		diff_add(out, NDES_DIAG_ISSUED_CHAIN_INVALID, "the profile's trusted root "
		    "(SHA-256 %.64s) is not among the issuing CA's certificates",
		    in->trusted_root_sha256);
		X509_STORE_CTX_free(ctx);
		X509_STORE_free(store);
		return;
	}
	if (store != NULL && ctx != NULL && X509_STORE_add_cert(store, root) == 1 &&
	    X509_STORE_CTX_init(ctx, store, in->cert, in->ca_certs) == 1) {
		ok = X509_verify_cert(ctx) == 1;
		error = X509_STORE_CTX_get_error(ctx);
	}
	if (!ok)
		diff_add(out, NDES_DIAG_ISSUED_CHAIN_INVALID,
		    "no chain to the profile's trusted root: %s",
		    X509_verify_cert_error_string(error));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
}

int
ndes_conformance_check(const struct ndes_conformance_input *in,
    struct ndes_conformance_result *out, char *err, size_t errlen)
{
	char detail[NDES_CONFORMANCE_DETAIL_MAX];
	struct ndes_csr_info *info;

	memset(out, 0, sizeof(*out));
	if (in->claims == NULL) {
		ndes_err_set(err, errlen, "no claims to compare with");
		return -1;
	}
	if ((info = ndes_cert_inspect(in->cert, err, errlen)) == NULL)
		return -1;
	check_subject(in->cert, info, in->claims, out);
	if (!ndes_claims_sans_equal(in->claims, info, detail, sizeof(detail)))
		diff_add(out, NDES_DIAG_ISSUED_SAN_DIFFERS, "%s", detail);
	check_usages(info, in->claims, out);
	check_key_and_hash(in, info, out);
	check_validity(in, out);
	if (in->trusted_root != NULL || (in->trusted_root_sha256 != NULL && in->ca_certs != NULL))
		check_chain(in, out);
	ndes_csr_info_free(info);
	return 0;
}
