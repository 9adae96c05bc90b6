/* The challenge's SignedData against the pinned signing certificates
 * (challenge_int.h; docs/challenge.md, "Verifying, in order").
 *
 * Nothing the message carries may choose what it is verified with: a
 * SignedData with certificates or CRLs, more than one signer, attributes, a
 * content that is not id-data, or algorithms outside the allow-list is
 * refused before any signature is looked at.  The one SignerInfo must then
 * name one of the pinned certificates itself (CMS_SignerInfo_cert_cmp:
 * issuer and serial number, or subject key identifier), and OpenSSL checks
 * the signature with that certificate alone and CMS_NOINTERN.  The pinned
 * certificates are the trust anchors themselves (downloaded from the cloud
 * over mutual TLS): there is no chain to build, hence
 * CMS_NO_SIGNER_CERT_VERIFY, with the validity period and keyUsage checked
 * here instead. */
#include "challenge_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "errmsg.h"

static const int allowed_digests[] = { NID_sha256, NID_sha384, NID_sha512 };

/* RSA PKCS#1 v1.5 (OpenSSL writes rsaEncryption, others the sha*WithRSA
 * OIDs) and ECDSA.  RSA-PSS is not allowed: the cloud does not use it. */
static const int allowed_signatures[] = {
	NID_rsaEncryption, NID_sha256WithRSAEncryption, NID_sha384WithRSAEncryption,
	NID_sha512WithRSAEncryption, NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384,
	NID_ecdsa_with_SHA512,
};

static enum ndes_challenge_error refuse(enum ndes_challenge_error rc, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum ndes_challenge_error
refuse(enum ndes_challenge_error rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int
nid_in(int nid, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == nid)
			return 1;
	return 0;
}

/* No certificates and no CRLs of any kind in the SignedData. */
static enum ndes_challenge_error
check_carried(CMS_ContentInfo *cms, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	STACK_OF(X509_CRL) *crls = CMS_get1_crls(cms);
	int ncerts = sk_X509_num(certs), ncrls = sk_X509_CRL_num(crls);

	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	if (ncerts > 0)
		return refuse(NDES_CHALLENGE_CERTS_EMBEDDED, err, errlen, "the challenge's "
		    "signature carries %d certificate%s (a challenge carries none; only the "
		    "downloaded signing certificates count)", ncerts, ncerts == 1 ? "" : "s");
	if (ncrls > 0)
		return refuse(NDES_CHALLENGE_CRLS_EMBEDDED, err, errlen, "the challenge's "
		    "signature carries %d CRL%s (a challenge carries none)", ncrls,
		    ncrls == 1 ? "" : "s");
	return NDES_CHALLENGE_OK;
}

/* Encapsulated content of type id-data, present (not detached). */
static enum ndes_challenge_error
check_content(CMS_ContentInfo *cms, char *err, size_t errlen)
{
	const ASN1_OBJECT *type = CMS_get0_eContentType(cms);
	ASN1_OCTET_STRING **content = CMS_get0_content(cms);
	char oid[80] = "?";

	if (OBJ_obj2nid(type) != NID_pkcs7_data) {
		OBJ_obj2txt(oid, sizeof(oid), type, 1);
		return refuse(NDES_CHALLENGE_CONTENT_INVALID, err, errlen, "the challenge's "
		    "signed content has type %s, not id-data", oid);
	}
	if (content == NULL || *content == NULL)
		return refuse(NDES_CHALLENGE_CONTENT_INVALID, err, errlen, "the challenge's "
		    "signed content is detached, not inside the signature");
	return NDES_CHALLENGE_OK;
}

/* Exactly one SignerInfo, without attributes: *si on success. */
static enum ndes_challenge_error
check_signer_info(CMS_ContentInfo *cms, CMS_SignerInfo **si, char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	int n = sk_CMS_SignerInfo_num(sis);

	if (n != 1)
		return refuse(NDES_CHALLENGE_SIGNERS_NOT_ONE, err, errlen, "the challenge's "
		    "signature has %d signers, exactly one expected", n < 0 ? 0 : n);
	*si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_signed_get_attr_count(*si) > 0 || CMS_unsigned_get_attr_count(*si) > 0)
		return refuse(NDES_CHALLENGE_ATTRIBUTES, err, errlen, "the challenge's signer "
		    "carries %d signed and %d unsigned attributes (a challenge carries none)",
		    CMS_signed_get_attr_count(*si) > 0 ? CMS_signed_get_attr_count(*si) : 0,
		    CMS_unsigned_get_attr_count(*si) > 0 ? CMS_unsigned_get_attr_count(*si) : 0);
	return NDES_CHALLENGE_OK;
}

/* An algorithm's NID, or NID_undef when it has parameters other than
 * absent or NULL (none of the allowed ones has any). */
static int
algorithm_nid(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *param;
	int ptype;

	X509_ALGOR_get0(&obj, &ptype, &param, alg);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return NID_undef;
	return OBJ_obj2nid(obj);
}

static void
algorithm_name(const X509_ALGOR *alg, char *buf, size_t len)
{
	const ASN1_OBJECT *obj;

	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (OBJ_obj2txt(buf, (int)len, obj, 0) <= 0)
		snprintf(buf, len, "?");
}

/* Digest and signature algorithm on the allow-lists and fitting each
 * other; *key_nid gets the key type the signature needs. */
