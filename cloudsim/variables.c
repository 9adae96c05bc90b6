/* The {{Variables}} of subject and SAN texts, exactly as the reference
 * lists them (case-sensitive), the rules for the static text around them,
 * and their substitution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

/* User certificates may use every variable; device certificates only the
 * device list (device_list true). */
static const struct cloudsim_variable variables[] = {
	/* the user certificate list */
	{ "UserName", CLOUDSIM_VAR_USER_UPN, false },
	{ "EmailAddress", CLOUDSIM_VAR_USER_EMAIL, false },
	{ "SERIALNUMBER", CLOUDSIM_VAR_DEVICE_SERIAL, false },
	{ "OnPrem_Distinguished_Name", CLOUDSIM_VAR_USER_DN, false },
	{ "onPremisesSamAccountName", CLOUDSIM_VAR_USER_SAM, false },
	/* the device certificate list (also in user certificates) */
	{ "AAD_Device_ID", CLOUDSIM_VAR_DEVICE_ID, true },
	{ "Device_Serial", CLOUDSIM_VAR_DEVICE_SERIAL, true },
	{ "Device_IMEI", CLOUDSIM_VAR_DEVICE_IMEI, true },
	{ "SerialNumber", CLOUDSIM_VAR_DEVICE_SERIAL, true },
	{ "IMEINumber", CLOUDSIM_VAR_DEVICE_IMEI, true },
	{ "AzureADDeviceId", CLOUDSIM_VAR_DEVICE_ID, true },
	{ "WiFiMacAddress", CLOUDSIM_VAR_DEVICE_WIFI_MAC, true },
	{ "IMEI", CLOUDSIM_VAR_DEVICE_IMEI, true },
	{ "DeviceName", CLOUDSIM_VAR_DEVICE_NAME, true },
	{ "FullyQualifiedDomainName", CLOUDSIM_VAR_DEVICE_FQDN, true },
	{ "MEID", CLOUDSIM_VAR_DEVICE_MEID, true },
};

const struct cloudsim_variable *
cloudsim_variable_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++)
		if (strlen(variables[i].name) == len &&
		    memcmp(variables[i].name, name, len) == 0)
			return &variables[i];
	return NULL;
}

static bool
is_name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

/* At text[i] == "{{": the length of a well-formed {{Name}} (name chars
 * only), or 0. */
static size_t
var_token_len(const char *p)
{
	size_t n = 2;

	while (is_name_char(p[n]))
		n++;
	if (n == 2 || p[n] != '}' || p[n + 1] != '}')
		return 0;
	return n + 2;
}

static int
static_char_check(char ch, const char *text, enum cloudsim_text_kind kind,
    char *err, size_t errlen)
{
	if (kind == CLOUDSIM_TEXT_SAN && strchr("{}|;", ch) != NULL)
		return cloudsim_errf(err, errlen, "\"%c\" is not allowed in the static "
		    "text of a subject alternative name", ch);
	if (kind == CLOUDSIM_TEXT_SUBJECT && (ch == '{' || ch == '}'))
		return cloudsim_errf(err, errlen, "braces in static text must enclose "
		    "a variable: \"%s\"", text);
	return 0;
}

int
cloudsim_text_check(const char *text, enum cloudsim_text_kind kind, char *err,
    size_t errlen)
{
	size_t n;

	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{' && (n = var_token_len(p)) > 0) {
			if (cloudsim_variable_find(p + 2, n - 4) == NULL)
				return cloudsim_errf(err, errlen,
				    "unknown variable %.*s", (int)n, p);
			p += n - 1;
			continue;
		}
		if (static_char_check(*p, text, kind, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Calls fn for each variable token of a checked text; stops at non-zero. */
static int
text_each_var(const char *text, int (*fn)(const struct cloudsim_variable *, void *),
    void *arg)
{
	const struct cloudsim_variable *v;
	size_t n;
	int rc;

	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] != '{' || p[1] != '{' || (n = var_token_len(p)) == 0)
			continue;
		if ((v = cloudsim_variable_find(p + 2, n - 4)) != NULL &&
		    (rc = fn(v, arg)) != 0)
			return rc;
		p += n - 1;
	}
	return 0;
}

static int
first_user_var(const struct cloudsim_variable *v, void *arg)
{
	if (v->device_list)
		return 0;
	*(const struct cloudsim_variable **)arg = v;
	return 1;
}

int
cloudsim_text_check_device(const char *text, char *err, size_t errlen)
{
	const struct cloudsim_variable *v = NULL;

	if (text_each_var(text, first_user_var, &v) == 0)
		return 0;
	return cloudsim_errf(err, errlen, "{{%s}} is available only in user "
	    "certificates", v->name);
}

static int
var_is(const struct cloudsim_variable *v, void *arg)
{
	return strcmp(v->name, (const char *)arg) == 0;
}

bool
cloudsim_text_uses(const char *text, const char *name)
{
	return text_each_var(text, var_is, (void *)(uintptr_t)name) != 0;
}

const char *
cloudsim_variable_value(const struct cloudsim_variable *v,
    const struct cloudsim_var_ctx *ctx)
{
	const struct cloudsim_device *d = ctx->device;
	const struct cloudsim_user *u = ctx->user;

	switch (v->source) {
	case CLOUDSIM_VAR_USER_UPN: return u ? u->upn : NULL;
	case CLOUDSIM_VAR_USER_EMAIL: return u ? u->email : NULL;
	case CLOUDSIM_VAR_USER_SAM: return u ? u->on_premises_sam_account_name : NULL;
	case CLOUDSIM_VAR_USER_DN: return u ? u->on_premises_distinguished_name : NULL;
	case CLOUDSIM_VAR_DEVICE_ID: return d->id;
	case CLOUDSIM_VAR_DEVICE_SERIAL: return d->serial_number;
	case CLOUDSIM_VAR_DEVICE_IMEI: return d->imei;
	case CLOUDSIM_VAR_DEVICE_MEID: return d->meid;
	case CLOUDSIM_VAR_DEVICE_WIFI_MAC: return d->wifi_mac;
	case CLOUDSIM_VAR_DEVICE_NAME: return d->name;
	case CLOUDSIM_VAR_DEVICE_FQDN: return d->fqdn;
	}
	return NULL;
}

static int
buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char *nb;

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		if ((nb = realloc(*buf, *cap)) == NULL)
			return -1;
		*buf = nb;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

char *
cloudsim_expand(const char *text, const struct cloudsim_var_ctx *ctx,
    const struct cloudsim_variable **missing)
{
	const struct cloudsim_variable *v;
	const char *p = text, *val;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc = buf_add(&buf, &len, &cap, "", 0);

	*missing = NULL;
	while (rc == 0 && *p != '\0') {
		if (p[0] == '{' && p[1] == '{' && (n = var_token_len(p)) > 0 &&
		    (v = cloudsim_variable_find(p + 2, n - 4)) != NULL) {
			val = cloudsim_variable_value(v, ctx);
			if (val == NULL || *val == '\0') {
				*missing = v;
				rc = -1;
				break;
			}
			rc = buf_add(&buf, &len, &cap, val, strlen(val));
			p += n;
		} else
			rc = buf_add(&buf, &len, &cap, p++, 1);
	}
	if (rc == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}
