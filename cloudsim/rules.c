/* Checks after the schema load that need the whole configuration: unique
 * names, references between sections, the service's key pairs, the
 * trusted root certificates.  The SCEP profile rules are in rules_profile.c. */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "model_int.h"

static const char *
name_at(const void *arr, size_t i, size_t size, size_t off)
{
	return *(char *const *)((const char *)arr + i * size + off);
}

static int
check_unique(struct cloudsim_check *chk, const void *arr, size_t n, size_t size,
    size_t off, const char *list, const char *key)
{
	char msg[CLOUDSIM_ERR_MAX];

	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			if (strcmp(name_at(arr, i, size, off), name_at(arr, j, size, off)) != 0)
				continue;
			snprintf(msg, sizeof(msg), "duplicate %s \"%s\" (first in %s[%zu])",
			    key, name_at(arr, i, size, off), list, j);
			return cloudsim_check_fail(chk, msg, "%s[%zu].%s", list, i, key);
		}
	return 0;
}

#define UNIQUE(chk, c, arr, n, type, member, list, key) \
	check_unique((chk), (c)->arr, (c)->n, sizeof(type), offsetof(type, member), list, key)

static int
rules_unique(const struct cloudsim_config *c, struct cloudsim_check *chk)
{
	if (UNIQUE(chk, c, templates, n_templates, struct cloudsim_template, name,
	    "templates", "name") == -1 ||
	    UNIQUE(chk, c, users, n_users, struct cloudsim_user, upn, "users", "upn") == -1 ||
	    UNIQUE(chk, c, devices, n_devices, struct cloudsim_device, id,
	    "devices", "id") == -1 ||
	    UNIQUE(chk, c, groups, n_groups, struct cloudsim_group, name,
	    "groups", "name") == -1 ||
	    UNIQUE(chk, c, trusted_profiles, n_trusted_profiles,
	    struct cloudsim_trusted_profile, name, "trusted_certificate_profiles",
	    "name") == -1 ||
	    UNIQUE(chk, c, profiles, n_profiles, struct cloudsim_scep_profile, name,
	    "scep_profiles", "name") == -1)
		return -1;
	return 0;
}

static int
check_pair(struct cloudsim_check *chk, const char *a, const char *a_key,
    const char *b, const char *b_key)
{
	char msg[256];

	if ((a == NULL) == (b == NULL))
		return 0;
	snprintf(msg, sizeof(msg), "%s is missing (give both or neither)",
	    a == NULL ? a_key : b_key);
	return cloudsim_check_fail(chk, msg, "service.%s", a != NULL ? a_key : b_key);
}

static int
rules_devices(const struct cloudsim_config *c, struct cloudsim_check *chk)
{
	const struct cloudsim_device *d;
	char msg[CLOUDSIM_ERR_MAX];

	for (size_t i = 0; i < c->n_devices; i++) {
		d = &c->devices[i];
		if (d->owner != NULL && cloudsim_find_user(c, d->owner) == NULL) {
			snprintf(msg, sizeof(msg), "unknown user \"%s\"", d->owner);
			return cloudsim_check_fail(chk, msg, "devices[%zu].owner", i);
		}
		if (d->domain_joined && !cloudsim_platform_is_windows(d->platform))
			return cloudsim_check_fail(chk, "only Windows 8.1 and Windows 10 "
			    "devices join a domain", "devices[%zu].domain_joined", i);
	}
	return 0;
}

static int
rules_groups(struct cloudsim_config *c, struct cloudsim_check *chk)
{
	struct cloudsim_group *g;
	char msg[CLOUDSIM_ERR_MAX];

	for (size_t i = 0; i < c->n_groups; i++) {
		g = &c->groups[i];
		g->is_device_group = g->kind == CLOUDSIM_GROUP_DEVICES;
		for (size_t j = 0; j < g->n_members; j++) {
			if (g->is_device_group ? cloudsim_find_device(c, g->members[j]) != NULL :
			    cloudsim_find_user(c, g->members[j]) != NULL)
				continue;
			snprintf(msg, sizeof(msg), "unknown %s \"%s\"",
			    g->is_device_group ? "device" : "user", g->members[j]);
			return cloudsim_check_fail(chk, msg, "groups[%zu].members[%zu]", i, j);
		}
	}
	return 0;
}

int
cloudsim_check_groups(const struct cloudsim_config *c, struct cloudsim_check *chk,
    char *const *names, size_t n, const char *list, size_t i)
{
	char msg[CLOUDSIM_ERR_MAX];

	for (size_t j = 0; j < n; j++)
		if (cloudsim_find_group(c, names[j]) == NULL) {
			snprintf(msg, sizeof(msg), "unknown group \"%s\"", names[j]);
			return cloudsim_check_fail(chk, msg, "%s[%zu].assignments[%zu]",
			    list, i, j);
		}
	return 0;
}

/* The certificate's SHA-256 as the claims carry it; NULL out of memory. */
static char *
rules_sha256_hex(X509 *cert)
{
	char hex[NDES_CRYPTO_HEX_MAX];

	if (ndes_crypto_thumbprint(cert, EVP_sha256(), hex, sizeof(hex)) != 0)
		return NULL;
	return strdup(hex);
}

static int
rules_trusted(struct cloudsim_config *c, struct cloudsim_check *chk)
{
	struct cloudsim_trusted_profile *t;
	char msg[CLOUDSIM_ERR_MAX];

	for (size_t i = 0; i < c->n_trusted_profiles; i++) {
		t = &c->trusted_profiles[i];
		if ((t->certificate = ndes_crypto_load_cert(t->certificate_path, msg,
		    sizeof(msg))) == NULL)
			return cloudsim_check_fail(chk, msg,
			    "trusted_certificate_profiles[%zu].certificate", i);
		if ((t->certificate_pem = ndes_crypto_cert_to_pem(t->certificate)) == NULL)
			return cloudsim_check_fail(chk, "cannot encode the certificate as PEM",
			    "trusted_certificate_profiles[%zu].certificate", i);
		if ((t->sha256_hex = rules_sha256_hex(t->certificate)) == NULL)
			return cloudsim_check_fail(chk, "cannot take the certificate's SHA-256",
			    "trusted_certificate_profiles[%zu].certificate", i);
		if (cloudsim_check_groups(c, chk, t->assignments, t->n_assignments,
		    "trusted_certificate_profiles", i) == -1)
			return -1;
	}
	return 0;
}

int
cloudsim_rules_check(struct cloudsim_config *c, struct cloudsim_check *chk)
{
	const struct cloudsim_service *s = &c->service;

	if (rules_unique(c, chk) == -1 ||
	    check_pair(chk, s->tls_cert, "tls_cert", s->tls_key, "tls_key") == -1 ||
	    check_pair(chk, s->signing_cert, "signing_cert", s->signing_key,
	    "signing_key") == -1 ||
	    rules_devices(c, chk) == -1 || rules_groups(c, chk) == -1 ||
	    rules_trusted(c, chk) == -1 || cloudsim_rules_load_issuing(c, chk) == -1 ||
	    cloudsim_rules_profiles(c, chk) == -1)
		return -1;
	return 0;
}
