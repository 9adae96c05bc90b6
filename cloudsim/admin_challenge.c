/* Admin: minting challenges and queueing PKCS requests from the model's
 * plan (docs/cloud-api.md). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "b64.h"
#include "crypto.h"
#include "log.h"
#include "mint.h"
#include "pki.h"
#include "store.h"
#include "uuid.h"

#define ADMIN_MAX_EXPIRES_IN (30LL * 86400)

static json_t *
admin_key_usage(uint32_t bits)
{
	json_t *arr = json_array();
	const char *name;

	/* digitalSignature (0x80) first, as X.509 numbers the bits. */
	for (uint32_t bit = 0x80; arr != NULL && bit != 0; bit >>= 1)
		if ((bits & bit) && (name = ndes_challenge_key_usage_name(bit)) != NULL)
			json_array_append_new(arr, json_string(name));
	return arr;
}

static json_t *
admin_sans(const struct ndes_challenge_claims *cl)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < cl->n_sans; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "type", cl->sans[i].type,
		    "value", cl->sans[i].value));
	return arr;
}

json_t *
admin_claims_json(const struct ndes_challenge_claims *cl)
{
	char *openssl_subj = cloudsim_subject_to_openssl_subj(cl->subject);
	json_t *subj = cloudsim_subject_to_json(cl->subject);
	json_t *scepclient = json_object_get(subj, "scepclient");
	json_t *out;

	out = json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:O?, s:o, s:s, s:i, s:o, s:o, s:s, "
	    "s:i, s:o}",
	    "deviceId", cl->device_id, "userId", cloudsim_json_str(cl->user_id),
	    "profile", cl->profile_id,
	    "certificateType", cl->cert_type == NDES_CHALLENGE_CERT_USER ? "user" : "device",
	    "subject", cl->subject, "subjectOpenssl", cloudsim_json_str(openssl_subj),
	    "scepclientArgs", scepclient, "sans", admin_sans(cl), "keyType", cl->key_type,
	    "keySize", cl->min_key_bits, "keyUsage", admin_key_usage(cl->key_usage),
	    "extendedKeyUsages", admin_strings(cl->ekus, cl->n_ekus), "hash", cl->hash,
	    "validityDays", cl->validity_days,
	    "templateName", cloudsim_json_str(cl->template_name));
	free(openssl_subj);
	json_decref(subj);
	return out;
}

int
admin_plan_args(struct api_call *c, const char **device, const char **profile,
    const char **user)
{
	char err[CLOUDSIM_ERR_MAX];

	*device = *profile = *user = NULL;
	if (api_get_str(c->body, "device", true, 256, device, err, sizeof(err)) != 0 ||
	    api_get_str(c->body, "profile", true, 256, profile, err, sizeof(err)) != 0 ||
	    api_get_str(c->body, "user", false, 256, user, err, sizeof(err)) != 0) {
		api_bad_request(c, err);
		return -1;
	}
	return 0;
}

int
admin_plan(struct api_call *c, struct ndes_challenge_claims *claims, int64_t now)
{
	const char *device, *profile, *user;
	char err[CLOUDSIM_ERR_MAX];

	if (admin_plan_args(c, &device, &profile, &user) != 0)
		return -1;
	if (cloudsim_plan(c->svc->config, device, profile, user, c->svc->issuing_ca,
	    (time_t)now, claims, err, sizeof(err)) != 0) {
		api_error(c, 422, "profile_refused", err);
		return -1;
	}
	return 0;
}

/* The answer's fields between the challenge and the recipe, in order. */
static json_t *
admin_mint_fields(const struct ndes_challenge_claims *cl, int recipients)
{
	char iso[32], iat[32];

	cloudsim_time_iso(cl->expires_at, iso, sizeof(iso));
	cloudsim_time_iso(cl->issued_at, iat, sizeof(iat));
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "challengeId", cl->challenge_id,
	    "tenantId", cl->tenant_id, "issuedAt", iat, "expiresAt", iso,
	    "recipients", recipients);
}

/* text without its first and last characters (the braces of an object,
 * the quotes of a string); NULL when it has not two. */
static char *
admin_strip_ends(char *text)
{
	size_t len = text != NULL ? strlen(text) : 0;

	if (len < 2) {
		free(text);
		return NULL;
	}
	memmove(text, text + 1, len - 2);
	text[len - 2] = '\0';
	return text;
}

/* An object's compact JSON text without its braces ("" for {}). */
static char *
admin_object_inner(json_t *obj)
{
	return admin_strip_ends(obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL);
}

/* The n bytes at s as the inside of a JSON string, as jansson writes it:
 * checked for UTF-8 and escaped when dumped. */
