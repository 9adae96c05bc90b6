/* The subjectAltName a device asks for (dsim.h): email as rfc822Name, dns
 * as dNSName, uri as uniformResourceIdentifier, upn as the Microsoft UPN
 * otherName (1.3.6.1.4.1.311.20.2.3, a UTF8String), in the claims' order. */
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "dsim.h"

#define DSIM_OID_UPN "1.3.6.1.4.1.311.20.2.3"

static GENERAL_NAME *
san_upn(const char *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OBJECT *oid = OBJ_txt2obj(DSIM_OID_UPN, 1);
	ASN1_TYPE *any = ASN1_TYPE_new();
	ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();

	if (gn == NULL || oid == NULL || any == NULL || s == NULL ||
	    !ASN1_STRING_set(s, value, (int)strlen(value)))
		goto fail;
	ASN1_TYPE_set(any, V_ASN1_UTF8STRING, s);
	s = NULL;
	if (!GENERAL_NAME_set0_othername(gn, oid, any))
		goto fail;
	return gn;
fail:
	GENERAL_NAME_free(gn);
	ASN1_OBJECT_free(oid);
	ASN1_TYPE_free(any);
	ASN1_UTF8STRING_free(s);
	return NULL;
}

static GENERAL_NAME *
san_ia5(int type, const char *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (gn == NULL || s == NULL || !ASN1_STRING_set(s, value, (int)strlen(value))) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, type, s);
	return gn;
}

static GENERAL_NAME *
san_one(const struct ndes_challenge_san *san)
{
	if (strcmp(san->type, "upn") == 0)
		return san_upn(san->value);
	if (strcmp(san->type, "email") == 0)
		return san_ia5(GEN_EMAIL, san->value);
	if (strcmp(san->type, "dns") == 0)
		return san_ia5(GEN_DNS, san->value);
	if (strcmp(san->type, "uri") == 0)
		return san_ia5(GEN_URI, san->value);
	return NULL;
}

X509_EXTENSION *
dsim_san_extension(const struct ndes_challenge_claims *c, char *err, size_t errlen)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	X509_EXTENSION *ext = NULL;
	GENERAL_NAME *gn;

	for (size_t i = 0; names != NULL && i < c->n_sans; i++) {
		if ((gn = san_one(&c->sans[i])) == NULL || !sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			snprintf(err, errlen, "SAN %s \"%s\": cannot be encoded", c->sans[i].type,
			    c->sans[i].value);
			GENERAL_NAMES_free(names);
			return NULL;
		}
	}
	if (names == NULL ||
	    (ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names)) == NULL)
		snprintf(err, errlen, "subjectAltName: cannot be encoded");
	GENERAL_NAMES_free(names);
	return ext;
}
