/* Subject name formats: the text of each format, the CertStrToName-style
 * parser of custom subjects ("CN={{UserName}},E={{EmailAddress}},O=Contoso")
 * with its rules, and the exact subject string of an expanded template. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>

#include "crypto.h"
#include "model_int.h"

/* The attributes a profile may write, as CertStrToName names them. */
static const struct {
	const char *attr;
	const char *sn;
	bool variables;              /* may hold {{Variables}} */
} subject_attrs[] = {
	{ "CN", "CN", true },
	{ "E", "emailAddress", true },
	{ "OU", "OU", false },
	{ "O", "O", false },
	{ "L", "L", false },
	{ "ST", "ST", false },
	{ "S", "ST", false },
	{ "C", "C", false },
	{ "DC", "DC", false },
};

const char *
cloudsim_subject_text(const struct cloudsim_scep_profile *p)
{
	switch (p->subject_name_format) {
	case CLOUDSIM_SUBJECT_COMMON_NAME:
		return "CN={{UserName}}";
	case CLOUDSIM_SUBJECT_COMMON_NAME_INCLUDING_EMAIL:
		return "CN={{UserName}},E={{EmailAddress}}";
	case CLOUDSIM_SUBJECT_COMMON_NAME_AS_EMAIL:
		return "CN={{EmailAddress}}";
	case CLOUDSIM_SUBJECT_IMEI:
		return "CN={{IMEINumber}}";
	case CLOUDSIM_SUBJECT_SERIAL_NUMBER:
		return "CN={{SerialNumber}}";
	case CLOUDSIM_SUBJECT_CUSTOM:
		return p->custom_subject != NULL ? p->custom_subject : "";
	default:
		return "";
	}
}

static int
attr_index(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(subject_attrs) / sizeof(subject_attrs[0]); i++)
		if (strlen(subject_attrs[i].attr) == len &&
		    strncasecmp(subject_attrs[i].attr, s, len) == 0)
			return (int)i;
	return -1;
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A value: quoted ("" is a quote inside) or up to the next separator,
 * spaces around it dropped.  *pp is left at the separator or the end. */
static char *
parse_value(const char **pp, char *err, size_t errlen)
{
	const char *p = skip_space(*pp), *start;
	char *v, *w;
	size_t n;

	if (*p == '"') {
		if ((v = w = malloc(strlen(p) + 1)) == NULL)
			return NULL;
		for (p++; *p != '\0' && !(p[0] == '"' && p[1] != '"'); p++)
			*w++ = *p == '"' ? *p++ : *p;
		*w = '\0';
		if (*p != '"') {
			free(v);
			cloudsim_errf(err, errlen, "unterminated quoted value");
			return NULL;
		}
		*pp = skip_space(p + 1);
		return v;
	}
	start = p;
	while (*p != '\0' && *p != ',' && *p != ';')
		p++;
	*pp = p;
	for (n = p - start; n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'); n--)
		;
	return strndup(start, n);
}

static int
rdn_check(const struct cloudsim_rdn_tmpl *r, bool variables, char *err, size_t errlen)
{
	if (r->value[0] == '\0')
		return cloudsim_errf(err, errlen, "empty value for %s", r->attr);
	if (cloudsim_text_check(r->value, CLOUDSIM_TEXT_SUBJECT, err, errlen) == -1)
		return -1;
	if (!variables && strstr(r->value, "{{") != NULL)
		return cloudsim_errf(err, errlen, "variables are supported only in CN "
		    "and E, not in %s", r->attr);
	if (strcmp(r->sn, "C") == 0 && (strlen(r->value) != 2 ||
	    !isalpha((unsigned char)r->value[0]) || !isalpha((unsigned char)r->value[1])))
		return cloudsim_errf(err, errlen, "C must be a two-letter country "
		    "code, got \"%s\"", r->value);
	return 0;
}

/* One "ATTR=value" at *pp. */
static int
parse_rdn(const char **pp, struct cloudsim_subject_tmpl *t, char *err, size_t errlen)
{
	const char *p = skip_space(*pp), *eq = p;
	struct cloudsim_rdn_tmpl *r;
	size_t n;
	int ai;

	while (*eq != '\0' && *eq != '=' && *eq != ',' && *eq != ';')
		eq++;
	for (n = eq - p; n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
		;
	if (*eq != '=' || n == 0)
		return cloudsim_errf(err, errlen, "expected ATTRIBUTE=value, got \"%.*s\"",
		    (int)(eq - p), p);
	if ((ai = attr_index(p, n)) == -1)
		return cloudsim_errf(err, errlen, "unknown attribute \"%.*s\" (expected "
		    "CN, E, OU, O, L, ST, C or DC)", (int)n, p);
	if (t->n == CLOUDSIM_MAX_RDNS)
		return cloudsim_errf(err, errlen, "more than %d attributes",
		    CLOUDSIM_MAX_RDNS);
	r = &t->rdns[t->n];
	r->attr = subject_attrs[ai].attr;
	r->sn = subject_attrs[ai].sn;
	*pp = eq + 1;
	if ((r->value = parse_value(pp, err, errlen)) == NULL)
		return -1;
	t->n++;
	if (**pp != '\0' && **pp != ',' && **pp != ';')
		return cloudsim_errf(err, errlen, "unexpected text after the quoted "
		    "value of %s", r->attr);
	return rdn_check(r, subject_attrs[ai].variables, err, errlen);
}

int
cloudsim_subject_parse(const char *text, struct cloudsim_subject_tmpl *t,
    char *err, size_t errlen)
{
	const char *p = skip_space(text);

	memset(t, 0, sizeof(*t));
	if (*p == '\0')
		return 0;
	for (;;) {
		if (parse_rdn(&p, t, err, errlen) == -1) {
			cloudsim_subject_tmpl_clear(t);
			return -1;
		}
		if (*p == '\0')
			return 0;
		if (*skip_space(++p) == '\0') {
			cloudsim_subject_tmpl_clear(t);
			return cloudsim_errf(err, errlen, "expected ATTRIBUTE=value "
			    "after \"%c\"", p[-1]);
		}
	}
}

void
cloudsim_subject_tmpl_clear(struct cloudsim_subject_tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rdns[i].value);
	memset(t, 0, sizeof(*t));
}

int
cloudsim_subject_build(const struct cloudsim_subject_tmpl *t, char *const *values,
    char **out, char *err, size_t errlen)
{
	X509_NAME *name;
	size_t i;
	int rc = 0;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL)
		return cloudsim_errf(err, errlen, "out of memory");
	/* written order is the RFC 4514 order: the last RDN of the DER first */
	for (i = t->n; i > 0 && rc == 0; i--)
		if (X509_NAME_add_entry_by_txt(name, t->rdns[i - 1].sn, MBSTRING_UTF8,
		    (const unsigned char *)values[i - 1], -1, -1, 0) != 1)
			rc = cloudsim_errf(err, errlen, "the value of %s is not valid "
			    "(%s): \"%s\"", t->rdns[i - 1].attr,
			    ndes_crypto_last_error("bad value"), values[i - 1]);
	if (rc == 0 && (*out = ndes_crypto_name_to_string(name)) == NULL)
		rc = cloudsim_errf(err, errlen, "out of memory");
	X509_NAME_free(name);
	ERR_clear_error();
	return rc;
}