static char *
admin_string_inner(const char *s, size_t n)
{
	json_t *str = json_stringn_nocheck(s, n);
	char *text = str != NULL ? json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	json_decref(str);
	return admin_strip_ends(text);
}

char *
admin_payload_text(const struct cloudsim_config *config, const char *profile)
{
	json_t *payload = admin_profile_payload(config, profile);
	char *text = admin_object_inner(payload);

	json_decref(payload);
	return text;
}

#define ADMIN_JOIN_MAX 12

/* The n (at most ADMIN_JOIN_MAX) pieces one after the other, as one
 * string. */
static char *
admin_join(const char *const *parts, size_t n)
{
	size_t len[ADMIN_JOIN_MAX], total = 1;
	char *out, *p;

	if (n > ADMIN_JOIN_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		total += len[i] = strlen(parts[i]);
	if ((p = out = malloc(total)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p = (char *)memcpy(p, parts[i], len[i]) + len[i];
	*p = '\0';
	return out;
}

static bool
admin_is_base64(const char *text)
{
	return text[strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=")] == '\0';
}

/* The recipe as a JSON string (or null without one): the text around the
 * challenge escaped by jansson, the challenge (base64, in the recipe as it
 * is: cloudsim_openssl_cnf) between them as it is. */
static char *
admin_cnf_json(const char *cnf, const char *challenge)
{
	static const char marker[] = "\nchallengePassword = ";
	const char *at = cnf != NULL ? strstr(cnf, marker) : NULL;
	size_t clen = strlen(challenge);
	char *head, *tail, *out = NULL;

	if (cnf == NULL)
		return strdup("null");
	if (at != NULL && strncmp(at + sizeof(marker) - 1, challenge, clen) == 0) {
		at += sizeof(marker) - 1;
	} else {	/* not where it should be: all of it through jansson */
		at = cnf + strlen(cnf);
		challenge = "";
		clen = 0;
	}
	head = admin_string_inner(cnf, (size_t)(at - cnf));
	tail = admin_string_inner(at + clen, strlen(at + clen));
	if (head != NULL && tail != NULL)
		out = admin_join((const char *const[]){ "\"", head, challenge, tail, "\"" }, 5);
	free(head);
	free(tail);
	return out;
}

/* The text jansson dumps (JSON_COMPACT) for the object of the claims
 * (admin_claims_json), "challenge", admin_mint_fields(), "opensslCnf" and
 * the profile payload, in that order, byte for byte, without dumping the
 * large strings over and over: the payload was dumped once (payload), the
 * challenge is base64 (ndes_challenge_seal), which JSON carries as it is,
 * in "challenge" and in the recipe. */
char *
admin_mint_answer(const char *payload, const struct ndes_challenge_claims *cl,
    const char *text, int recipients)
{
	json_t *claims = admin_claims_json(cl), *fields = admin_mint_fields(cl, recipients);
	char *cnf = cloudsim_openssl_cnf(cl, text), *head = NULL, *tail = NULL, *recipe = NULL;
	char *out = NULL;

	if (payload != NULL && admin_is_base64(text) &&
	    (head = admin_object_inner(claims)) != NULL &&
	    (tail = admin_object_inner(fields)) != NULL &&
	    (recipe = admin_cnf_json(cnf, text)) != NULL)
		out = admin_join((const char *const[]){ "{", head, ",\"challenge\":\"", text,
		    "\",", tail, ",\"opensslCnf\":", recipe, ",", payload, "}" }, 11);
	json_decref(claims);
	json_decref(fields);
	free(cnf);
	free(head);
	free(tail);
	free(recipe);
	return out;
}

void
admin_mint_log(const struct ndes_challenge_claims *cl, const char *text, int recipients)
{
	char iso[32];

	cloudsim_time_iso(cl->expires_at, iso, sizeof(iso));
	log_info("challenge %s for device %s, profile \"%s\"%s%s: %zu characters, %d "
	    "recipients, expires at %s", cl->challenge_id, cl->device_id, cl->profile_id,
	    cl->user_id ? ", user " : "", cl->user_id ? cl->user_id : "", strlen(text),
	    recipients, iso);
}

static int
admin_fill(struct ndes_challenge_claims *cl, const char *tenant, int64_t now, int64_t life)
{
	char id[NDES_UUID_LEN + 1];

	if (ndes_uuid4(id) != 0 || (cl->challenge_id = strdup(id)) == NULL ||
	    (cl->tenant_id = strdup(tenant)) == NULL)
		return -1;
	cl->issued_at = now;
	cl->expires_at = now + life;
	return 0;
}

int
admin_mint_claims(const struct cloudsim_svc *svc, const struct cloudsim_mint_req *r,
    STACK_OF(X509) *recipients, struct ndes_challenge_claims *cl, const char **code,
    char *msg, size_t msglen)
{
	*code = "internal_error";
	if (cloudsim_plan(svc->config, r->device, r->profile, r->user, svc->issuing_ca,
	    (time_t)r->now, cl, msg, msglen) != 0) {
		*code = "profile_refused";
		return 422;
	}
	if (recipients == NULL) {
		snprintf(msg, msglen, "the state database failed");
		return 500;
	}
	if (sk_X509_num(recipients) == 0) {
		*code = "no_connector";
		snprintf(msg, msglen, "no connector is registered: a challenge needs at least "
		    "one CRP encryption certificate");
		return 409;
	}
	if (admin_fill(cl, svc->config->tenant_id, r->now, r->life) != 0) {
		snprintf(msg, msglen, "out of memory");
		return 500;
	}
	return 0;
}

void
admin_challenge(struct ndes_http_request *req, void *arg)
{
	struct cloudsim_mint_req r = { .now = time(NULL) };
	char err[API_ERR_MAX];
	json_int_t life;
	struct api_call c;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	life = c.svc->config->service.challenge_lifetime_s;
	if (ndes_json_get_int(c.body, "expiresIn", false, -ADMIN_MAX_EXPIRES_IN,
	    ADMIN_MAX_EXPIRES_IN, &life, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	if (admin_plan_args(&c, &r.device, &r.profile, &r.user) != 0)
		return;
	r.life = life;
	/* planned and sealed on a worker, answered once recorded (mint.h) */
	cloudsim_mint_submit(c.svc->mint, &c, &r, cloudsim_store_crp_certs(c.svc->store));
}

/* The device's public key (SPKI) and self-signed certificate, base64 DER. */
static int
admin_device_key(struct api_call *c, const char *device, json_t *item, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	uint8_t *spki = NULL;
	size_t len = 0;
	char *spki_b64 = NULL, *cert_b64 = NULL;
	int rc = -1;

	if (cloudsim_pki_device(c->svc->pki, device, &key, &cert, err, errlen) != 0)
		return -1;
	if (ndes_crypto_pubkey_der(key, &spki, &len) == 0 &&
	    (spki_b64 = ndes_b64_encode(spki, len)) != NULL &&
	    (cert_b64 = api_cert_b64(cert)) != NULL &&
	    json_object_set_new(item, "devicePublicKey", json_string(spki_b64)) == 0 &&
	    json_object_set_new(item, "deviceCertificate", json_string(cert_b64)) == 0)
		rc = 0;
	else
		snprintf(err, errlen, "cannot encode the device key");
	free(spki);
	free(spki_b64);
	free(cert_b64);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* The queued item (what the connector downloads), or NULL after replying. */
static json_t *
admin_pkcs_item(struct api_call *c, const struct ndes_challenge_claims *cl, const char *id)
{
	const char *ca_conf = NULL;
	char err[API_ERR_MAX];
	json_t *item;

	if (api_get_str(c->body, "caConfiguration", false, 1024, &ca_conf, err,
	    sizeof(err)) != 0) {
		api_bad_request(c, err);
		return NULL;
	}
	if ((item = admin_claims_json(cl)) == NULL ||
	    json_object_set_new(item, "requestId", json_string(id)) != 0 ||
	    json_object_set_new(item, "caConfiguration", cloudsim_json_str(ca_conf)) != 0) {
		json_decref(item);
		api_error(c, 500, "internal_error", "out of memory");
		return NULL;
	}
	if (admin_device_key(c, cl->device_id, item, err, sizeof(err)) != 0) {
		json_decref(item);
		api_error(c, 500, "internal_error", err);
		return NULL;
	}
	return item;
}

void
admin_pkcs_request(struct ndes_http_request *req, void *arg)
{
	struct ndes_challenge_claims cl = { 0 };
	int64_t now = time(NULL);
	struct api_call c;
	char id[NDES_UUID_LEN + 1], *text;
	json_t *item;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	if (admin_plan(&c, &cl, now) != 0)
		return;
	if (ndes_uuid4(id) != 0 || (item = admin_pkcs_item(&c, &cl, id)) == NULL) {
		if (c.req != NULL)
			api_error(&c, 500, "internal_error", "cannot make a request ID");
		ndes_challenge_claims_clear(&cl);
		return;
	}
	text = json_dumps(item, JSON_COMPACT);
	if (text == NULL || cloudsim_store_pkcs_add(c.svc->store, id, cl.device_id, cl.user_id,
	    cl.profile_id, text, now) != 0) {
		json_decref(item);
		api_error(&c, 500, "internal_error", "the state database failed");
	} else {
		log_info("PKCS request %s queued for device %s, profile \"%s\"", id, cl.device_id,
		    cl.profile_id);
		api_reply(&c, 201, item);
	}
	free(text);
	ndes_challenge_claims_clear(&cl);
}
