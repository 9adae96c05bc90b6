/* The device's key pair and PKCS#10 request, exactly as its profile payload
 * says (dsim.h): key type and size, subject, SANs, key usage, EKUs, hash,
 * and the challenge as challengePassword. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "dsim.h"

const char *
dsim_ec_group_for_bits(int bits)
{
	switch (bits) {
	case 256: return "P-256";
	case 384: return "P-384";
	case 521: return "P-521";
	default: return NULL;
	}
}

EVP_PKEY *
dsim_key_new(const char *key_type, int bits, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	const char *group;

	if (strcmp(key_type, "RSA") == 0) {
		if (bits < 1024 || bits > 16384)
			snprintf(err, errlen, "RSA key size %d out of range", bits);
		else if ((key = EVP_RSA_gen((unsigned int)bits)) == NULL)
			snprintf(err, errlen, "RSA key generation: %s",
			    ndes_crypto_last_error("failed"));
	} else if (strcmp(key_type, "EC") == 0) {
		if ((group = dsim_ec_group_for_bits(bits)) == NULL)
			snprintf(err, errlen, "EC key size %d: not 256, 384 or 521", bits);
		else if ((key = EVP_EC_gen(group)) == NULL)
			snprintf(err, errlen, "EC key generation: %s",
			    ndes_crypto_last_error("failed"));
	} else
		snprintf(err, errlen, "key type \"%s\": not RSA or EC", key_type);
	return key;
}

/* One "TYPE=value" of the openssl form, unescaped, added to name. */
static int
name_add(X509_NAME *name, const char *text, size_t len, char *err, size_t errlen)
{
	char *buf = malloc(len + 1), *w, *eq;
	int ok;

	if (buf == NULL)
		return -1;
	w = buf;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len)
			i++;
		*w++ = text[i];
	}
	*w = '\0';
	if ((eq = strchr(buf, '=')) == NULL || eq == buf) {
		snprintf(err, errlen, "subject: \"%s\" is not TYPE=value", buf);
		free(buf);
		return -1;
	}
	*eq = '\0';
	ok = X509_NAME_add_entry_by_txt(name, strcmp(buf, "E") == 0 ? "emailAddress" : buf,
	    MBSTRING_UTF8, (const unsigned char *)eq + 1, -1, -1, 0);
	if (!ok)
		snprintf(err, errlen, "subject: attribute \"%s\": %s", buf,
		    ndes_crypto_last_error("unknown"));
	free(buf);
	return ok ? 0 : -1;
}

X509_NAME *
dsim_name_from_openssl(const char *text, char *err, size_t errlen)
{
	X509_NAME *name = X509_NAME_new();
	const char *p, *start;

	if (name == NULL || text[0] != '/') {
		snprintf(err, errlen, "subject \"%s\" does not start with '/'", text);
		X509_NAME_free(name);
		return NULL;
	}
	for (p = start = text + 1; start[0] != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '+' || name_add(name, start, (size_t)(p - start), err, errlen) != 0) {
			X509_NAME_free(name);
			return NULL;
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return name;
}

/* keyUsage (critical, as Windows and the demo make it) and EKUs. */
static int
request_usages(STACK_OF(X509_EXTENSION) *exts, const struct ndes_challenge_claims *c)
{
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OBJECT *oid;
	int rc = -1;

	if (c->key_usage != 0) {
		if ((ku = ASN1_BIT_STRING_new()) == NULL)
			return -1;
		for (int bit = 0; bit < 9; bit++) {
			uint32_t mask = bit < 8 ? (0x80u >> bit) : 0x8000u;
			if ((c->key_usage & mask) && !ASN1_BIT_STRING_set_bit(ku, bit, 1))
				goto out;
		}
		if (X509V3_add1_i2d(&exts, NID_key_usage, ku, 1, X509V3_ADD_APPEND) != 1)
			goto out;
	}
	if (c->n_ekus > 0) {
		if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
			goto out;
		for (size_t i = 0; i < c->n_ekus; i++)
			if ((oid = OBJ_txt2obj(c->ekus[i], 1)) == NULL ||
			    !sk_ASN1_OBJECT_push(eku, oid)) {
				ASN1_OBJECT_free(oid);
				goto out;
			}
		if (X509V3_add1_i2d(&exts, NID_ext_key_usage, eku, 0, X509V3_ADD_APPEND) != 1)
			goto out;
	}
	rc = 0;
out:
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

static int
request_extensions(X509_REQ *req, const struct ndes_challenge_claims *c, char *err,
    size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san = NULL;
	int rc = -1;

	if (exts == NULL)
		return -1;
	if (c->n_sans > 0 && ((san = dsim_san_extension(c, err, errlen)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, san))) {
		X509_EXTENSION_free(san);
		goto out;
	}
	if (request_usages(exts, c) != 0 ||
	    (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(req, exts))) {
		snprintf(err, errlen, "request extensions: %s", ndes_crypto_last_error("failed"));
		goto out;
	}
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

X509_REQ *
dsim_request_new(const struct dsim_payload *p, EVP_PKEY *key, char *err, size_t errlen)
{
	const EVP_MD *md = EVP_get_digestbyname(p->claims.hash);
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;

	if (req == NULL || md == NULL) {
		snprintf(err, errlen, "hash \"%s\" unknown", p->claims.hash);
		goto fail;
	}
	if ((name = dsim_name_from_openssl(p->subject_openssl, err, errlen)) == NULL)
		goto fail;
	/* challengePassword as a UTF8String of any length: the PKCS#9 upper
	 * bound of 255 does not hold for Intune's challenges. */
	if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_UTF8STRING,
	    (const unsigned char *)p->challenge, (int)strlen(p->challenge))) {
		snprintf(err, errlen, "request: %s", ndes_crypto_last_error("cannot be built"));
		goto fail;
	}
	if (request_extensions(req, &p->claims, err, errlen) != 0)
		goto fail;
	if (X509_REQ_sign(req, key, md) <= 0) {
		snprintf(err, errlen, "request signature: %s", ndes_crypto_last_error("failed"));
		goto fail;
	}
	X509_NAME_free(name);
	return req;
fail:
	X509_NAME_free(name);
	X509_REQ_free(req);
	return NULL;
}
