/* CSR inspection: subject, key, signature algorithm, challengePassword;
 * requested extensions in csr_ext.c (see csr.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "crypto_int.h"
#include "csr_int.h"

const char *
ndes_san_type_name(enum ndes_san_type type)
{
	switch (type) {
	case NDES_SAN_EMAIL:
		return "EMAIL";
	case NDES_SAN_UPN:
		return "UPN";
	case NDES_SAN_DNS:
		return "DNS";
	case NDES_SAN_URI:
		return "URI";
	case NDES_SAN_IP:
		return "IP";
	default:
		return "OTHER";
	}
}

void
ndes_csr_info_free(struct ndes_csr_info *info)
{
	size_t i;

	if (info == NULL)
		return;
	free(info->subject);
	for (i = 0; i < info->nsans; i++)
		free(info->sans[i].value);
	free(info->sans);
	for (i = 0; i < info->nekus; i++)
		free(info->ekus[i]);
	free(info->ekus);
	if (info->challenge_password != NULL)
		OPENSSL_clear_free(info->challenge_password, info->challenge_password_len);
	free(info);
}

static int
read_key(EVP_PKEY *key, struct ndes_csr_info *info, char *err, size_t errlen)
{
	char group[sizeof(((struct ndes_csr_info *)0)->key_curve)];
	const char *nist;

	if (key == NULL) {
		ndes_crypto_seterr(err, errlen,
		    "certificate request: cannot decode its public key");
		return -1;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		info->key_type = NDES_KEY_RSA;
		break;
	case EVP_PKEY_EC:
		info->key_type = NDES_KEY_EC;
		break;
	default:
		info->key_type = NDES_KEY_OTHER;
	}
	info->key_bits = EVP_PKEY_get_bits(key);
	if (info->key_type == NDES_KEY_EC && EVP_PKEY_get_utf8_string_param(key,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL)) {
		nist = EC_curve_nid2nist(OBJ_sn2nid(group));
		snprintf(info->key_curve, sizeof(info->key_curve), "%s",
		    nist != NULL ? nist : group);
	}
	ERR_clear_error();
	return 0;
}

static void
read_sig_alg(const X509_ALGOR *alg, struct ndes_csr_info *info)
{
	const ASN1_OBJECT *obj = NULL;
	int nid, mdnid = NID_undef, pknid;

	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL)
		return;
	if ((nid = OBJ_obj2nid(obj)) != NID_undef)
		snprintf(info->sig_alg, sizeof(info->sig_alg), "%s", OBJ_nid2ln(nid));
	else
		OBJ_obj2txt(info->sig_alg, sizeof(info->sig_alg), obj, 1);
	if (OBJ_find_sigid_algs(nid, &mdnid, &pknid) && mdnid != NID_undef)
		snprintf(info->sig_hash, sizeof(info->sig_hash), "%s", OBJ_nid2ln(mdnid));
}

/* 0: attribute absent, 1: present once with one value, -1: otherwise. */
static int
attr_once(const X509_REQ *req, int nid)
{
	int loc = X509_REQ_get_attr_by_NID(req, nid, -1);

	if (loc < 0)
		return 0;
	if (X509_REQ_get_attr_by_NID(req, nid, loc) >= 0 ||
	    X509_ATTRIBUTE_count(X509_REQ_get_attr(req, loc)) != 1)
		return -1;
	return 1;
}

static int
challenge_type_ok(const ASN1_TYPE *t)
{
	return t != NULL && (t->type == V_ASN1_PRINTABLESTRING ||
	    t->type == V_ASN1_UTF8STRING || t->type == V_ASN1_IA5STRING ||
	    t->type == V_ASN1_T61STRING || t->type == V_ASN1_BMPSTRING ||
	    t->type == V_ASN1_UNIVERSALSTRING);
}

/* The string as UTF-8, as ASN1_STRING_to_UTF8() makes it.  ASCII without
 * NUL in a one-byte string type or in a UTF8String is its own UTF-8 and is
 * copied as it is: ASN1_STRING_to_UTF8() converts character by character,
 * about 13 us for a challenge of 1.4 KB, a twentieth of a verification. */
