/* RFC 4514 distinguished name parsing. */
#include "dn.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

/* One attribute: type and unescaped value (may hold NUL bytes: len). */
struct dn_ava {
	char		*type;
	unsigned char	*value;
	size_t		 len;
	bool		 hex;		/* value is DER from "#hex" */
	bool		 first;		/* first AVA of its RDN (in text order) */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescape [s, end) into a fresh buffer. */
static int
dn_unescape(const char *s, const char *end, unsigned char **out, size_t *outlen)
{
	unsigned char *buf = malloc((size_t)(end - s) + 1);
	size_t n = 0;

	if (buf == NULL)
		return -1;
	while (s < end) {
		if (*s != '\\') {
			buf[n++] = (unsigned char)*s++;
			continue;
		}
		if (s + 2 < end && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			buf[n++] = (unsigned char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else if (s + 1 < end) {
			buf[n++] = (unsigned char)s[1];
			s += 2;
		} else {
			free(buf);
			return -1;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static int
dn_hex(const char *s, const char *end, unsigned char **out, size_t *outlen)
{
	size_t n = (size_t)(end - s);
	unsigned char *buf;

	if (n == 0 || n % 2 != 0 || (buf = malloc(n / 2)) == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return -1;
		}
		buf[i] = (unsigned char)(hi * 16 + lo);
	}
	*out = buf;
	*outlen = n / 2;
	return 0;
}

/* The end of the AVA starting at s: the first unescaped ',' or '+' or NUL. */
static const char *
dn_ava_end(const char *s)
{
	while (*s != '\0' && *s != ',' && *s != '+') {
		if (*s == '\\' && s[1] != '\0')
			s++;
		s++;
	}
	return s;
}

/* RFC 4514's attributeType: a descr (ALPHA *(ALPHA / DIGIT / "-")) or a
 * numericoid (numbers without leading zeros, joined by single dots), of at
 * most DN_TYPE_MAX characters (OpenSSL prints longer OIDs cut short). */
#define DN_TYPE_MAX 64

static bool
dn_type_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DN_TYPE_MAX)
		return false;
	if (isalpha((unsigned char)s[0])) {
		for (i = 1; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
		return true;
	}
	for (i = 0; i < n; i++) {
		size_t start = i;

		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || (s[start] == '0' && i - start > 1) || (i < n && s[i] != '.') ||
		    (i + 1 == n && s[i] == '.'))
			return false;
	}
	return true;
}

static int
dn_parse_ava(const char *s, const char *end, struct dn_ava *ava, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));

	if (eq == NULL || eq == s) {
		snprintf(err, errlen, "\"%.*s\" is not type=value", (int)(end - s), s);
		return -1;
	}
	if (!dn_type_ok(s, (size_t)(eq - s))) {
		snprintf(err, errlen, "\"%.*s\" is not an attribute type (a name or a dotted "
		    "OID of at most %d characters)", (int)(eq - s), s, DN_TYPE_MAX);
		return -1;
	}
	if ((ava->type = strndup(s, (size_t)(eq - s))) == NULL)
		return -1;
	if (eq[1] == '#') {
		ava->hex = true;
		if (dn_hex(eq + 2, end, &ava->value, &ava->len) == -1) {
			snprintf(err, errlen, "attribute %s: bad #hex value", ava->type);
			return -1;
		}
		return 0;
	}
	if (dn_unescape(eq + 1, end, &ava->value, &ava->len) == -1) {
		snprintf(err, errlen, "attribute %s: bad escape", ava->type);
		return -1;
	}
	return 0;
}

static void
dn_avas_free(struct dn_ava *avas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(avas[i].type);
		free(avas[i].value);
	}
	free(avas);
}

static int
dn_split(const char *text, struct dn_ava **out, size_t *nout, char *err, size_t errlen)
{
	struct dn_ava *avas = NULL;
	size_t n = 0;
	bool first = true;
	const char *s = text;

	while (*s != '\0') {
		const char *end = dn_ava_end(s);
		struct dn_ava *grown = realloc(avas, (n + 1) * sizeof(*avas));

		if (grown == NULL)
			goto fail;
		avas = grown;
		memset(&avas[n], 0, sizeof(avas[n]));
		avas[n].first = first;
		if (dn_parse_ava(s, end, &avas[n++], err, errlen) == -1)
			goto fail;
		first = *end != '+';
		if (*end == '\0')
			break;
		s = end + 1;
		if (*s == '\0') {
			snprintf(err, errlen, "empty attribute at the end");
			goto fail;
		}
	}
	*out = avas;
	*nout = n;
	return 0;
fail:
	dn_avas_free(avas, n);
	return -1;
}

