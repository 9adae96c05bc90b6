/* PKCS requests: parsing, issuance on a CA backend, result JSON. */
#include "pkcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "challenge.h"
#include "crypto.h"
#include "dn.h"
#include "errmsg.h"
#include "http.h"

static char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? strdup(s) : NULL;
}

static int
parse_str_array(const json_t *arr, char ***out, size_t *n)
{
	size_t i;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr))
		return 0;
	if ((*out = calloc(json_array_size(arr) + 1, sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return -1;
		if (((*out)[(*n)++] = strdup(json_string_value(v))) == NULL)
			return -1;
	}
	return 0;
}

static int
parse_sans(const json_t *arr, struct conn_pkcs_request *req)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return 0;
	if ((req->sans = calloc(json_array_size(arr) + 1, sizeof(*req->sans))) == NULL)
		return -1;
	json_array_foreach(arr, i, v) {
		struct conn_pkcs_san *s = &req->sans[req->n_sans++];

		if ((s->type = jstr(v, "type")) == NULL || (s->value = jstr(v, "value")) == NULL)
			return -1;
	}
	return 0;
}

int
conn_pkcs_request_parse(const json_t *obj, struct conn_pkcs_request *req,
    char *err, size_t errlen)
{
	const char *pub;

	memset(req, 0, sizeof(*req));
	if ((req->request_id = jstr(obj, "requestId")) == NULL) {
		snprintf(err, errlen, "a PKCS request without requestId");
		return -1;
	}
	req->device_id = jstr(obj, "deviceId");
	req->user_id = jstr(obj, "userId");
	req->profile = jstr(obj, "profile");
	req->template_name = jstr(obj, "templateName");
	req->subject = jstr(obj, "subject");
	req->key_type = jstr(obj, "keyType");
	req->hash = jstr(obj, "hash");
	req->ca_configuration = jstr(obj, "caConfiguration");
	req->key_size = (int)json_integer_value(json_object_get(obj, "keySize"));
	req->validity_days = (int)json_integer_value(json_object_get(obj, "validityDays"));
	if ((pub = json_string_value(json_object_get(obj, "devicePublicKey"))) != NULL &&
	    ndes_b64_decode(pub, strlen(pub), &req->device_pub, &req->device_pub_len) == -1)
		req->device_pub = NULL;
	if (parse_sans(json_object_get(obj, "sans"), req) == -1 ||
	    parse_str_array(json_object_get(obj, "keyUsage"), &req->key_usage,
	    &req->n_key_usage) == -1 ||
	    parse_str_array(json_object_get(obj, "extendedKeyUsages"), &req->ekus,
	    &req->n_ekus) == -1) {
		snprintf(err, errlen, "PKCS request %s: sans, keyUsage or extendedKeyUsages "
		    "malformed", req->request_id);
		return -2;
	}
	return 0;
}

static void
free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
conn_pkcs_request_clear(struct conn_pkcs_request *req)
{
	free(req->request_id);
	free(req->device_id);
	free(req->user_id);
	free(req->profile);
	free(req->template_name);
	free(req->subject);
	for (size_t i = 0; i < req->n_sans; i++) {
		free(req->sans[i].type);
		free(req->sans[i].value);
	}
	free(req->sans);
	free(req->key_type);
	free(req->hash);
	free(req->ca_configuration);
	free(req->device_pub);
	free_strv(req->key_usage, req->n_key_usage);
	free_strv(req->ekus, req->n_ekus);
	memset(req, 0, sizeof(*req));
}

