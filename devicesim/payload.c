/* The profile payload: the admin answer of POST /admin/challenges
 * (docs/cloud-api.md, docs/cloud-sim.md "The profile payload") read into
 * claims the conformance check understands, the URLs, the threshold and
 * the trusted root (dsim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "crypto.h"
#include "dsim.h"
#include "log.h"

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
payload_fail(char *err, size_t errlen, const char *field, const char *what)
{
	snprintf(err, errlen, "profile payload: \"%s\": %s", field, what);
	return -1;
}

static int
payload_sans(const json_t *sans, struct ndes_challenge_claims *c, char *err, size_t errlen)
{
	const char *type, *value;
	json_t *item;
	size_t i;

	if (!json_is_array(sans) || json_array_size(sans) > NDES_CHALLENGE_MAX_SANS)
		return payload_fail(err, errlen, "sans", "not an array of at most 8");
	json_array_foreach(sans, i, item) {
		if (json_unpack((json_t *)item, "{s:s, s:s}", "type", &type, "value", &value) != 0)
			return payload_fail(err, errlen, "sans", "entries need type and value");
		if (strcmp(type, "email") && strcmp(type, "upn") && strcmp(type, "dns") &&
		    strcmp(type, "uri"))
			return payload_fail(err, errlen, "sans", "type not email, upn, dns or uri");
		c->sans[c->n_sans].type = strdup(type);
		c->sans[c->n_sans++].value = strdup(value);
	}
	return 0;
}

static bool
dotted_oid(const char *text)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(text, 1);

	ASN1_OBJECT_free(oid);
	return oid != NULL;
}

static int
payload_usages(const json_t *ku, const json_t *ekus, struct ndes_challenge_claims *c,
    char *err, size_t errlen)
{
	json_t *item;
	uint32_t bit;
	size_t i;

	if (!json_is_array(ku) || !json_is_array(ekus) ||
	    json_array_size(ekus) > NDES_CHALLENGE_MAX_EKUS)
		return payload_fail(err, errlen, "keyUsage", "keyUsage and extendedKeyUsages "
		    "must be arrays (at most 16 EKUs)");
	json_array_foreach(ku, i, item) {
		if (!json_is_string(item) ||
		    ndes_challenge_key_usage_from_name(json_string_value(item), &bit) != 0)
			return payload_fail(err, errlen, "keyUsage", "unknown key usage name");
		c->key_usage |= bit;
	}
	json_array_foreach(ekus, i, item) {
		if (!json_is_string(item) || !dotted_oid(json_string_value(item)))
			return payload_fail(err, errlen, "extendedKeyUsages", "not a dotted OID");
		c->ekus[c->n_ekus++] = strdup(json_string_value(item));
	}
	return 0;
}

static int
payload_urls(const json_t *urls, struct dsim_payload *p, char *err, size_t errlen)
{
	json_t *item;
	size_t i;

	if (!json_is_array(urls) || json_array_size(urls) == 0 ||
	    json_array_size(urls) > DSIM_MAX_URLS)
		return payload_fail(err, errlen, "scepServerUrls", "not 1 to 16 URLs");
	json_array_foreach(urls, i, item) {
		if (!json_is_string(item) || (strncmp(json_string_value(item), "http://", 7) &&
		    strncmp(json_string_value(item), "https://", 8)))
			return payload_fail(err, errlen, "scepServerUrls", "not an http(s) URL");
		p->urls[p->n_urls++] = strdup(json_string_value(item));
	}
	return 0;
}

static int
payload_claims(const json_t *a, struct ndes_challenge_claims *c, char *err, size_t errlen)
{
	const char *id, *dev, *prof, *type, *subj, *ktype, *hash;
	json_t *user = NULL, *tmpl = NULL;	/* null or absent: none */
	json_int_t bits, days;

	if (json_unpack((json_t *)a, "{s:s, s:s, s?o, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s?o}",
	    "challengeId", &id, "deviceId", &dev, "userId", &user, "profile", &prof,
	    "certificateType", &type, "subject", &subj, "keyType", &ktype, "keySize", &bits,
	    "hash", &hash, "validityDays", &days, "templateName", &tmpl) != 0)
		return payload_fail(err, errlen, "challengeId", "the answer lacks a field of the "
		    "claims (challengeId, deviceId, profile, certificateType, subject, keyType, "
		    "keySize, hash, validityDays)");
	if (bits < 256 || bits > 16384 || days < 1 || days > 36500)
		return payload_fail(err, errlen, "keySize", "keySize or validityDays out of range");
	c->challenge_id = strdup(id);
	c->device_id = strdup(dev);
	c->user_id = dup_or_null(json_string_value(user));
	c->profile_id = strdup(prof);
	c->cert_type = strcmp(type, "user") == 0 ? NDES_CHALLENGE_CERT_USER :
	    NDES_CHALLENGE_CERT_DEVICE;
	c->subject = strdup(subj);
	c->key_type = strdup(ktype);
	c->min_key_bits = (int)bits;
	c->hash = strdup(hash);
	c->validity_days = (int)days;
	c->template_name = dup_or_null(json_string_value(tmpl));
	return 0;
}