/* The limits the text form gets from OpenSSL's string table (countryName:
 * PrintableString of 2 characters, ...) hold for a "#hex" value too. */
static bool
dn_hex_fits(int nid, int type, const unsigned char *utf8, int n)
{
	const ASN1_STRING_TABLE *tbl = ASN1_STRING_TABLE_get(nid);
	long chars = 0;

	if (tbl == NULL)
		return true;
	for (int i = 0; i < n; i++)
		chars += (utf8[i] & 0xC0) != 0x80;
	if ((tbl->minsize >= 0 && chars < tbl->minsize) ||
	    (tbl->maxsize >= 0 && chars > tbl->maxsize))
		return false;
	return (ASN1_tag2bit(type) & tbl->mask) != 0;
}

/* A "#hex" value must be exactly one DER character string whose bytes are
 * well-formed for its type (checked by converting it to UTF-8) and within
 * the attribute's limits: anything else (a BOOLEAN,
 * NULL, OBJECT, ... whose value is not an ASN1_STRING, a UTF8String that is
 * not UTF-8, bytes after the DER, a 7-letter country) would be put into a
 * certificate as is.  NULL when it is not. */
static ASN1_TYPE *
dn_hex_string(const struct dn_ava *ava, int nid)
{
	const unsigned long allowed = B_ASN1_DIRECTORYSTRING | B_ASN1_IA5STRING |
	    B_ASN1_NUMERICSTRING | B_ASN1_VISIBLESTRING;
	const unsigned char *p = ava->value;
	ASN1_TYPE *at = d2i_ASN1_TYPE(NULL, &p, (long)ava->len);
	unsigned char *utf8 = NULL;
	int n = -1;

	if (at != NULL && p == ava->value + ava->len &&
	    (ASN1_tag2bit(at->type) & allowed) != 0)
		n = ASN1_STRING_to_UTF8(&utf8, at->value.asn1_string);
	if (n < 0 || !dn_hex_fits(nid, at->type, utf8, n)) {
		ASN1_TYPE_free(at);
		at = NULL;
	}
	OPENSSL_free(utf8);
	return at;
}

static int
dn_add(X509_NAME *name, const struct dn_ava *ava, int set, char *err, size_t errlen)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(ava->type, 0);
	ASN1_TYPE *at = NULL;
	int ok;

	if (obj == NULL) {
		snprintf(err, errlen, "unknown attribute type \"%s\"", ava->type);
		ERR_clear_error();
		return -1;
	}
	if (ava->hex && (at = dn_hex_string(ava, OBJ_obj2nid(obj))) == NULL) {
		snprintf(err, errlen, "attribute %s: the #hex value is not one well-formed "
		    "character string within the attribute's limits", ava->type);
		ok = -1;
	} else if (ava->hex)
		ok = X509_NAME_add_entry_by_OBJ(name, obj, at->type,
		    ASN1_STRING_get0_data(at->value.asn1_string),
		    ASN1_STRING_length(at->value.asn1_string), -1, set) == 1;
	else
		ok = X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8, ava->value,
		    (int)ava->len, -1, set) == 1;
	if (ok == 0)
		snprintf(err, errlen, "attribute %s: value refused (%s)", ava->type,
		    ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "bad value");
	ERR_clear_error();
	ASN1_TYPE_free(at);
	ASN1_OBJECT_free(obj);
	return ok == 1 ? 0 : -1;
}

X509_NAME *
conn_dn_parse(const char *text, char *err, size_t errlen)
{
	struct dn_ava *avas = NULL;
	X509_NAME *name = X509_NAME_new();
	size_t n = 0;

	if (name == NULL || dn_split(text, &avas, &n, err, errlen) == -1)
		goto fail;
	/* Text order is the reverse of DER order, AVAs inside an RDN too:
	 * walk backwards; an AVA starts a new RDN after an RDN's text-first
	 * AVA was added. */
	for (size_t i = n; i > 0; i--) {
		bool starts = (i == n) || avas[i].first;

		if (dn_add(name, &avas[i - 1], starts ? 0 : -1, err, errlen) == -1)
			goto fail;
	}
	dn_avas_free(avas, n);
	return name;
fail:
	dn_avas_free(avas, n);
	X509_NAME_free(name);
	return NULL;
}

char *
conn_dn_oneline(const X509_NAME *name)
{
	char *ossl = X509_NAME_oneline(name, NULL, 0), *copy;

	if (ossl == NULL)
		return NULL;
	copy = strdup(ossl);
	OPENSSL_free(ossl);
	return copy;
}
