/* SCEP profile settings that depend on the platform, and the key, hash,
 * root certificate, extended key usages and SCEP server URLs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

struct setting {
	struct cloudsim_config *c;
	struct cloudsim_scep_profile *p;
	struct cloudsim_check *chk;
	size_t i;
};

static int
failf(struct setting *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(struct setting *s, const char *key, const char *fmt, ...)
{
	char msg[CLOUDSIM_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cloudsim_check_fail(s->chk, msg, "scep_profiles[%zu].%s", s->i, key);
}

/* Key storage provider: Windows Phone 8.1, Windows 8.1 and Windows 10;
 * Passport: Windows 10 only. */
static int
rule_ksp(struct setting *s)
{
	int pl = s->p->platform;

	if (s->p->key_storage_provider == NULL)
		return 0;
	if (pl != CLOUDSIM_PLATFORM_WINDOWS_PHONE_81 && !cloudsim_platform_is_windows(pl))
		return failf(s, "key_storage_provider", "only for Windows Phone 8.1, "
		    "Windows 8.1 and later and Windows 10 and later profiles");
	if (strcmp(s->p->key_storage_provider, "passport_or_fail") == 0 &&
	    pl != CLOUDSIM_PLATFORM_WINDOWS_10)
		return failf(s, "key_storage_provider", "\"passport_or_fail\" is only "
		    "for Windows 10 and later profiles");
	return 0;
}

static int
rule_key(struct setting *s)
{
	struct cloudsim_scep_profile *p = s->p;
	bool ec = strcmp(p->key_type, "EC") == 0;
	int64_t b = p->key_size;

	if (b == 0)
		b = p->key_size = ec ? 256 : 2048;
	if (!ec && b != 1024 && b != 2048 && b != 3072 && b != 4096)
		return failf(s, "key_size", "RSA keys are 1024, 2048, 3072 or 4096 bits, "
		    "got %lld", (long long)b);
	if (ec && b != 256 && b != 384 && b != 521)
		return failf(s, "key_size", "EC keys are 256, 384 or 521 bits, got %lld",
		    (long long)b);
	return 0;
}

/* Hash algorithm: Android, Windows Phone 8.1, Windows 8.1 and Windows 10;
 * iOS and macOS get sha256. */
static int
rule_hash(struct setting *s)
{
	struct cloudsim_scep_profile *p = s->p;

	if (p->hash_algorithm != NULL && (p->platform == CLOUDSIM_PLATFORM_IOS ||
	    p->platform == CLOUDSIM_PLATFORM_MACOS))
		return failf(s, "hash_algorithm", "only for Android, Android Enterprise, "
		    "Windows Phone 8.1, Windows 8.1 and later and Windows 10 and later "
		    "profiles");
	if (p->hash_algorithm == NULL && (p->hash_algorithm = strdup("sha256")) == NULL)
		return failf(s, "hash_algorithm", "out of memory");
	return 0;
}

static int
rule_root(struct setting *s)
{
	const struct cloudsim_trusted_profile *t;

	if ((t = cloudsim_find_trusted_profile(s->c, s->p->root_certificate)) == NULL)
		return failf(s, "root_certificate", "unknown trusted certificate profile "
		    "\"%s\"", s->p->root_certificate);
	if (t->platform != s->p->platform)
		return failf(s, "root_certificate", "trusted certificate profile \"%s\" "
		    "is for %s, this profile is for %s", t->name,
		    cloudsim_platform_name(t->platform),
		    cloudsim_platform_name(s->p->platform));
	return cloudsim_rules_root_of_chain(s->c, t, s->p, s->chk);
}

/* Names become dotted OIDs; none given means clientAuth. */
static int
rule_ekus(struct setting *s)
{
	struct cloudsim_scep_profile *p = s->p;
	char *oid;

	if (!p->extended_key_usages_given) {
		if ((p->extended_key_usages = calloc(1, sizeof(char *))) == NULL ||
		    (p->extended_key_usages[0] = strdup("1.3.6.1.5.5.7.3.2")) == NULL)
			return failf(s, "extended_key_usages", "out of memory");
		p->n_extended_key_usages = 1;
	}
	if (p->n_extended_key_usages > NDES_CHALLENGE_MAX_EKUS)
		return failf(s, "extended_key_usages", "more than %d extended key usages",
		    NDES_CHALLENGE_MAX_EKUS);
	for (size_t k = 0; k < p->n_extended_key_usages; k++) {
		if ((oid = cloudsim_eku_resolve(p->extended_key_usages[k])) == NULL) {
			char key[64];

			snprintf(key, sizeof(key), "extended_key_usages[%zu]", k);
			return failf(s, key, "unknown extended key usage \"%s\" (a name such "
			    "as clientAuth, or a dotted OID)", p->extended_key_usages[k]);
		}
		free(p->extended_key_usages[k]);
		p->extended_key_usages[k] = oid;
	}
	return 0;
}

int
cloudsim_rules_profile_settings(struct cloudsim_config *c, struct cloudsim_scep_profile *p,
    struct cloudsim_check *chk, size_t i)
{
	struct setting s = { .c = c, .p = p, .chk = chk, .i = i };

	if (rule_ksp(&s) == -1 || rule_key(&s) == -1 || rule_hash(&s) == -1 ||
	    rule_root(&s) == -1 || rule_ekus(&s) == -1)
		return -1;
	if (p->n_scep_server_urls == 0)
		return failf(&s, "scep_server_urls", "at least one SCEP server URL is "
		    "required");
	return 0;
}
