/* Requested extensions of a CSR: subjectAltName, keyUsage and
 * extendedKeyUsage (see csr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "crypto_int.h"
#include "csr_int.h"

char *
ndes_csr_oid_string(const ASN1_OBJECT *obj)
{
	char buf[256];
	int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);

	if (n <= 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return strdup(buf);
}

/* One extension, decoded, or NULL when absent; *failed set (with err) when
 * it appears more than once or cannot be decoded. */
static void *
ext_get(const STACK_OF(X509_EXTENSION) *exts, int nid, int *critical, int *failed,
    char *err, size_t errlen)
{
	void *ext;
	int crit = -1;

	if (*failed)
		return NULL;
	ext = exts != NULL ? X509V3_get_d2i(exts, nid, &crit, NULL) : NULL;
	if (critical != NULL)
		*critical = crit == 1;
	if (ext != NULL || crit == -1)
		return ext;
	*failed = 1;
	ndes_crypto_seterr(err, errlen, "certificate request: %s extension %s",
	    OBJ_nid2sn(nid), crit == -2 ? "appears more than once" : "is malformed");
	return NULL;
}

/* An IA5String SAN value: 7-bit, without NUL bytes. */
static char *
san_ia5(const ASN1_IA5STRING *s, char *err, size_t errlen)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int i, n = ASN1_STRING_length(s);
	char *v;

	for (i = 0; i < n; i++) {
		if (d[i] == 0 || d[i] >= 0x80) {
			ndes_crypto_seterr(err, errlen,
			    "certificate request: SAN contains a NUL or non-ASCII byte");
			return NULL;
		}
	}
	if ((v = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(v, d, (size_t)n);
	v[n] = '\0';
	return v;
}

static char *
san_ip(const ASN1_OCTET_STRING *s, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];
	int n = ASN1_STRING_length(s);
	int af = n == 4 ? AF_INET : n == 16 ? AF_INET6 : -1;

	if (af == -1 || inet_ntop(af, ASN1_STRING_get0_data(s), buf, sizeof(buf)) == NULL) {
		ndes_crypto_seterr(err, errlen,
		    "certificate request: IP address SAN of %d bytes", n);
		return NULL;
	}
	return strdup(buf);
}

static char *
san_upn(const ASN1_TYPE *value, char *err, size_t errlen)
{
	unsigned char *utf8 = NULL;
	char *v = NULL;
	int n = -1;

	if (value != NULL && value->type == V_ASN1_UTF8STRING)
		n = ASN1_STRING_to_UTF8(&utf8, value->value.utf8string);
	if (n >= 0 && memchr(utf8, 0, (size_t)n) == NULL && (v = malloc((size_t)n + 1)) != NULL) {
		memcpy(v, utf8, (size_t)n);
		v[n] = '\0';
	} else if (n < 0 || memchr(utf8, 0, (size_t)n) != NULL)
		ndes_crypto_seterr(err, errlen,
		    "certificate request: UPN SAN is not a valid UTF8String");
	OPENSSL_free(utf8);
	return v;
}

/* "<prefix>:<text>" with text malloc()'d (freed here). */
static char *
san_prefixed(const char *prefix, char *text)
{
	char *v = NULL;

	if (text != NULL && asprintf(&v, "%s:%s", prefix, text) == -1)
		v = NULL;
	free(text);
	return v;
}

static char *
san_othername(const OTHERNAME *on, enum ndes_san_type *type, char *err, size_t errlen)
{
	if (OBJ_obj2nid(on->type_id) == NID_ms_upn) {
		*type = NDES_SAN_UPN;
		return san_upn(on->value, err, errlen);
	}
	*type = NDES_SAN_OTHER;
	return san_prefixed("otherName", ndes_csr_oid_string(on->type_id));
}

