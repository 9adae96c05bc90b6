/* ndes-cloud-sim: the tenant model read from the YAML configuration
 * (templates, users, devices, groups, trusted certificate profiles, SCEP
 * profiles and their assignments) and the rules that turn a (device,
 * profile, user) into the exact claims of a challenge.
 *
 * Owned by the model part (config.c, rules*.c, locate.c, model.c,
 * variables.c, subject*.c, eku.c, assign.c, plan.c; cloudsim/model.am
 * builds them into cloudsim/libcloudsim-model.la); used by the service part
 * (main.c, pki.c, store.c, api_*.c, admin*.c).  The configuration format,
 * the variables, the rules and every message are documented in
 * docs/cloud-sim.md.
 *
 * Members written by the config loader have its types: integers are
 * int64_t, enums are int (the enum named in the comment), strings are
 * malloc'd.  Members marked "derived" are filled after the load.  A loaded
 * configuration is read-only: every function here only reads it, so one
 * configuration may be shared by threads. */
#ifndef NDES_CLOUDSIM_MODEL_H
#define NDES_CLOUDSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "challenge.h"
#include "metrics_config.h"

/* A buffer of this size holds any message of this module. */
#define CLOUDSIM_ERR_MAX 1024

enum cloudsim_platform {
	CLOUDSIM_PLATFORM_ANDROID,              /* "android" */
	CLOUDSIM_PLATFORM_ANDROID_ENTERPRISE,   /* "android_enterprise" */
	CLOUDSIM_PLATFORM_IOS,                  /* "ios" */
	CLOUDSIM_PLATFORM_MACOS,                /* "macos" */
	CLOUDSIM_PLATFORM_WINDOWS_PHONE_81,     /* "windows_phone_81" */
	CLOUDSIM_PLATFORM_WINDOWS_81,           /* "windows_81": 8.1 and later */
	CLOUDSIM_PLATFORM_WINDOWS_10,           /* "windows_10": 10 and later */
};

enum cloudsim_template_purpose {
	CLOUDSIM_PURPOSE_SIGNATURE,                /* SignatureTemplate */
	CLOUDSIM_PURPOSE_ENCRYPTION,               /* EncryptionTemplate */
	CLOUDSIM_PURPOSE_SIGNATURE_AND_ENCRYPTION, /* GeneralPurposeTemplate */
};

enum cloudsim_subject_format {
	CLOUDSIM_SUBJECT_NOT_CONFIGURED,        /* "" */
	CLOUDSIM_SUBJECT_COMMON_NAME,           /* CN={{UserName}} */
	CLOUDSIM_SUBJECT_COMMON_NAME_INCLUDING_EMAIL, /* CN={{UserName}},E={{EmailAddress}} */
	CLOUDSIM_SUBJECT_COMMON_NAME_AS_EMAIL,  /* CN={{EmailAddress}} */
	CLOUDSIM_SUBJECT_IMEI,                  /* CN={{IMEINumber}} */
	CLOUDSIM_SUBJECT_SERIAL_NUMBER,         /* CN={{SerialNumber}} */
	CLOUDSIM_SUBJECT_CUSTOM,                /* custom_subject */
};

enum cloudsim_group_kind {
	CLOUDSIM_GROUP_USERS,                   /* "users": members are UPNs */
	CLOUDSIM_GROUP_DEVICES,                 /* "devices": members are device IDs */
};

struct cloudsim_template {
	char *name;
	int64_t validity_days;
	int purpose;                 /* enum cloudsim_template_purpose */
};

struct cloudsim_user {
	char *upn;                               /* {{UserName}}, the user ID */
	char *email;                             /* {{EmailAddress}} */
	char *on_premises_sam_account_name;      /* {{onPremisesSamAccountName}} */
	char *on_premises_distinguished_name;    /* {{OnPrem_Distinguished_Name}} */
	char *display_name;
};

struct cloudsim_device {
	char *id;                    /* Azure AD device ID */
	char *name;
	char *serial_number;
	char *imei;
	char *meid;
	char *wifi_mac;
	char *fqdn;
	int platform;                /* enum cloudsim_platform */
	char *owner;                 /* UPN of the primary user, may be NULL */
	bool enrollment_complete;    /* default true */
	bool domain_joined;          /* Windows only */
};

struct cloudsim_group {
	char *name;
	int kind;                    /* enum cloudsim_group_kind */
	bool is_device_group;        /* derived: kind == CLOUDSIM_GROUP_DEVICES */
	char **members;
	size_t n_members;
};

struct cloudsim_trusted_profile {
	char *name;
	int platform;                /* enum cloudsim_platform */
	char *certificate_path;      /* root CA certificate (PEM or DER); made
	                                absolute against the config's folder */
	X509 *certificate;           /* derived: loaded from certificate_path */
	char *certificate_pem;       /* derived: its PEM text, as the profile
	                                payload gives it (made once, not per mint) */
	char *sha256_hex;            /* derived: its SHA-256 in hex (thumbprint), the
	                                claims' trustedRoot (made once, not per mint) */
	char **assignments;          /* group names */
	size_t n_assignments;
};

