/* A planned subject (RFC 4514 text as ndes_crypto_name_to_string() writes
 * it) in the forms devices need to build their request: `openssl req
 * -subj`, a JSON list of RDNs and micromdm scepclient's flags. */
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

struct subject_rdn {
	char type[64];
	char *value;
};

struct subject_rdns {
	struct subject_rdn rdns[CLOUDSIM_MAX_RDNS * 2];   /* string order */
	size_t n;
};

static void
rdns_clear(struct subject_rdns *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rdns[i].value);
	s->n = 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One value up to an unescaped ',' (RFC 4514 escapes: \c and \XX). */
static char *
parse_value(const char **pp)
{
	const char *p = *pp;
	char *v = malloc(strlen(p) + 1), *w = v;

	if (v == NULL)
		return NULL;
	for (; *p != '\0' && *p != ','; p++) {
		if (*p == '+')
			break;              /* multi-valued RDN: not ours */
		if (*p != '\\')
			*w++ = *p;
		else if (hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*w++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else if (p[1] != '\0')
			*w++ = *++p;
		else
			break;
	}
	*w = '\0';
	if (*p != '\0' && *p != ',') {
		free(v);
		return NULL;
	}
	*pp = p;
	return v;
}

static int
rdns_parse(const char *subject, struct subject_rdns *s)
{
	const char *p = subject, *eq;
	struct subject_rdn *r;

	s->n = 0;
	while (*p != '\0') {
		if ((eq = strchr(p, '=')) == NULL || eq == p ||
		    (size_t)(eq - p) >= sizeof(r->type) ||
		    s->n == sizeof(s->rdns) / sizeof(s->rdns[0]))
			goto fail;
		r = &s->rdns[s->n];
		memcpy(r->type, p, eq - p);
		r->type[eq - p] = '\0';
		if (strpbrk(r->type, ",+\\") != NULL)
			goto fail;
		p = eq + 1;
		if ((r->value = parse_value(&p)) == NULL)
			goto fail;
		s->n++;
		if (*p == ',' && *++p == '\0')
			goto fail;
	}
	return 0;
fail:
	rdns_clear(s);
	return -1;
}

int
cloudsim_subject_each_rdn(const char *subject, cloudsim_rdn_fn fn, void *arg)
{
	struct subject_rdns s;

	if (subject == NULL || rdns_parse(subject, &s) == -1)
		return -1;
	for (size_t i = s.n; i > 0; i--)
		fn(arg, s.n - i, s.rdns[i - 1].type, s.rdns[i - 1].value);
	rdns_clear(&s);
	return 0;
}

char *
cloudsim_subject_to_openssl_subj(const char *subject)
{
	struct subject_rdns s;
	size_t len = 2;
	char *out, *w;

	if (subject == NULL || rdns_parse(subject, &s) == -1)
		return NULL;
	for (size_t i = 0; i < s.n; i++)
		len += strlen(s.rdns[i].type) + 2 * strlen(s.rdns[i].value) + 2;
	if ((out = w = malloc(len)) != NULL) {
		*w = '\0';
		if (s.n == 0)
			strcpy(out, "/");
		for (size_t i = s.n; i > 0; i--) {
			*w++ = '/';
			w = stpcpy(w, s.rdns[i - 1].type);
			*w++ = '=';
			for (const char *v = s.rdns[i - 1].value; *v != '\0'; v++) {
				if (*v == '/' || *v == '+' || *v == '\\')
					*w++ = '\\';
				*w++ = *v;
			}
			*w = '\0';
		}
	}
	rdns_clear(&s);
	return out;
}

/* scepclient writes C, ST, L, O, OU, CN (string order: CN first), each
 * at most once, empty ones left out. */
static const struct {
	const char *type;
	const char *flag;
} scepclient_flags[] = {
	{ "CN", "-cn" }, { "OU", "-ou" }, { "O", "-organization" },
	{ "L", "-locality" }, { "ST", "-province" }, { "C", "-country" },
};
#define N_SCEPCLIENT_FLAGS (sizeof(scepclient_flags) / sizeof(scepclient_flags[0]))

static json_t *
scepclient_args(const struct subject_rdns *s)
{
	const char *vals[N_SCEPCLIENT_FLAGS] = { 0 };
	size_t i, k = 0;
	json_t *args;

	for (i = 0; i < s->n; i++) {
		while (k < N_SCEPCLIENT_FLAGS &&
		    strcmp(scepclient_flags[k].type, s->rdns[i].type) != 0)
			k++;
		if (k == N_SCEPCLIENT_FLAGS)
			return json_null();
		vals[k++] = s->rdns[i].value;
	}
	if ((args = json_array()) == NULL)
		return NULL;
	for (i = 0; i < N_SCEPCLIENT_FLAGS; i++) {
		json_array_append_new(args, json_string(scepclient_flags[i].flag));
		json_array_append_new(args, json_string(vals[i] ? vals[i] : ""));
	}
	return args;
}

static json_t *
rdns_json(const struct subject_rdns *s)
{
	json_t *a = json_array();

	for (size_t i = s->n; a != NULL && i > 0; i--)
		json_array_append_new(a, json_pack("{s:s, s:s}", "type",
		    s->rdns[i - 1].type, "value", s->rdns[i - 1].value));
	return a;
}

json_t *
cloudsim_subject_to_json(const char *subject)
{
	struct subject_rdns s;
	char *subj;
	json_t *o = NULL;

	if ((subj = cloudsim_subject_to_openssl_subj(subject)) == NULL)
		return NULL;
	if (rdns_parse(subject, &s) == 0) {
		o = json_pack("{s:s, s:s, s:o*, s:o*}", "subject", subject,
		    "openssl_subj", subj, "rdns", rdns_json(&s),
		    "scepclient", scepclient_args(&s));
		rdns_clear(&s);
	}
	free(subj);
	return o;
}
