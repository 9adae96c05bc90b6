/* Look-ups in a loaded configuration and the names of its enums. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model_int.h"

#define FIND(arr, n, key, val) do {					\
	for (size_t i_ = 0; (val) != NULL && i_ < (n); i_++)		\
		if ((arr)[i_].key != NULL && strcmp((arr)[i_].key, (val)) == 0) \
			return &(arr)[i_];				\
	return NULL;							\
} while (0)

const struct cloudsim_device *
cloudsim_find_device(const struct cloudsim_config *c, const char *id)
{
	FIND(c->devices, c->n_devices, id, id);
}

const struct cloudsim_user *
cloudsim_find_user(const struct cloudsim_config *c, const char *upn)
{
	FIND(c->users, c->n_users, upn, upn);
}

const struct cloudsim_scep_profile *
cloudsim_find_profile(const struct cloudsim_config *c, const char *name)
{
	FIND(c->profiles, c->n_profiles, name, name);
}

const struct cloudsim_template *
cloudsim_find_template(const struct cloudsim_config *c, const char *name)
{
	FIND(c->templates, c->n_templates, name, name);
}

const struct cloudsim_group *
cloudsim_find_group(const struct cloudsim_config *c, const char *name)
{
	FIND(c->groups, c->n_groups, name, name);
}

const struct cloudsim_trusted_profile *
cloudsim_find_trusted_profile(const struct cloudsim_config *c, const char *name)
{
	FIND(c->trusted_profiles, c->n_trusted_profiles, name, name);
}

const char *
cloudsim_template_purpose_name(enum cloudsim_template_purpose p)
{
	switch (p) {
	case CLOUDSIM_PURPOSE_SIGNATURE: return "SignatureTemplate";
	case CLOUDSIM_PURPOSE_ENCRYPTION: return "EncryptionTemplate";
	case CLOUDSIM_PURPOSE_SIGNATURE_AND_ENCRYPTION: return "GeneralPurposeTemplate";
	}
	return NULL;
}

const char *
cloudsim_template_purpose_key(enum cloudsim_template_purpose p)
{
	switch (p) {
	case CLOUDSIM_PURPOSE_SIGNATURE: return "signature";
	case CLOUDSIM_PURPOSE_ENCRYPTION: return "encryption";
	case CLOUDSIM_PURPOSE_SIGNATURE_AND_ENCRYPTION: return "signature_and_encryption";
	}
	return NULL;
}

static const char *const platform_names[] = {
	"Android", "Android Enterprise", "iOS", "macOS", "Windows Phone 8.1",
	"Windows 8.1 and later", "Windows 10 and later",
};
const char *const cloudsim_platform_keys[] = {
	"android", "android_enterprise", "ios", "macos", "windows_phone_81",
	"windows_81", "windows_10", NULL,
};

const char *
cloudsim_platform_name(enum cloudsim_platform p)
{
	return (unsigned)p < sizeof(platform_names) / sizeof(platform_names[0]) ?
	    platform_names[p] : NULL;
}

const char *
cloudsim_platform_key(enum cloudsim_platform p)
{
	return (unsigned)p < sizeof(platform_names) / sizeof(platform_names[0]) ?
	    cloudsim_platform_keys[p] : NULL;
}

const char *const cloudsim_subject_format_keys[] = {
	"not_configured", "common_name", "common_name_including_email",
	"common_name_as_email", "imei", "serial_number", "custom", NULL,
};

const char *
cloudsim_subject_format_key(enum cloudsim_subject_format f)
{
	return (unsigned)f <= CLOUDSIM_SUBJECT_CUSTOM ? cloudsim_subject_format_keys[f] : NULL;
}

int
cloudsim_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
