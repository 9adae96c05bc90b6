/* cloudsim_plan(): from (device, profile, user) to the exact claims of a
 * challenge, after every rule of the reference (docs/cloud-sim.md lists
 * the refusals in the order they are checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>

#include "crypto.h"
#include "model_int.h"

struct plan {
	const struct cloudsim_config *config;
	const struct cloudsim_scep_profile *p;
	const struct cloudsim_device *d;
	const struct cloudsim_user *u;
	struct ndes_challenge_claims *claims;
	char *err;
	size_t errlen;
};

static const char *
device_platform_name(int platform)
{
	switch (platform) {
	case CLOUDSIM_PLATFORM_WINDOWS_81: return "Windows 8.1";
	case CLOUDSIM_PLATFORM_WINDOWS_10: return "Windows 10";
	default: return cloudsim_platform_name(platform);
	}
}

/* The device by its ID, else by its name when exactly one device has it
 * (docs/cloud-sim.md, "Devices"). */
static int
plan_find_device(struct plan *pl, const char *key)
{
	const struct cloudsim_device *found = NULL;
	size_t n = 0;

	if ((pl->d = cloudsim_find_device(pl->config, key)) != NULL)
		return 0;
	for (size_t i = 0; key != NULL && i < pl->config->n_devices; i++)
		if (pl->config->devices[i].name != NULL &&
		    strcmp(pl->config->devices[i].name, key) == 0 && n++ == 0)
			found = &pl->config->devices[i];
	if (n == 1) {
		pl->d = found;
		return 0;
	}
	if (n > 1)
		return cloudsim_errf(pl->err, pl->errlen, "device name \"%s\" is shared by "
		    "%zu devices: name the device by its ID", key, n);
	return cloudsim_errf(pl->err, pl->errlen, "unknown device \"%s\"", key ? key : "");
}

/* Who and what: profile, device, user, platform. */
static int
plan_find(struct plan *pl, const char *device_id, const char *profile_name,
    const char *user_upn)
{
	if ((pl->p = cloudsim_find_profile(pl->config, profile_name)) == NULL)
		return cloudsim_errf(pl->err, pl->errlen, "unknown profile \"%s\"",
		    profile_name ? profile_name : "");
	if (plan_find_device(pl, device_id) != 0)
		return -1;
	if (pl->p->certificate_type == NDES_CHALLENGE_CERT_USER) {
		if (user_upn == NULL || *user_upn == '\0')
			return cloudsim_errf(pl->err, pl->errlen, "profile \"%s\" makes "
			    "user certificates: a user is required", pl->p->name);
		if ((pl->u = cloudsim_find_user(pl->config, user_upn)) == NULL)
			return cloudsim_errf(pl->err, pl->errlen, "unknown user \"%s\"",
			    user_upn);
	}
	if (!cloudsim_platform_reaches(pl->p->platform, pl->d->platform))
		return cloudsim_errf(pl->err, pl->errlen, "profile \"%s\" does not reach "
		    "device \"%s\": the profile is for %s, the device runs %s",
		    pl->p->name, pl->d->id, cloudsim_platform_name(pl->p->platform),
		    device_platform_name(pl->d->platform));
	return 0;
}

/* Seconds from now to the CA's notAfter (0 once expired). */
static int64_t
ca_remaining_s(X509 *ca, time_t now)
{
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	int days = 0, secs = 0;

	if (t == NULL || ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(ca)) != 1)
		days = secs = 0;
	ASN1_TIME_free(t);
	if (days < 0 || secs < 0)
		return 0;
	return (int64_t)days * 86400 + secs;
}

/* The reference: the validity must be shorter than the issuing CA's
 * remaining life, compared to the second (equal is refused). */
static int
plan_validity(struct plan *pl, X509 *issuing_ca, time_t now)
{
	int64_t left;

	if (issuing_ca == NULL)
		return 0;
	left = ca_remaining_s(issuing_ca, now);
	if (pl->p->validity_days * 86400 >= left)
		return cloudsim_errf(pl->err, pl->errlen, "profile \"%s\" fails: validity "
		    "of %lld days is not shorter than the issuing CA's remaining validity "
		    "(%lld days %02d:%02d:%02d)", pl->p->name, (long long)pl->p->validity_days,
		    (long long)(left / 86400), (int)(left % 86400 / 3600),
		    (int)(left % 3600 / 60), (int)(left % 60));
	return 0;
}

static bool
profile_uses(const struct cloudsim_scep_profile *p, const char *var)
{
	if (cloudsim_text_uses(cloudsim_subject_text(p), var))
		return true;
	for (size_t i = 0; i < p->n_sans; i++)
		if (cloudsim_text_uses(p->sans[i].value, var))
			return true;
	return false;
}

static int
not_installed(struct plan *pl, const char *why)
{
	return cloudsim_errf(pl->err, pl->errlen, "profile \"%s\" is not installed on "
	    "device \"%s\": %s", pl->p->name, pl->d->id, why);
}