EVP_PKEY *
conn_pkcs_keygen(const char *type, int bits, char *err, size_t errlen)
{
	const char *curve = NULL;
	EVP_PKEY *key = NULL;

	if (type == NULL || strcasecmp(type, "RSA") == 0) {
		if (bits == 0)
			bits = 2048;
		if (bits < 2048 || bits > 8192) {
			snprintf(err, errlen, "RSA key size %d is not between 2048 and 8192", bits);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (strcasecmp(type, "EC") == 0 || strcasecmp(type, "ECDSA") == 0) {
		curve = bits == 0 || bits == 256 ? "P-256" : bits == 384 ? "P-384" :
		    bits == 521 ? "P-521" : NULL;
		if (curve == NULL) {
			snprintf(err, errlen, "EC key size %d is not 256, 384 or 521", bits);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	} else {
		snprintf(err, errlen, "key type \"%s\" is not RSA or EC", type);
		return NULL;
	}
	if (key == NULL)
		snprintf(err, errlen, "cannot make the key: %s", ndes_crypto_last_error("failed"));
	return key;
}

static GENERAL_NAME *
san_upn(const char *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_TYPE *val = ASN1_TYPE_new();
	ASN1_UTF8STRING *str = ASN1_UTF8STRING_new();
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1);

	if (gn == NULL || val == NULL || str == NULL || oid == NULL ||
	    ASN1_STRING_set(str, value, -1) != 1)
		goto fail;
	ASN1_TYPE_set(val, V_ASN1_UTF8STRING, str);
	str = NULL;
	if (GENERAL_NAME_set0_othername(gn, oid, val) != 1)
		goto fail;
	return gn;
fail:
	GENERAL_NAME_free(gn);
	ASN1_TYPE_free(val);
	ASN1_UTF8STRING_free(str);
	ASN1_OBJECT_free(oid);
	return NULL;
}

static GENERAL_NAME *
san_general_name(const struct conn_pkcs_san *s)
{
	const char *t = s->type;
	int type = strcasecmp(t, "email") == 0 ? GEN_EMAIL : strcasecmp(t, "dns") == 0 ? GEN_DNS :
	    strcasecmp(t, "uri") == 0 ? GEN_URI : -1;
	GENERAL_NAME *gn;
	ASN1_OCTET_STRING *v;

	if (strcasecmp(t, "upn") == 0)
		return san_upn(s->value);
	if (strcasecmp(t, "ip") == 0)
		v = a2i_IPADDRESS(s->value), type = GEN_IPADD;
	else if (type != -1 && (v = ASN1_IA5STRING_new()) != NULL &&
	    ASN1_STRING_set(v, s->value, -1) != 1) {
		ASN1_IA5STRING_free(v);
		v = NULL;
	}
	if (type == -1 || v == NULL)
		return NULL;
	if ((gn = GENERAL_NAME_new()) == NULL) {
		ASN1_OCTET_STRING_free(v);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, type, v);
	return gn;
}

void
conn_pkcs_profile_clear(struct conn_ca_profile *prof)
{
	X509_NAME_free(prof->subject);
	GENERAL_NAMES_free(prof->sans);
	sk_ASN1_OBJECT_pop_free(prof->ekus, ASN1_OBJECT_free);
	memset(prof, 0, sizeof(*prof));
}

static int
profile_sans(const struct conn_pkcs_request *req, struct conn_ca_profile *prof,
    char *err, size_t errlen)
{
	GENERAL_NAME *gn;

	if ((prof->sans = GENERAL_NAMES_new()) == NULL)
		return -1;
	for (size_t i = 0; i < req->n_sans; i++) {
		if ((gn = san_general_name(&req->sans[i])) == NULL) {
			snprintf(err, errlen, "subject alternative name %s \"%s\" is not valid",
			    req->sans[i].type, req->sans[i].value);
			return -1;
		}
		if (sk_GENERAL_NAME_push(prof->sans, gn) <= 0) {
			GENERAL_NAME_free(gn);
			return -1;
		}
	}
	return 0;
}

static int
profile_usages(const struct conn_pkcs_request *req, struct conn_ca_profile *prof,
    char *err, size_t errlen)
{
	uint32_t bit;
	ASN1_OBJECT *oid;

	for (size_t i = 0; i < req->n_key_usage; i++) {
		if (ndes_challenge_key_usage_from_name(req->key_usage[i], &bit) == -1) {
			snprintf(err, errlen, "key usage \"%s\" is not known", req->key_usage[i]);
			return -1;
		}
		prof->key_usage |= bit;
	}
	if ((prof->ekus = sk_ASN1_OBJECT_new_null()) == NULL)
		return -1;
	for (size_t i = 0; i < req->n_ekus; i++) {
		if ((oid = OBJ_txt2obj(req->ekus[i], 1)) == NULL) {
			snprintf(err, errlen, "extended key usage \"%s\" is not an OID", req->ekus[i]);
			ERR_clear_error();
			return -1;
		}
		if (sk_ASN1_OBJECT_push(prof->ekus, oid) <= 0) {
			ASN1_OBJECT_free(oid);
			return -1;
		}
	}
	return 0;
}

int
conn_pkcs_profile(const struct conn_pkcs_request *req, const struct conn_pkcs_opts *opts,
    struct conn_ca_profile *prof, char *err, size_t errlen)
{
	memset(prof, 0, sizeof(*prof));
	if (opts->template_s < 0) {
		snprintf(err, errlen, "template \"%s\" is not offered by this CA",
		    req->template_name != NULL ? req->template_name : "");
		return -1;
	}
	if (req->subject == NULL && req->n_sans == 0) {
		snprintf(err, errlen, "the request names neither a subject nor a SAN");
		return -1;
	}
	if ((prof->subject = conn_dn_parse(req->subject != NULL ? req->subject : "",
	    err, errlen)) == NULL)
		return -1;
	if (req->hash != NULL && (prof->md = EVP_get_digestbyname(req->hash)) == NULL) {
		snprintf(err, errlen, "hash algorithm \"%s\" is not known", req->hash);
		return -1;
	}
	if (req->validity_days < 0) {
		snprintf(err, errlen, "validityDays %d is negative", req->validity_days);
		return -1;
	}
	prof->requested_s = (int64_t)req->validity_days * 86400;
	prof->template_s = opts->template_s;
	prof->attribute_end_date = opts->attribute_end_date;
	prof->template_name = req->template_name;
	if (profile_sans(req, prof, err, errlen) == -1 ||
	    profile_usages(req, prof, err, errlen) == -1)
		return -1;
	return 0;
}

static void
result_fail(struct conn_pkcs_result *res, enum conn_ca_status st, const char *msg)
{
	res->succeeded = false;
	res->status = st;
	res->error_code = conn_ca_request_error(st);
	snprintf(res->error_message, sizeof(res->error_message), "%s", msg);
}

static int
result_fill(struct conn_pkcs_result *res, EVP_PKEY *key, X509 *cert, X509 *ca_cert,
    EVP_PKEY *device, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	uint8_t *der = NULL;
	size_t len = 0;
	int r = -1;

	if (chain == NULL || (ca_cert != NULL && sk_X509_push(chain, ca_cert) <= 0))
		goto out;
	if (conn_pkcs_pack(key, cert, chain, device, &der, &len, err, errlen) == -1)
		goto out;
	if ((res->envelope = ndes_b64_encode(der, len)) == NULL ||
	    ndes_crypto_thumbprint(cert, EVP_sha1(), res->thumbprint, sizeof(res->thumbprint)) ||
	    ndes_crypto_serial_hex(cert, res->serial, sizeof(res->serial)) == -1 ||
	    ndes_crypto_not_after_iso8601(cert, res->expiry, sizeof(res->expiry)) == -1)
		goto out;
	res->succeeded = true;
	res->status = CONN_CA_OK;
	r = 0;
out:
	sk_X509_free(chain);
	free(der);
	return r;
}

void
conn_pkcs_process(struct conn_ca *ca, const struct conn_pkcs_request *req,
    const struct conn_pkcs_opts *opts, struct conn_pkcs_result *res)
{
	struct conn_ca_profile prof = { 0 };
	const unsigned char *p = req->device_pub;
	EVP_PKEY *device = NULL, *key = NULL;
	X509 *cert = NULL, *ca_cert = NULL;
	enum conn_ca_status st;
	char err[NDES_ERR_MAX] = "";

	memset(res, 0, sizeof(*res));
	if (p == NULL || (device = d2i_PUBKEY(NULL, &p, (long)req->device_pub_len)) == NULL) {
		ERR_clear_error();
		result_fail(res, CONN_CA_BAD_REQUEST, "devicePublicKey is missing or not a "
		    "DER SubjectPublicKeyInfo in base64");
		goto out;
	}
	if (conn_pkcs_profile(req, opts, &prof, err, sizeof(err)) == -1 ||
	    (key = conn_pkcs_keygen(req->key_type, req->key_size, err, sizeof(err))) == NULL) {
		result_fail(res, CONN_CA_BAD_REQUEST, err[0] ? err : "out of memory");
		goto out;
	}
	if ((st = conn_ca_issue(ca, key, &prof, &cert, err, sizeof(err))) != CONN_CA_OK) {
		result_fail(res, st, err);
		goto out;
	}
	ca_cert = conn_ca_cert(ca, err, sizeof(err));
	if (result_fill(res, key, cert, ca_cert, device, err, sizeof(err)) == -1)
		result_fail(res, CONN_CA_ERROR, err[0] ? err : "cannot pack the result");
out:
	conn_pkcs_profile_clear(&prof);
	EVP_PKEY_free(device);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca_cert);
}

void
conn_pkcs_result_clear(struct conn_pkcs_result *res)
{
	free(res->envelope);
	memset(res, 0, sizeof(*res));
}

json_t *
conn_pkcs_result_json(const char *request_id, const struct conn_pkcs_result *res)
{
	if (res->succeeded)
		return json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:i, s:s}",
		    "requestId", request_id, "succeeded", 1, "pkcs12Envelope", res->envelope,
		    "certificateThumbprint", res->thumbprint,
		    "certificateSerialNumber", res->serial,
		    "certificateExpirationDateUtc", res->expiry, "errorCode", 0,
		    "errorMessage", "");
	/* The message may quote the request, cut inside a character. */
	return json_pack("{s:s, s:b, s:n, s:n, s:n, s:n, s:i, s:o}",
	    "requestId", request_id, "succeeded", 0, "pkcs12Envelope",
	    "certificateThumbprint", "certificateSerialNumber",
	    "certificateExpirationDateUtc", "errorCode", res->error_code,
	    "errorMessage", ndes_json_text(res->error_message));
}
