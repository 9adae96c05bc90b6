/* Challenge claims <-> JSON.  Field names are documented in docs/challenge.md. */
#include "challenge.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "errmsg.h"

static const struct {
	const char *name;
	uint32_t bit;
} key_usage_names[] = {
	{ "digitalSignature", KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", KU_NON_REPUDIATION },
	{ "keyEncipherment", KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", KU_KEY_AGREEMENT },
	{ "keyCertSign", KU_KEY_CERT_SIGN },
	{ "cRLSign", KU_CRL_SIGN },
};

int
ndes_challenge_key_usage_from_name(const char *name, uint32_t *bit)
{
	for (size_t i = 0; i < sizeof(key_usage_names) / sizeof(key_usage_names[0]); i++) {
		if (strcmp(key_usage_names[i].name, name) == 0) {
			*bit = key_usage_names[i].bit;
			return 0;
		}
	}
	return -1;
}

const char *
ndes_challenge_key_usage_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(key_usage_names) / sizeof(key_usage_names[0]); i++)
		if (key_usage_names[i].bit == bit)
			return key_usage_names[i].name;
	return NULL;
}

void
ndes_challenge_claims_clear(struct ndes_challenge_claims *c)
{
	if (c == NULL)
		return;
	free(c->challenge_id);
	free(c->tenant_id);
	free(c->profile_id);
	free(c->device_id);
	free(c->user_id);
	free(c->subject);
	for (size_t i = 0; i < c->n_sans; i++) {
		free(c->sans[i].type);
		free(c->sans[i].value);
	}
	free(c->key_type);
	for (size_t i = 0; i < c->n_ekus; i++)
		free(c->ekus[i]);
	free(c->hash);
	free(c->template_name);
	free(c->trusted_root);
	memset(c, 0, sizeof(*c));
}

static json_t *
claims_sans_to_json(const struct ndes_challenge_claims *c)
{
	json_t *sans = json_array();

	for (size_t i = 0; i < c->n_sans; i++)
		json_array_append_new(sans, json_pack("{s:s, s:s}", "type", c->sans[i].type,
		    "value", c->sans[i].value));
	return sans;
}

static json_t *
claims_key_usage_to_json(uint32_t key_usage)
{
	json_t *names = json_array();

	for (size_t i = 0; i < sizeof(key_usage_names) / sizeof(key_usage_names[0]); i++)
		if (key_usage & key_usage_names[i].bit)
			json_array_append_new(names, json_string(key_usage_names[i].name));
	return names;
}

char *
ndes_challenge_claims_to_json(const struct ndes_challenge_claims *c)
{
	json_t *ekus = json_array();
	json_t *root;
	char *text;

	for (size_t i = 0; i < c->n_ekus; i++)
		json_array_append_new(ekus, json_string(c->ekus[i]));
	root = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s*, s:s, s:I, s:I, s:s, s:o, s:s, s:i,"
	    " s:o, s:o, s:s, s:i, s:s*, s:s*}",
	    "ver", c->version, "id", c->challenge_id, "tenant", c->tenant_id,
	    "profile", c->profile_id, "deviceId", c->device_id, "userId", c->user_id,
	    "certType", c->cert_type == NDES_CHALLENGE_CERT_USER ? "user" : "device",
	    "iat", (json_int_t)c->issued_at, "exp", (json_int_t)c->expires_at,
	    "subject", c->subject, "sans", claims_sans_to_json(c), "keyType", c->key_type,
	    "minKeyBits", c->min_key_bits, "keyUsage", claims_key_usage_to_json(c->key_usage),
	    "eku", ekus, "hash", c->hash, "validityDays", c->validity_days,
	    "template", c->template_name, "trustedRoot", c->trusted_root);
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return text;
}