/* Expand one text; on a missing value, the refusal naming the variable. */
static char *
plan_expand(struct plan *pl, const char *text)
{
	struct cloudsim_var_ctx ctx = { .device = pl->d, .user = pl->u };
	const struct cloudsim_variable *missing;
	char why[CLOUDSIM_ERR_MAX];
	char *out;

	if ((out = cloudsim_expand(text, &ctx, &missing)) != NULL)
		return out;
	if (missing == NULL) {
		cloudsim_errf(pl->err, pl->errlen, "out of memory");
		return NULL;
	}
	if (missing->source <= CLOUDSIM_VAR_USER_DN && pl->u != NULL)
		snprintf(why, sizeof(why), "user \"%s\" has no value for {{%s}}",
		    pl->u->upn, missing->name);
	else
		snprintf(why, sizeof(why), "the device has no value for {{%s}}",
		    missing->name);
	not_installed(pl, why);
	return NULL;
}

static int
plan_subject(struct plan *pl)
{
	struct cloudsim_subject_tmpl t;
	char *values[CLOUDSIM_MAX_RDNS] = { 0 };
	char why[CLOUDSIM_ERR_MAX];
	size_t i;
	int rc;

	if ((rc = cloudsim_subject_parse(cloudsim_subject_text(pl->p), &t, why,
	    sizeof(why))) == -1)
		return not_installed(pl, why);
	for (i = 0; i < t.n && rc == 0; i++)
		if ((values[i] = plan_expand(pl, t.rdns[i].value)) == NULL)
			rc = -1;
	if (rc == 0 && (rc = cloudsim_subject_build(&t, values, &pl->claims->subject,
	    why, sizeof(why))) == -1)
		not_installed(pl, why);
	for (i = 0; i < t.n; i++)
		free(values[i]);
	cloudsim_subject_tmpl_clear(&t);
	return rc;
}

static int
plan_sans(struct plan *pl)
{
	struct ndes_challenge_claims *c = pl->claims;

	for (size_t i = 0; i < pl->p->n_sans; i++) {
		if ((c->sans[i].value = plan_expand(pl, pl->p->sans[i].value)) == NULL)
			return -1;
		c->n_sans++;
		if ((c->sans[i].type = strdup(pl->p->sans[i].type)) == NULL)
			return cloudsim_errf(pl->err, pl->errlen, "out of memory");
	}
	return 0;
}

static int
plan_variables(struct plan *pl)
{
	if (profile_uses(pl->p, "FullyQualifiedDomainName") &&
	    (!cloudsim_platform_is_windows(pl->d->platform) || !pl->d->domain_joined))
		return not_installed(pl, "{{FullyQualifiedDomainName}} works only for "
		    "Windows domain-joined devices");
	if (plan_subject(pl) == -1 || plan_sans(pl) == -1)
		return -1;
	return 0;
}

/* The SHA-256 of the profile's trusted root certificate (claims'
 * trustedRoot, made when the configuration was loaded); NULL when it has
 * none loaded. */
static char *
plan_trusted_root(const struct plan *pl)
{
	const struct cloudsim_trusted_profile *t =
	    cloudsim_find_trusted_profile(pl->config, pl->p->root_certificate);

	if (t == NULL || t->sha256_hex == NULL)
		return NULL;
	return strdup(t->sha256_hex);
}

/* Everything that comes straight from the profile. */
static int
plan_settings(struct plan *pl)
{
	const struct cloudsim_scep_profile *p = pl->p;
	struct ndes_challenge_claims *c = pl->claims;
	bool oom;

	c->version = NDES_CHALLENGE_VERSION;
	c->cert_type = p->certificate_type;
	c->profile_id = strdup(p->name);
	c->device_id = strdup(pl->d->id);
	c->user_id = pl->u != NULL ? strdup(pl->u->upn) : NULL;
	c->key_type = strdup(p->key_type);
	c->min_key_bits = (int)p->key_size;
	c->key_usage = p->key_usage;
	c->hash = strdup(p->hash_algorithm);
	c->validity_days = (int)p->validity_days;
	c->template_name = strdup(p->template_name);
	c->trusted_root = plan_trusted_root(pl);
	oom = !c->profile_id || !c->device_id || (pl->u && !c->user_id) ||
	    !c->key_type || !c->hash || !c->template_name;
	for (size_t i = 0; i < p->n_extended_key_usages && !oom; i++)
		if ((c->ekus[c->n_ekus++] = strdup(p->extended_key_usages[i])) == NULL)
			oom = true;
	return oom ? cloudsim_errf(pl->err, pl->errlen, "out of memory") : 0;
}

int
cloudsim_plan(const struct cloudsim_config *config, const char *device_id,
    const char *profile_name, const char *user_upn, X509 *issuing_ca, time_t now,
    struct ndes_challenge_claims *claims, char *err, size_t errlen)
{
	struct plan pl = { .config = config, .claims = claims, .err = err,
	    .errlen = errlen };

	memset(claims, 0, sizeof(*claims));
	if (plan_find(&pl, device_id, profile_name, user_upn) == -1 ||
	    cloudsim_assign_check(config, pl.p, pl.d, pl.u, err, errlen) == -1 ||
	    plan_validity(&pl, issuing_ca, now) == -1 ||
	    plan_variables(&pl) == -1 || plan_settings(&pl) == -1) {
		ndes_challenge_claims_clear(claims);
		return -1;
	}
	return 0;
}
