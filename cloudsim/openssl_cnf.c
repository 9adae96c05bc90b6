/* The CSR recipe of a challenge: an `openssl req -new -config` file that
 * asks for what the profile demands (subject, SANs, key usage, EKUs) and
 * carries the challenge as challengePassword.  `openssl req -subj` would
 * drop the [attrs] section, and the password with it (docs/cloud-sim.md). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define CNF_OID_UPN "1.3.6.1.4.1.311.20.2.3"	/* Microsoft UPN otherName */

/* A value as openssl's configuration reads it back unchanged: as it is, or
 * when it has '\\', a quote, '$' (a variable), '#' (a comment) or a space at
 * either end (trimmed), in double quotes with '"' and '\\' escaped. */
static void
cnf_value(FILE *f, const char *v)
{
	size_t len = strlen(v);

	if (strpbrk(v, "\\\"'$#") == NULL && (len == 0 || (v[0] != ' ' && v[len - 1] != ' '))) {
		fprintf(f, "%s\n", v);
		return;
	}
	fputc('"', f);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
}

/* "<i>.<type> = value": the prefix lets a type repeat (openssl drops it). */
static void
cnf_rdn(void *arg, size_t i, const char *type, const char *value)
{
	fprintf(arg, "%zu.%s = ", i, type);
	cnf_value(arg, value);
}

static void
cnf_sans(FILE *f, const struct ndes_challenge_claims *cl)
{
	static const struct { const char *type, *key, *prefix; } map[] = {
		{ "email", "email", "" }, { "dns", "DNS", "" }, { "uri", "URI", "" },
		{ "upn", "otherName", CNF_OID_UPN ";UTF8:" },
	};

	fprintf(f, "\n[alt]\n");
	for (size_t i = 0; i < cl->n_sans; i++)
		for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (strcmp(cl->sans[i].type, map[k].type) == 0) {
				fprintf(f, "%s.%zu = %s", map[k].key, i, map[k].prefix);
				cnf_value(f, cl->sans[i].value);
			}
}

static void
cnf_ext(FILE *f, const struct ndes_challenge_claims *cl)
{
	const char *name, *sep = "";

	fprintf(f, "\n[ext]\n");
	if (cl->key_usage != 0) {
		fprintf(f, "keyUsage = critical");
		for (uint32_t bit = 0x80; bit != 0; bit >>= 1)
			if ((cl->key_usage & bit) && (name = ndes_challenge_key_usage_name(bit)))
				fprintf(f, ", %s", name);
		fprintf(f, "\n");
	}
	if (cl->n_ekus > 0) {
		fprintf(f, "extendedKeyUsage = ");
		for (size_t i = 0; i < cl->n_ekus; i++, sep = ", ")
			fprintf(f, "%s%s", sep, cl->ekus[i]);
		fprintf(f, "\n");
	}
	if (cl->n_sans > 0)
		fprintf(f, "subjectAltName = @alt\n");
}

static void
cnf_head(FILE *f, const struct ndes_challenge_claims *cl)
{
	bool ec = strcmp(cl->key_type, "EC") == 0;

	fprintf(f, "# The request profile \"%s\" asks of device %s (challenge %s).\n"
	    "#   openssl req -new -newkey %s%d -nodes", cl->profile_id, cl->device_id,
	    cl->challenge_id != NULL ? cl->challenge_id : "-",
	    ec ? "ec -pkeyopt ec_paramgen_curve:P-" : "rsa:", cl->min_key_bits);
	fprintf(f, " -keyout key.pem -%s \\\n"
	    "#       -config THIS-FILE -out csr.pem\n"
	    "# Not -subj: it replaces [dn] and drops [attrs], the challengePassword.\n"
	    "[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\n"
	    "distinguished_name = dn\nattributes = attrs\nreq_extensions = ext\n\n[dn]\n",
	    cl->hash);
}

char *
cloudsim_openssl_cnf(const struct ndes_challenge_claims *cl, const char *challenge)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (cl->subject == NULL || cl->subject[0] == '\0' || f == NULL) {
		if (f != NULL)
			fclose(f);
		free(text);
		return NULL;
	}
	cnf_head(f, cl);
	rc = cloudsim_subject_each_rdn(cl->subject, cnf_rdn, f);
	fprintf(f, "\n[attrs]\nchallengePassword = ");
	cnf_value(f, challenge);
	cnf_ext(f, cl);
	if (cl->n_sans > 0)
		cnf_sans(f, cl);
	if (fclose(f) != 0 || rc == -1) {
		free(text);
		return NULL;
	}
	return text;
}