static enum ndes_challenge_error
check_algorithms(CMS_SignerInfo *si, int *key_nid, char *err, size_t errlen)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	int dnid, snid, md_nid = NID_undef;
	char name[80];

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	dnid = algorithm_nid(dig);
	if (!nid_in(dnid, allowed_digests, sizeof(allowed_digests) / sizeof(int))) {
		algorithm_name(dig, name, sizeof(name));
		return refuse(NDES_CHALLENGE_DIGEST_NOT_ALLOWED, err, errlen, "the challenge "
		    "was signed with digest %s (SHA-256, SHA-384 or SHA-512 expected)", name);
	}
	snid = algorithm_nid(sig);
	algorithm_name(sig, name, sizeof(name));
	if (!nid_in(snid, allowed_signatures, sizeof(allowed_signatures) / sizeof(int)))
		return refuse(NDES_CHALLENGE_SIGALG_NOT_ALLOWED, err, errlen, "the challenge "
		    "was signed with %s (RSA PKCS#1 v1.5 or ECDSA expected)", name);
	*key_nid = snid;
	if (OBJ_find_sigid_algs(snid, &md_nid, key_nid) && md_nid != dnid)
		return refuse(NDES_CHALLENGE_SIGALG_NOT_ALLOWED, err, errlen, "the challenge's "
		    "signature algorithm %s does not fit its digest algorithm", name);
	return NDES_CHALLENGE_OK;
}

/* The pinned certificate the SignerInfo names, or NULL. */
static X509 *
pinned_signer(CMS_SignerInfo *si, STACK_OF(X509) *pinned)
{
	for (int i = 0; i < sk_X509_num(pinned); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(pinned, i)) == 0)
			return sk_X509_value(pinned, i);
	return NULL;
}

/* The pinned certificate may sign now, with the key the algorithm needs. */
static enum ndes_challenge_error
check_pinned(X509 *cert, int key_nid, char *err, size_t errlen)
{
	uint32_t ku = X509_get_key_usage(cert);
	EVP_PKEY *key = X509_get0_pubkey(cert);
	const char *want = key_nid == NID_rsaEncryption ? "RSA" : "EC";

	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
		return refuse(NDES_CHALLENGE_SIGNER_UNUSABLE, err, errlen, "the signing "
		    "certificate that signed the challenge is not valid yet");
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		return refuse(NDES_CHALLENGE_SIGNER_UNUSABLE, err, errlen, "the signing "
		    "certificate that signed the challenge has expired");
	if (ku != UINT32_MAX && (ku & KU_DIGITAL_SIGNATURE) == 0)
		return refuse(NDES_CHALLENGE_SIGNER_UNUSABLE, err, errlen, "the signing "
		    "certificate that signed the challenge does not allow digitalSignature");
	if (key == NULL || !EVP_PKEY_is_a(key, want))
		return refuse(NDES_CHALLENGE_SIGALG_NOT_ALLOWED, err, errlen, "the challenge's "
		    "signature algorithm does not fit the signing certificate's key");
	return NDES_CHALLENGE_OK;
}

/* The structure, before any signer is looked at. */
static enum ndes_challenge_error
check_structure(CMS_ContentInfo *cms, CMS_SignerInfo **si, int *key_nid, char *err,
    size_t errlen)
{
	enum ndes_challenge_error rc;

	if ((rc = check_carried(cms, err, errlen)) != NDES_CHALLENGE_OK ||
	    (rc = check_content(cms, err, errlen)) != NDES_CHALLENGE_OK ||
	    (rc = check_signer_info(cms, si, err, errlen)) != NDES_CHALLENGE_OK)
		return rc;
	return check_algorithms(*si, key_nid, err, errlen);
}

/* OpenSSL's signature check with that one certificate and nothing else. */
static enum ndes_challenge_error
verify_with(CMS_ContentInfo *cms, X509 *cert, BIO *content, char *err, size_t errlen)
{
	STACK_OF(X509) *only = sk_X509_new_null();
	int ok = only != NULL && sk_X509_push(only, cert) > 0 &&
	    CMS_verify(cms, only, NULL, NULL, content,
	    CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	unsigned long e = ok ? 0 : ERR_peek_last_error();
	char why[NDES_ERR_MAX] = "";

	sk_X509_free(only);
	if (ok)
		return NDES_CHALLENGE_OK;
	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return refuse(NDES_CHALLENGE_BAD_SIGNATURE, err, errlen, "the challenge's signature "
	    "does not verify under the downloaded signing certificate it names%s%s",
	    why[0] ? ": " : "", why);
}

enum ndes_challenge_error
ndes_challenge_verify_signed(CMS_ContentInfo *cms, STACK_OF(X509) *pinned, BIO *content,
    char *err, size_t errlen)
{
	CMS_SignerInfo *si = NULL;
	enum ndes_challenge_error rc;
	int key_nid = NID_undef;
	X509 *cert;

	if ((rc = check_structure(cms, &si, &key_nid, err, errlen)) != NDES_CHALLENGE_OK)
		return rc;
	if ((cert = pinned_signer(si, pinned)) == NULL)
		return refuse(NDES_CHALLENGE_UNKNOWN_SIGNER, err, errlen, "the challenge's "
		    "signer is none of the %d downloaded signing certificate%s",
		    sk_X509_num(pinned), sk_X509_num(pinned) == 1 ? "" : "s");
	if ((rc = check_pinned(cert, key_nid, err, errlen)) != NDES_CHALLENGE_OK)
		return rc;
	return verify_with(cms, cert, content, err, errlen);
}
