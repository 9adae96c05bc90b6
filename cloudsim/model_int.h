/* Internal to the cloudsim model: variables, subject templates, the
 * assignment rules and the configuration checks shared by its files. */
#ifndef NDES_CLOUDSIM_MODEL_INT_H
#define NDES_CLOUDSIM_MODEL_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* NULL-terminated configuration words, in enum order (model.c). */
extern const char *const cloudsim_platform_keys[];
extern const char *const cloudsim_subject_format_keys[];

/* ---- Variables (variables.c) ---- */

/* The user's attributes first (up to CLOUDSIM_VAR_USER_DN). */
enum cloudsim_var_source {
	CLOUDSIM_VAR_USER_UPN,
	CLOUDSIM_VAR_USER_EMAIL,
	CLOUDSIM_VAR_USER_SAM,
	CLOUDSIM_VAR_USER_DN,
	CLOUDSIM_VAR_DEVICE_ID,
	CLOUDSIM_VAR_DEVICE_SERIAL,
	CLOUDSIM_VAR_DEVICE_IMEI,
	CLOUDSIM_VAR_DEVICE_MEID,
	CLOUDSIM_VAR_DEVICE_WIFI_MAC,
	CLOUDSIM_VAR_DEVICE_NAME,
	CLOUDSIM_VAR_DEVICE_FQDN,
};

struct cloudsim_variable {
	const char *name;              /* without braces: "UserName" */
	enum cloudsim_var_source source;
	bool device_list;              /* usable in device certificates */
};

/* Where a text is used: the rules for static text differ. */
enum cloudsim_text_kind {
	CLOUDSIM_TEXT_SUBJECT,
	CLOUDSIM_TEXT_SAN,
};

const struct cloudsim_variable *cloudsim_variable_find(const char *name, size_t len);
/* Check static text and variable names of `text`: 0, or -1 with the
 * message (no position, no key path) in err. */
int cloudsim_text_check(const char *text, enum cloudsim_text_kind kind,
    char *err, size_t errlen);
/* -1 when the text uses a variable device certificates cannot use, with
 * the message in err; 0 otherwise.  `text` passed cloudsim_text_check. */
int cloudsim_text_check_device(const char *text, char *err, size_t errlen);
/* true when the (checked) text uses {{name}}. */
bool cloudsim_text_uses(const char *text, const char *name);

struct cloudsim_var_ctx {
	const struct cloudsim_device *device;
	const struct cloudsim_user *user;   /* NULL for device certificates */
};

/* The value of one variable, NULL when the device or user has none. */
const char *cloudsim_variable_value(const struct cloudsim_variable *,
    const struct cloudsim_var_ctx *);
/* Substitute every {{Variable}} of a checked text.  Returns the malloc'd
 * result, or NULL with *missing set to the variable that has no value
 * (*missing NULL: out of memory). */
char *cloudsim_expand(const char *text, const struct cloudsim_var_ctx *,
    const struct cloudsim_variable **missing);

/* ---- Subject templates (subject.c) ---- */

#define CLOUDSIM_MAX_RDNS 32

struct cloudsim_rdn_tmpl {
	const char *attr;              /* as written in the profile: "CN", "E" */
	const char *sn;                /* OpenSSL short name: "CN", "emailAddress" */
	char *value;                   /* template text, malloc'd */
};

struct cloudsim_subject_tmpl {
	struct cloudsim_rdn_tmpl rdns[CLOUDSIM_MAX_RDNS];  /* as written */
	size_t n;
};

/* The subject text of a profile's format (the custom text for custom). */
const char *cloudsim_subject_text(const struct cloudsim_scep_profile *);
/* Parse a subject in the CertStrToName style ("CN={{UserName}},O=Contoso")
 * and check it: 0, or -1 with the message in err. */
int cloudsim_subject_parse(const char *text, struct cloudsim_subject_tmpl *,
    char *err, size_t errlen);
void cloudsim_subject_tmpl_clear(struct cloudsim_subject_tmpl *);
/* The X509_NAME of expanded RDN values (in written order: last RDN of the
 * DER name first) as ndes_crypto_name_to_string() writes it.  -1 with the
 * problem in err. */
int cloudsim_subject_build(const struct cloudsim_subject_tmpl *, char *const *values,
    char **out, char *err, size_t errlen);

/* ---- Assignment rules (assign.c) ---- */

bool cloudsim_group_has(const struct cloudsim_group *, const char *member);
bool cloudsim_platform_is_windows(int platform);
/* Does a profile for `profile_platform` reach a device running `device_platform`? */
bool cloudsim_platform_reaches(int profile_platform, int device_platform);
/* Check that the profile reaches the device (and the user for user
 * certificates) through its assignments, that enrollment allows it and
 * that the trusted root profile is assigned to one of the same groups.
 * 0, or -1 with the refusal in err. */
int cloudsim_assign_check(const struct cloudsim_config *, const struct cloudsim_scep_profile *,
    const struct cloudsim_device *, const struct cloudsim_user *, char *err, size_t errlen);

/* ---- Configuration checks (rules.c, locate.c) ---- */

/* A semantic error found after the schema load: key path and message. */
struct cloudsim_check {
	const struct cloudsim_config *config;
	char path[256];
	char msg[CLOUDSIM_ERR_MAX];
};

int cloudsim_check_fail(struct cloudsim_check *, const char *msg, const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Every cross-reference and profile rule; -1 with the first failure. */
int cloudsim_rules_check(struct cloudsim_config *, struct cloudsim_check *);
int cloudsim_rules_profiles(struct cloudsim_config *, struct cloudsim_check *);
/* Platform-bound settings, key, hash, root, EKUs, URLs of profiles[i]. */
int cloudsim_rules_profile_settings(struct cloudsim_config *, struct cloudsim_scep_profile *,
    struct cloudsim_check *, size_t i);
/* Every name of `names` (list[i].assignments) is a group. */
int cloudsim_check_groups(const struct cloudsim_config *, struct cloudsim_check *,
    char *const *names, size_t n, const char *list, size_t i);
/* service.issuing_ca_cert into config->issuing_chain (rules_root.c). */
int cloudsim_rules_load_issuing(struct cloudsim_config *, struct cloudsim_check *);
/* Trusted profile t (named by SCEP profile p) holds the root of the
 * issuing CA's chain, compared as certificates; -1 with the failure at
 * trusted_certificate_profiles[i].certificate.  0 without an issuing CA. */
int cloudsim_rules_root_of_chain(const struct cloudsim_config *,
    const struct cloudsim_trusted_profile *t, const struct cloudsim_scep_profile *p,
    struct cloudsim_check *);
/* An extended key usage name (clientAuth, ...) or dotted OID as a
 * malloc'd dotted OID; NULL when unknown. */
char *cloudsim_eku_resolve(const char *name);
/* "name:line:col: path: msg" (position of the node at `path`, or of the
 * nearest enclosing node that exists) into err. */
void cloudsim_locate(const char *name, const char *yaml, size_t len, const char *path,
    const char *msg, char *err, size_t errlen);

/* err is optional everywhere: write only when there is room. */
int cloudsim_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