static char *
san_value(const GENERAL_NAME *gn, enum ndes_san_type *type, char *err, size_t errlen)
{
	*type = NDES_SAN_OTHER;
	switch (gn->type) {
	case GEN_EMAIL:
		*type = NDES_SAN_EMAIL;
		return san_ia5(gn->d.rfc822Name, err, errlen);
	case GEN_DNS:
		*type = NDES_SAN_DNS;
		return san_ia5(gn->d.dNSName, err, errlen);
	case GEN_URI:
		*type = NDES_SAN_URI;
		return san_ia5(gn->d.uniformResourceIdentifier, err, errlen);
	case GEN_IPADD:
		*type = NDES_SAN_IP;
		return san_ip(gn->d.iPAddress, err, errlen);
	case GEN_OTHERNAME:
		return san_othername(gn->d.otherName, type, err, errlen);
	case GEN_DIRNAME:
		return san_prefixed("dirName", ndes_crypto_name_to_string(gn->d.directoryName));
	case GEN_RID:
		return san_prefixed("registeredID", ndes_csr_oid_string(gn->d.registeredID));
	case GEN_X400:
		return strdup("x400Address");
	default:
		return strdup("ediPartyName");
	}
}

static int
read_sans(const GENERAL_NAMES *gens, struct ndes_csr_info *info, char *err, size_t errlen)
{
	int i, n = sk_GENERAL_NAME_num(gens);

	if (n <= 0)
		return 0;
	if ((info->sans = calloc((size_t)n, sizeof(*info->sans))) == NULL) {
		ndes_crypto_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct ndes_san *san = &info->sans[info->nsans];

		if (err != NULL && errlen > 0)
			err[0] = '\0';
		san->value = san_value(sk_GENERAL_NAME_value(gens, i), &san->type, err, errlen);
		if (san->value == NULL) {
			if (err != NULL && errlen > 0 && err[0] == '\0')
				ndes_crypto_seterr(err, errlen, "out of memory");
			return -1;
		}
		info->nsans++;
	}
	return 0;
}

static unsigned int
ku_bits(const ASN1_BIT_STRING *ku)
{
	static const unsigned int flags[] = {
		NDES_KU_DIGITAL_SIGNATURE, NDES_KU_NON_REPUDIATION,
		NDES_KU_KEY_ENCIPHERMENT, NDES_KU_DATA_ENCIPHERMENT,
		NDES_KU_KEY_AGREEMENT, NDES_KU_KEY_CERT_SIGN, NDES_KU_CRL_SIGN,
		NDES_KU_ENCIPHER_ONLY, NDES_KU_DECIPHER_ONLY,
	};
	unsigned int bits = 0;
	int i;

	/* Bit n of the DER BIT STRING is KeyUsage bit n (RFC 5280 4.2.1.3). */
	for (i = 0; i < (int)(sizeof(flags) / sizeof(flags[0])); i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			bits |= flags[i];
	return bits;
}

static int
read_ekus(const EXTENDED_KEY_USAGE *eku, struct ndes_csr_info *info, char *err, size_t errlen)
{
	int i, n = sk_ASN1_OBJECT_num(eku);

	if (n <= 0)
		return 0;
	if ((info->ekus = calloc((size_t)n, sizeof(*info->ekus))) == NULL) {
		ndes_crypto_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		info->ekus[i] = ndes_csr_oid_string(sk_ASN1_OBJECT_value(eku, i));
		if (info->ekus[i] == NULL) {
			ndes_crypto_seterr(err, errlen, "certificate request: bad EKU OID");
			return -1;
		}
		info->nekus++;
	}
	return 0;
}

int
ndes_csr_read_extensions(const STACK_OF(X509_EXTENSION) *exts,
    struct ndes_csr_info *info, char *err, size_t errlen)
{
	GENERAL_NAMES *gens = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	int r = -1, failed = 0;

	gens = ext_get(exts, NID_subject_alt_name, NULL, &failed, err, errlen);
	ku = ext_get(exts, NID_key_usage, &info->key_usage_critical, &failed, err, errlen);
	eku = ext_get(exts, NID_ext_key_usage, NULL, &failed, err, errlen);
	if (failed)
		goto done;
	if (ku != NULL) {
		info->has_key_usage = 1;
		info->key_usage = ku_bits(ku);
	} else
		info->key_usage_critical = 0;
	if (read_sans(gens, info, err, errlen) == -1 ||
	    read_ekus(eku, info, err, errlen) == -1)
		goto done;
	r = 0;
done:
	GENERAL_NAMES_free(gens);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return r;
}