struct cloudsim_san_setting {
	char *type;                  /* "email", "upn", "dns", "uri" */
	char *value;                 /* static text with {{Variables}}; for
	                                email/upn defaults to {{EmailAddress}} /
	                                {{UserName}} */
};

struct cloudsim_scep_profile {
	char *name;
	int platform;                /* enum cloudsim_platform */
	int certificate_type;        /* enum ndes_challenge_cert_type */
	int subject_name_format;     /* enum cloudsim_subject_format */
	char *custom_subject;        /* CLOUDSIM_SUBJECT_CUSTOM only */
	struct cloudsim_san_setting *sans;
	size_t n_sans;
	int64_t validity_days;       /* after load: the validity certificates
	                                get (the template's when not given, and
	                                always the template's on iOS/macOS) */
	bool validity_given;
	char *key_storage_provider;  /* Windows only; NULL when not set */
	char **key_usage_names;      /* "digitalSignature", "keyEncipherment" */
	size_t n_key_usage_names;
	uint32_t key_usage;          /* derived: OpenSSL KU_* bits */
	char *key_type;              /* "RSA" (default) or "EC" */
	int64_t key_size;
	char *hash_algorithm;        /* "sha1", "sha256", "sha384", "sha512";
	                                after load never NULL (default sha256) */
	char *root_certificate;      /* trusted profile name */
	char **extended_key_usages;  /* dotted OIDs (names resolved at load) */
	size_t n_extended_key_usages;
	bool extended_key_usages_given;
	int64_t renewal_threshold_percent;
	char **scep_server_urls;
	size_t n_scep_server_urls;
	char *template_name;         /* after load never NULL: the template
	                                chosen by key usage when not given */
	char **assignments;          /* group names */
	size_t n_assignments;
};

/* Integers are int64_t and enums int where the config loader writes them
 * directly (common/config_loader.h); the model part may add derived members.
 * Paths are made absolute against the configuration file's folder. */
struct cloudsim_service {
	char *state_dir;
	char *listen_address;        /* HTTPS (mutual TLS) for connectors */
	int64_t listen_port;
	char *admin_address;         /* loopback-only admin endpoint */
	int64_t admin_port;
	char *public_host;           /* host name in the server certificate */
	char *tls_cert;              /* optional: made in state_dir when NULL */
	char *tls_key;
	char *tls_ca;
	char *signing_cert;          /* optional challenge-signing pair */
	char *signing_key;
	char *issuing_ca_cert;       /* the CA that issues device certificates:
	                                bounds profile validity; optional */
	int64_t challenge_lifetime_s;    /* default 3600 */
	int64_t registration_token_lifetime_s; /* default 3600 */
	int64_t connector_cert_lifetime_s;     /* default 365 days */
	int64_t max_connectors;      /* default 100 */
	char *api_version;
	int64_t max_connections;     /* per listener, default 1024 */
	int64_t header_timeout_s;    /* a request's head, default 10 */
	int64_t body_timeout_s;      /* its body, default 30 */
};

struct cloudsim_config {
	char *tenant_id;
	struct cloudsim_service service;
	struct cloudsim_template *templates;
	size_t n_templates;
	struct cloudsim_user *users;
	size_t n_users;
	struct cloudsim_device *devices;
	size_t n_devices;
	struct cloudsim_group *groups;
	size_t n_groups;
	struct cloudsim_trusted_profile *trusted_profiles;
	size_t n_trusted_profiles;
	struct cloudsim_scep_profile *profiles;
	size_t n_profiles;
	struct ndes_metrics_cfg metrics; /* docs/metrics.md; listen NULL: none */
	STACK_OF(X509) *issuing_chain;   /* derived: service.issuing_ca_cert,
	                                    the issuing CA first; NULL without */
};

/* ---- Loading (config.c) ------------------------------------------------ */

/* Load and validate (schema + cross references + every profile rule that
 * does not depend on a device: braces in static subject text, forbidden
 * characters in SAN static text, validity against the template).  Errors
 * are "file:line:column: key.path: what".  Relative paths are made absolute
 * against the file's folder; trusted root certificates are loaded. */
int cloudsim_config_load(const char *path, struct cloudsim_config **out, char *err, size_t errlen);
/* The same from YAML text; `name` stands for the file in messages and
 * relative paths are taken against `base_dir` (NULL: the current folder). */
int cloudsim_config_load_string(const char *name, const char *yaml, const char *base_dir,
    struct cloudsim_config **out, char *err, size_t errlen);
void cloudsim_config_free(struct cloudsim_config *config);
/* `--check-config FILE`: 0 and "FILE: OK" on stdout (with keys, the keys the
 * file sets on stderr), or 1 and the error on stderr. */
