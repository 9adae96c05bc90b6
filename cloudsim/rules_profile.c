/* The rules of SCEP certificate profiles that do not depend on a device
 * (the reference's settings, one function each), and the values derived
 * at load: template, key usage bits, validity, hash, key size, EKU OIDs. */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

struct prof {
	struct cloudsim_config *c;
	struct cloudsim_scep_profile *p;
	struct cloudsim_check *chk;
	size_t i;
	char msg[CLOUDSIM_ERR_MAX];
};

/* Fail with pr->msg (written by the caller) at scep_profiles[i].<key>. */
static int
fail(struct prof *pr, const char *key)
{
	return cloudsim_check_fail(pr->chk, pr->msg, "scep_profiles[%zu].%s", pr->i, key);
}

static int
failf(struct prof *pr, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(struct prof *pr, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pr->msg, sizeof(pr->msg), fmt, ap);
	va_end(ap);
	return fail(pr, key);
}

static bool
is_user(const struct cloudsim_scep_profile *p)
{
	return p->certificate_type == NDES_CHALLENGE_CERT_USER;
}

static int
rule_cert_type(struct prof *pr)
{
	int pl = pr->p->platform;

	if (is_user(pr->p) || (pl != CLOUDSIM_PLATFORM_ANDROID &&
	    pl != CLOUDSIM_PLATFORM_WINDOWS_PHONE_81))
		return 0;
	return failf(pr, "certificate_type", "device certificates are not available "
	    "for %s (only for Android Enterprise, iOS, macOS, Windows 8.1 and later "
	    "and Windows 10 and later)", cloudsim_platform_name(pl));
}

static int
rule_subject(struct prof *pr)
{
	struct cloudsim_scep_profile *p = pr->p;
	int f = p->subject_name_format;

	if (f == CLOUDSIM_SUBJECT_CUSTOM && p->custom_subject == NULL)
		return failf(pr, "custom_subject", "missing required key "
		    "(subject_name_format is custom)");
	if (f != CLOUDSIM_SUBJECT_CUSTOM && p->custom_subject != NULL)
		return failf(pr, "custom_subject", "only used with subject_name_format: custom");
	if (is_user(p))
		return 0;
	if (f == CLOUDSIM_SUBJECT_COMMON_NAME || f == CLOUDSIM_SUBJECT_COMMON_NAME_AS_EMAIL ||
	    f == CLOUDSIM_SUBJECT_COMMON_NAME_INCLUDING_EMAIL)
		return failf(pr, "subject_name_format", "\"%s\" is for user certificates "
		    "(device certificates: not_configured, imei, serial_number or custom)",
		    cloudsim_subject_format_key(f));
	if (cloudsim_text_check_device(cloudsim_subject_text(p), pr->msg,
	    sizeof(pr->msg)) == -1)
		return fail(pr, f == CLOUDSIM_SUBJECT_CUSTOM ? "custom_subject" :
		    "subject_name_format");
	return 0;
}

static int
rule_san(struct prof *pr, size_t j)
{
	struct cloudsim_san_setting *s = &pr->p->sans[j];
	bool user = is_user(pr->p);
	char key[96];

	snprintf(key, sizeof(key), "subject_alternative_names[%zu].type", j);
	if (user ? strcmp(s->type, "dns") == 0 :
	    strcmp(s->type, "email") == 0 || strcmp(s->type, "upn") == 0)
		return failf(pr, key, "\"%s\" is not available in %s certificates (%s)",
		    s->type, user ? "user" : "device", user ? "email, upn or uri" :
		    "dns or uri");
	snprintf(key, sizeof(key), "subject_alternative_names[%zu].value", j);
	if (s->value == NULL && strcmp(s->type, "email") == 0)
		s->value = strdup("{{EmailAddress}}");
	else if (s->value == NULL && strcmp(s->type, "upn") == 0)
		s->value = strdup("{{UserName}}");
	else if (s->value == NULL)
		return failf(pr, key, "missing required key (for type %s)", s->type);
	if (s->value == NULL)
		return failf(pr, key, "out of memory");
	if (!user && cloudsim_text_check_device(s->value, pr->msg, sizeof(pr->msg)) == -1)
		return fail(pr, key);
	return 0;
}

static int
rule_sans(struct prof *pr)
{
	if (pr->p->n_sans > NDES_CHALLENGE_MAX_SANS)
		return failf(pr, "subject_alternative_names", "more than %d subject "
		    "alternative names", NDES_CHALLENGE_MAX_SANS);
	for (size_t j = 0; j < pr->p->n_sans; j++)
		if (rule_san(pr, j) == -1)
			return -1;
	return 0;
}

static uint32_t
purpose_bits(int purpose)
{
	switch (purpose) {
	case CLOUDSIM_PURPOSE_SIGNATURE: return KU_DIGITAL_SIGNATURE;
	case CLOUDSIM_PURPOSE_ENCRYPTION: return KU_KEY_ENCIPHERMENT;
	default: return KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
	}
}

