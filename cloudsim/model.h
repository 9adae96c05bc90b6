/* ndes-cloud-sim: the tenant model read from the YAML configuration
 * (templates, users, devices, groups, trusted certificate profiles, SCEP
 * profiles and their assignments) and the rules that turn a (device,
 * profile, user) into the exact claims of a challenge.
 *
 * Owned by the model part (config.c, model.c, variables.c, assign.c,
 * plan.c); used by the service part (main.c, pki.c, store.c, api_*.c,
 * admin*.c).  The configuration format is documented in docs/cloud-sim.md. */
#ifndef NDES_CLOUDSIM_MODEL_H
#define NDES_CLOUDSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>

#include "challenge.h"

enum cloudsim_platform {
	CLOUDSIM_PLATFORM_ANDROID,
	CLOUDSIM_PLATFORM_ANDROID_ENTERPRISE,
	CLOUDSIM_PLATFORM_IOS,
	CLOUDSIM_PLATFORM_MACOS,
	CLOUDSIM_PLATFORM_WINDOWS_PHONE_81,
	CLOUDSIM_PLATFORM_WINDOWS_81,
	CLOUDSIM_PLATFORM_WINDOWS_10,
};

enum cloudsim_template_purpose {
	CLOUDSIM_PURPOSE_SIGNATURE,                /* SignatureTemplate */
	CLOUDSIM_PURPOSE_ENCRYPTION,               /* EncryptionTemplate */
	CLOUDSIM_PURPOSE_SIGNATURE_AND_ENCRYPTION, /* GeneralPurposeTemplate */
};

enum cloudsim_subject_format {
	CLOUDSIM_SUBJECT_NOT_CONFIGURED,
	CLOUDSIM_SUBJECT_COMMON_NAME,
	CLOUDSIM_SUBJECT_COMMON_NAME_INCLUDING_EMAIL,
	CLOUDSIM_SUBJECT_COMMON_NAME_AS_EMAIL,
	CLOUDSIM_SUBJECT_IMEI,
	CLOUDSIM_SUBJECT_SERIAL_NUMBER,
	CLOUDSIM_SUBJECT_CUSTOM,
};

struct cloudsim_template {
	char *name;
	int validity_days;
	enum cloudsim_template_purpose purpose;
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
	enum cloudsim_platform platform;
	char *owner;                 /* UPN of the primary user, may be NULL */
	bool enrollment_complete;
	bool domain_joined;
};

struct cloudsim_group {
	char *name;
	bool is_device_group;        /* members are device IDs, else user UPNs */
	char **members;
	size_t n_members;
};

struct cloudsim_trusted_profile {
	char *name;
	enum cloudsim_platform platform;
	char *certificate_path;      /* root CA certificate (PEM) */
	char **assignments;          /* group names */
	size_t n_assignments;
};

struct cloudsim_san_setting {
	char *type;                  /* "email", "upn", "dns", "uri" */
	char *value;                 /* static text with {{Variables}} */
};

struct cloudsim_scep_profile {
	char *name;
	enum cloudsim_platform platform;
	enum ndes_challenge_cert_type certificate_type;
	enum cloudsim_subject_format subject_name_format;
	char *custom_subject;        /* CLOUDSIM_SUBJECT_CUSTOM only */
	struct cloudsim_san_setting *sans;
	size_t n_sans;
	int validity_days;
	char *key_storage_provider;
	uint32_t key_usage;          /* OpenSSL KU_* bits */
	char *key_type;              /* "RSA" (default) or "EC" */
	int key_size;
	char *hash_algorithm;        /* "sha1", "sha256", "sha384", "sha512" */
	char *root_certificate;      /* trusted profile name */
	char **extended_key_usages;  /* dotted OIDs (names resolved at load) */
	size_t n_extended_key_usages;
	int renewal_threshold_percent;
	char **scep_server_urls;
	size_t n_scep_server_urls;
	char *template_name;
	char **assignments;          /* group names */
	size_t n_assignments;
};

/* Integers are int64_t and enums int where the config loader writes them
 * directly (common/config_loader.h); the model part may add derived members. */
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
};

/* Load and validate (schema + cross references + every profile rule that
 * does not depend on a device: braces in static subject text, forbidden
 * characters in SAN static text, validity against the template).  Errors
 * are "file:line:column: key.path: what". */
int cloudsim_config_load(const char *path, struct cloudsim_config **out, char *err, size_t errlen);
void cloudsim_config_free(struct cloudsim_config *config);
/* `--check-config FILE`: 0 and "FILE: OK" on stdout, or 1 and the error on stderr. */
int cloudsim_config_check(const char *path);

const struct cloudsim_device *cloudsim_find_device(const struct cloudsim_config *, const char *id);
const struct cloudsim_user *cloudsim_find_user(const struct cloudsim_config *, const char *upn);
const struct cloudsim_scep_profile *cloudsim_find_profile(const struct cloudsim_config *,
    const char *name);
const struct cloudsim_template *cloudsim_find_template(const struct cloudsim_config *,
    const char *name);
const char *cloudsim_template_purpose_name(enum cloudsim_template_purpose);

/* Everything a challenge (or a PKCS request) for (device, profile, user)
 * must carry, after the assignment rules and variable substitution.  On
 * refusal returns -1 and err says why in words a script can match, e.g.
 * "profile \"wifi\" is not installed on device \"dev-2\": the device has no
 * value for {{IMEI}}".  issuing_ca may be NULL (no CA validity bound).
 * The caller fills challenge_id, tenant, issued_at and expires_at. */
int cloudsim_plan(const struct cloudsim_config *config, const char *device_id,
    const char *profile_name, const char *user_upn, X509 *issuing_ca, time_t now,
    struct ndes_challenge_claims *claims, char *err, size_t errlen);

#endif