static int
challenge_to_utf8(const ASN1_TYPE *t, unsigned char **out)
{
	const ASN1_STRING *s = t->value.asn1_string;
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s), i;

	if (t->type == V_ASN1_BMPSTRING || t->type == V_ASN1_UNIVERSALSTRING)
		return ASN1_STRING_to_UTF8(out, s);
	for (i = 0; i < n && p[i] != 0 && p[i] < 0x80; i++)
		;
	if (i < n)
		return ASN1_STRING_to_UTF8(out, s);
	if ((*out = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return -1;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	return n;
}

/* The single value of the single challengePassword attribute, as UTF-8. */
static int
read_challenge(const X509_REQ *req, struct ndes_csr_info *info, char *err, size_t errlen)
{
	const int nid = NID_pkcs9_challengePassword;
	int once = attr_once(req, nid), n = -1;
	unsigned char *utf8 = NULL;
	ASN1_TYPE *t;

	if (once == 0)
		return 0;
	if (once < 0) {
		ndes_crypto_seterr(err, errlen,
		    "certificate request: challengePassword must have exactly one value");
		return -1;
	}
	t = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(req,
	    X509_REQ_get_attr_by_NID(req, nid, -1)), 0);
	if (challenge_type_ok(t))
		n = challenge_to_utf8(t, &utf8);
	if (n < 0 || memchr(utf8, 0, (size_t)n) != NULL ||
	    (info->challenge_password = malloc((size_t)n + 1)) == NULL) {
		OPENSSL_clear_free(utf8, n > 0 ? (size_t)n : 0);
		ndes_crypto_seterr(err, errlen,
		    "certificate request: challengePassword is not a valid string");
		return -1;
	}
	memcpy(info->challenge_password, utf8, (size_t)n);
	info->challenge_password[n] = '\0';
	info->challenge_password_len = (size_t)n;
	OPENSSL_clear_free(utf8, (size_t)n);
	return 0;
}

/* The requested extensions, from one extension-request attribute at most
 * (PKCS#9 extensionRequest or Microsoft's msExtReq). */
static int
read_extensions(X509_REQ *req, struct ndes_csr_info *info, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	int std = attr_once(req, NID_ext_req), ms = attr_once(req, NID_ms_ext_req);
	int r;

	if (std < 0 || ms < 0 || std + ms > 1) {
		ndes_crypto_seterr(err, errlen,
		    "certificate request: more than one extension request");
		return -1;
	}
	if (std + ms == 1 && (exts = X509_REQ_get_extensions(req)) == NULL) {
		ndes_crypto_seterr(err, errlen,
		    "certificate request: extension request attribute is malformed");
		return -1;
	}
	r = ndes_csr_read_extensions(exts, info, err, errlen);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

struct ndes_csr_info *
ndes_csr_inspect(X509_REQ *req, char *err, size_t errlen)
{
	return ndes_csr_inspect_with(req, req != NULL ? X509_REQ_get0_pubkey(req) : NULL, err,
	    errlen);
}

/* A new info with the subject of a request or certificate (what names it
 * in messages), the key and the signature algorithm read; NULL with err. */
static struct ndes_csr_info *
info_new(const X509_NAME *subject, EVP_PKEY *key, const X509_ALGOR *alg, const char *what,
    char *err, size_t errlen)
{
	struct ndes_csr_info *info;

	if ((info = calloc(1, sizeof(*info))) == NULL) {
		ndes_crypto_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if ((info->subject = ndes_crypto_name_to_string(subject)) == NULL) {
		ndes_crypto_seterr(err, errlen, "%s: cannot print its subject", what);
		ndes_csr_info_free(info);
		return NULL;
	}
	if (read_key(key, info, err, errlen) == -1) {
		ndes_csr_info_free(info);
		return NULL;
	}
	read_sig_alg(alg, info);
	return info;
}

struct ndes_csr_info *
ndes_csr_inspect_with(X509_REQ *req, EVP_PKEY *key, char *err, size_t errlen)
{
	const X509_ALGOR *alg = NULL;
	struct ndes_csr_info *info;

	if (req == NULL) {
		ndes_crypto_seterr(err, errlen, "no certificate request");
		return NULL;
	}
	X509_REQ_get0_signature(req, NULL, &alg);
	if ((info = info_new(X509_REQ_get_subject_name(req), key, alg, "certificate request",
	    err, errlen)) == NULL)
		return NULL;
	if (read_challenge(req, info, err, errlen) == -1 ||
	    read_extensions(req, info, err, errlen) == -1) {
		ndes_csr_info_free(info);
		info = NULL;
	}
	ERR_clear_error();
	return info;
}

struct ndes_csr_info *
ndes_cert_inspect(X509 *cert, char *err, size_t errlen)
{
	struct ndes_csr_info *info;

	if (cert == NULL) {
		ndes_crypto_seterr(err, errlen, "no certificate");
		return NULL;
	}
	if ((info = info_new(X509_get_subject_name(cert), X509_get0_pubkey(cert),
	    X509_get0_tbs_sigalg(cert), "certificate", err, errlen)) == NULL)
		return NULL;
	if (ndes_csr_read_extensions(X509_get0_extensions(cert), info, err, errlen) == -1) {
		ndes_csr_info_free(info);
		info = NULL;
	}
	ERR_clear_error();
	return info;
}