int
dsim_payload_parse(const json_t *a, struct dsim_payload *p, char *err, size_t errlen)
{
	const char *challenge, *subj, *root;
	json_t *subj_o = NULL;		/* null when the subject cannot be made */
	json_int_t pct;

	memset(p, 0, sizeof(*p));
	if (json_unpack((json_t *)a, "{s:s, s?o, s:I, s:s}", "challenge", &challenge,
	    "subjectOpenssl", &subj_o, "renewalThresholdPercent", &pct,
	    "trustedRootCertificate", &root) != 0) {
		payload_fail(err, errlen, "challenge", "the answer lacks challenge, "
		    "renewalThresholdPercent or trustedRootCertificate");
		goto fail;
	}
	if ((subj = json_string_value(subj_o)) == NULL) {
		payload_fail(err, errlen, "subjectOpenssl", "null: the subject has a "
		    "multi-valued RDN this device cannot make");
		goto fail;
	}
	if (pct < 1 || pct > 99) {
		payload_fail(err, errlen, "renewalThresholdPercent", "not 1 to 99");
		goto fail;
	}
	p->challenge = strdup(challenge);
	p->subject_openssl = strdup(subj);
	p->renewal_pct = (int)pct;
	if ((p->trusted_root = ndes_crypto_cert_from_pem(root, strlen(root))) == NULL) {
		payload_fail(err, errlen, "trustedRootCertificate", "not a PEM certificate");
		goto fail;
	}
	if (payload_claims(a, &p->claims, err, errlen) != 0 ||
	    payload_sans(json_object_get(a, "sans"), &p->claims, err, errlen) != 0 ||
	    payload_usages(json_object_get(a, "keyUsage"),
	    json_object_get(a, "extendedKeyUsages"), &p->claims, err, errlen) != 0 ||
	    payload_urls(json_object_get(a, "scepServerUrls"), p, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	dsim_payload_clear(p);
	return -1;
}

void
dsim_payload_clear(struct dsim_payload *p)
{
	if (p->challenge != NULL)
		OPENSSL_cleanse(p->challenge, strlen(p->challenge));
	free(p->challenge);
	free(p->subject_openssl);
	ndes_challenge_claims_clear(&p->claims);
	for (size_t i = 0; i < p->n_urls; i++)
		free(p->urls[i]);
	X509_free(p->trusted_root);
	memset(p, 0, sizeof(*p));
}

int
dsim_payload_check_file(const char *path)
{
	struct dsim_payload p;
	json_error_t jerr;
	json_t *a;
	char err[DSIM_ERR_MAX];

	if ((a = json_load_file(path, 0, &jerr)) == NULL) {
		if (jerr.line > 0)
			fprintf(stderr, "%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
		else
			fprintf(stderr, "%s: %s\n", path, jerr.text);
		return 1;
	}
	if (!json_is_object(a) || dsim_payload_parse(a, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", path, json_is_object(a) ? err :
		    "profile payload: not a JSON object");
		json_decref(a);
		return 1;
	}
	log_debug("%s: %zu SCEP URL(s), the first %s; %s key of %d bits; renewal at %d%%",
	    path, p.n_urls, p.n_urls > 0 ? p.urls[0] : "none", p.claims.key_type ?: "?",
	    p.claims.min_key_bits, p.renewal_pct);
	dsim_payload_clear(&p);
	json_decref(a);
	return ndes_config_check_report(path, NULL, false);
}