static int
claims_fail(char *err, size_t errlen, const char *what, const char *detail)
{
	ndes_err_set(err, errlen, "claims: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
	return -1;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
claims_sans_from_json(json_t *sans, struct ndes_challenge_claims *c, char *err, size_t errlen)
{
	size_t i;
	json_t *san;

	if (json_array_size(sans) > NDES_CHALLENGE_MAX_SANS)
		return claims_fail(err, errlen, "sans", "too many entries");
	json_array_foreach(sans, i, san) {
		const char *type, *value;

		if (json_unpack(san, "{s:s, s:s !}", "type", &type, "value", &value) != 0)
			return claims_fail(err, errlen, "sans", "each entry must be {type, value}");
		if (strcmp(type, "email") && strcmp(type, "upn") && strcmp(type, "dns") &&
		    strcmp(type, "uri"))
			return claims_fail(err, errlen, "sans", "type must be email, upn, dns or uri");
		c->sans[c->n_sans].type = strdup(type);
		c->sans[c->n_sans].value = strdup(value);
		c->n_sans++;
	}
	return 0;
}

static int
claims_lists_from_json(json_t *key_usage, json_t *ekus, struct ndes_challenge_claims *c,
    char *err, size_t errlen)
{
	size_t i;
	json_t *item;

	json_array_foreach(key_usage, i, item) {
		uint32_t bit;

		if (!json_is_string(item) ||
		    ndes_challenge_key_usage_from_name(json_string_value(item), &bit) != 0)
			return claims_fail(err, errlen, "keyUsage", "unknown key usage name");
		c->key_usage |= bit;
	}
	if (json_array_size(ekus) > NDES_CHALLENGE_MAX_EKUS)
		return claims_fail(err, errlen, "eku", "too many entries");
	json_array_foreach(ekus, i, item) {
		if (!json_is_string(item))
			return claims_fail(err, errlen, "eku", "entries must be dotted OIDs");
		c->ekus[c->n_ekus++] = strdup(json_string_value(item));
	}
	return 0;
}

static int
claims_fill(json_t *root, struct ndes_challenge_claims *c, char *err, size_t errlen)
{
	const char *id, *tenant, *profile, *device, *user = NULL, *type, *subject, *key_type;
	const char *hash, *template_name = NULL, *trusted_root = NULL;
	json_int_t iat, exp;
	json_t *sans, *key_usage, *ekus;
	json_error_t jerr;

	if (json_unpack_ex(root, &jerr, JSON_STRICT,
	    "{s:i, s:s, s:s, s:s, s:s, s?s, s:s, s:I, s:I, s:s, s:o, s:s, s:i, s:o, s:o, s:s,"
	    " s:i, s?s, s?s}",
	    "ver", &c->version, "id", &id, "tenant", &tenant, "profile", &profile,
	    "deviceId", &device, "userId", &user, "certType", &type, "iat", &iat, "exp", &exp,
	    "subject", &subject, "sans", &sans, "keyType", &key_type, "minKeyBits",
	    &c->min_key_bits, "keyUsage", &key_usage, "eku", &ekus, "hash", &hash,
	    "validityDays", &c->validity_days, "template", &template_name,
	    "trustedRoot", &trusted_root) != 0)
		return claims_fail(err, errlen, jerr.text, NULL);
	if (c->version != NDES_CHALLENGE_VERSION)
		return claims_fail(err, errlen, "ver", "unsupported version");
	if (strcmp(type, "user") != 0 && strcmp(type, "device") != 0)
		return claims_fail(err, errlen, "certType", "must be user or device");
	if (!json_is_array(sans) || !json_is_array(key_usage) || !json_is_array(ekus))
		return claims_fail(err, errlen, "sans, keyUsage and eku", "must be arrays");
	c->cert_type = strcmp(type, "user") == 0 ? NDES_CHALLENGE_CERT_USER :
	    NDES_CHALLENGE_CERT_DEVICE;
	c->issued_at = iat;
	c->expires_at = exp;
	c->challenge_id = strdup(id);
	c->tenant_id = strdup(tenant);
	c->profile_id = strdup(profile);
	c->device_id = strdup(device);
	c->user_id = dup_or_null(user);
	c->subject = strdup(subject);
	c->key_type = strdup(key_type);
	c->hash = strdup(hash);
	c->template_name = dup_or_null(template_name);
	c->trusted_root = dup_or_null(trusted_root);
	if (claims_sans_from_json(sans, c, err, errlen) != 0)
		return -1;
	return claims_lists_from_json(key_usage, ekus, c, err, errlen);
}

int
ndes_challenge_claims_from_json(const char *text, size_t len, struct ndes_challenge_claims *c,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(c, 0, sizeof(*c));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return claims_fail(err, errlen, "not JSON", jerr.text);
	rc = claims_fill(root, c, err, errlen);
	json_decref(root);
	if (rc != 0)
		ndes_challenge_claims_clear(c);
	return rc;
}