static int
bits_purpose(uint32_t bits)
{
	if (bits == KU_DIGITAL_SIGNATURE)
		return CLOUDSIM_PURPOSE_SIGNATURE;
	if (bits == KU_KEY_ENCIPHERMENT)
		return CLOUDSIM_PURPOSE_ENCRYPTION;
	return CLOUDSIM_PURPOSE_SIGNATURE_AND_ENCRYPTION;
}

static const char *
bits_text(uint32_t bits)
{
	if (bits == KU_DIGITAL_SIGNATURE)
		return "digitalSignature";
	if (bits == KU_KEY_ENCIPHERMENT)
		return "keyEncipherment";
	return "digitalSignature and keyEncipherment";
}

/* The one template whose purpose matches the key usage, as NDES picks
 * SignatureTemplate, EncryptionTemplate or GeneralPurposeTemplate. */
static const struct cloudsim_template *
template_by_usage(struct prof *pr, uint32_t bits)
{
	const struct cloudsim_template *found = NULL;
	int purpose = bits_purpose(bits);
	size_t n = 0;

	for (size_t k = 0; k < pr->c->n_templates; k++)
		if (pr->c->templates[k].purpose == purpose && n++ == 0)
			found = &pr->c->templates[k];
	if (n == 1)
		return found;
	failf(pr, "key_usage", n == 0 ? "no template has the purpose %s (%s) that "
	    "%s needs" : "several templates have the purpose %s (%s) that %s needs: "
	    "name one with template", cloudsim_template_purpose_key(purpose),
	    cloudsim_template_purpose_name(purpose), bits_text(bits));
	return NULL;
}

static int
key_usage_bits(struct prof *pr, uint32_t *bits)
{
	uint32_t bit;

	*bits = 0;
	for (size_t k = 0; k < pr->p->n_key_usage_names; k++)
		if (ndes_challenge_key_usage_from_name(pr->p->key_usage_names[k], &bit) == 0)
			*bits |= bit;
	if (pr->p->n_key_usage_names > 0 || pr->p->template_name != NULL)
		return 0;
	return failf(pr, "key_usage", "missing required key (or name a template)");
}

static const struct cloudsim_template *
rule_template_usage(struct prof *pr)
{
	struct cloudsim_scep_profile *p = pr->p;
	const struct cloudsim_template *t;
	uint32_t bits;

	if (key_usage_bits(pr, &bits) == -1)
		return NULL;
	if (p->template_name == NULL) {
		if ((t = template_by_usage(pr, bits)) != NULL &&
		    (p->template_name = strdup(t->name)) == NULL)
			failf(pr, "template", "out of memory");
		p->key_usage = bits;
		return p->template_name != NULL ? t : NULL;
	}
	if ((t = cloudsim_find_template(pr->c, p->template_name)) == NULL) {
		failf(pr, "template", "unknown template \"%s\"", p->template_name);
		return NULL;
	}
	p->key_usage = p->n_key_usage_names > 0 ? bits : purpose_bits(t->purpose);
	if (p->key_usage != purpose_bits(t->purpose)) {
		failf(pr, "key_usage", "%s does not match template \"%s\": its purpose "
		    "%s (%s) means %s", bits_text(bits), t->name,
		    cloudsim_template_purpose_key(t->purpose),
		    cloudsim_template_purpose_name(t->purpose),
		    bits_text(purpose_bits(t->purpose)));
		return NULL;
	}
	return t;
}

static int
rule_template(struct prof *pr)
{
	struct cloudsim_scep_profile *p = pr->p;
	const struct cloudsim_template *t;

	if ((t = rule_template_usage(pr)) == NULL)
		return -1;
	if (p->validity_given && p->validity_days > t->validity_days)
		return failf(pr, "validity_days", "%lld days exceeds the validity of "
		    "template \"%s\" (%lld days)", (long long)p->validity_days, t->name,
		    (long long)t->validity_days);
	/* iOS and macOS always use the template's validity */
	if (!p->validity_given || p->platform == CLOUDSIM_PLATFORM_IOS ||
	    p->platform == CLOUDSIM_PLATFORM_MACOS)
		p->validity_days = t->validity_days;
	return 0;
}

int
cloudsim_rules_profiles(struct cloudsim_config *c, struct cloudsim_check *chk)
{
	struct prof pr = { .c = c, .chk = chk };

	for (pr.i = 0; pr.i < c->n_profiles; pr.i++) {
		pr.p = &c->profiles[pr.i];
		if (rule_cert_type(&pr) == -1 || rule_subject(&pr) == -1 ||
		    rule_sans(&pr) == -1 || rule_template(&pr) == -1 ||
		    cloudsim_rules_profile_settings(c, pr.p, chk, pr.i) == -1 ||
		    cloudsim_check_groups(c, chk, pr.p->assignments, pr.p->n_assignments,
		    "scep_profiles", pr.i) == -1)
			return -1;
	}
	return 0;
}