int cloudsim_config_check(const char *path, bool keys);

/* ---- Look-ups and names (model.c) -------------------------------------- */

const struct cloudsim_device *cloudsim_find_device(const struct cloudsim_config *, const char *id);
const struct cloudsim_user *cloudsim_find_user(const struct cloudsim_config *, const char *upn);
const struct cloudsim_scep_profile *cloudsim_find_profile(const struct cloudsim_config *,
    const char *name);
const struct cloudsim_template *cloudsim_find_template(const struct cloudsim_config *,
    const char *name);
const struct cloudsim_group *cloudsim_find_group(const struct cloudsim_config *,
    const char *name);
const struct cloudsim_trusted_profile *cloudsim_find_trusted_profile(
    const struct cloudsim_config *, const char *name);
/* The NDES registry value of the purpose: "SignatureTemplate",
 * "EncryptionTemplate", "GeneralPurposeTemplate" (NULL if out of range). */
const char *cloudsim_template_purpose_name(enum cloudsim_template_purpose);
/* The configuration word: "signature", "encryption", "signature_and_encryption". */
const char *cloudsim_template_purpose_key(enum cloudsim_template_purpose);
/* "Windows 10 and later", "iOS", ... (as the reference names platforms). */
const char *cloudsim_platform_name(enum cloudsim_platform);
/* The configuration word: "windows_10", "ios", ... */
const char *cloudsim_platform_key(enum cloudsim_platform);
/* The configuration word of a subject name format: "common_name", ... */
const char *cloudsim_subject_format_key(enum cloudsim_subject_format);

/* ---- Planning a challenge (plan.c) ------------------------------------- */

/* Everything a challenge (or a PKCS request) for (device, profile, user)
 * must carry, after the assignment rules and variable substitution.  On
 * refusal returns -1 and err says why in words a script can match, e.g.
 * "profile \"wifi\" is not installed on device \"dev-2\": the device has no
 * value for {{IMEI}}" (every message: docs/cloud-sim.md).  issuing_ca may
 * be NULL (no CA validity bound).  user_upn is required for user
 * certificates and ignored for device certificates.
 * `claims` is overwritten (zeroed first); on success release it with
 * ndes_challenge_claims_clear().  On failure it is left zeroed.
 * The caller fills challenge_id, tenant, issued_at and expires_at. */
int cloudsim_plan(const struct cloudsim_config *config, const char *device_id,
    const char *profile_name, const char *user_upn, X509 *issuing_ca, time_t now,
    struct ndes_challenge_claims *claims, char *err, size_t errlen);

/* ---- Subjects for devices (subject.c) ---------------------------------- */

/* claims.subject ("CN=alice,O=Contoso,C=US", the RFC 4514 form of
 * ndes_crypto_name_to_string()) as `openssl req -utf8 -subj` wants it:
 * "/C=US/O=Contoso/CN=alice" ('/', '+' and '\' in values escaped with '\').
 * "" gives "/" (empty subject).  malloc'd; NULL if the text is malformed or
 * has a multi-valued RDN. */
char *cloudsim_subject_to_openssl_subj(const char *subject);
/* fn for each RDN of the subject, in request order (the first RDN of the
 * DER name first, i = 0, 1, ...).  0, or -1 when the text is malformed. */
typedef void (*cloudsim_rdn_fn)(void *arg, size_t i, const char *type, const char *value);
int cloudsim_subject_each_rdn(const char *subject, cloudsim_rdn_fn fn, void *arg);
/* An `openssl req -new -config` file for these claims: [dn] the subject,
 * [attrs] challengePassword = challenge, [ext] keyUsage, extendedKeyUsage
 * and subjectAltName (email, DNS, URI, the UPN as an otherName), with the
 * command line in its comments (openssl_cnf.c).  malloc'd; NULL on an
 * empty subject (openssl req makes none from a configuration), a malformed
 * one, or no memory. */
char *cloudsim_openssl_cnf(const struct ndes_challenge_claims *cl, const char *challenge);
/* The subject's RDNs for a device, as a JSON object:
 *   {"subject": "CN=alice,O=Contoso,C=US",
 *    "openssl_subj": "/C=US/O=Contoso/CN=alice",
 *    "rdns": [{"type": "C", "value": "US"}, {"type": "O", ...}, ...],
 *    "scepclient": ["-cn", "alice", "-organization", "Contoso", "-ou", "",
 *                   "-locality", "", "-province", "", "-country", "US"]}
 * "rdns" in request order (the first RDN of the DER name first).
 * "scepclient" is the argument list that makes micromdm's scepclient build
 * exactly this subject (it always writes C, ST, L, O, OU, CN, each at most
 * once, and leaves out empty ones), or null when it cannot.  NULL on a
 * malformed subject. */
json_t *cloudsim_subject_to_json(const char *subject);

#endif
