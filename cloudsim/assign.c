/* Assignments, as the reference describes them: a profile is assigned to
 * user groups or device groups; it reaches only devices of its platform;
 * through a device group only once the device's enrollment is complete;
 * and a SCEP profile works only where its trusted root certificate profile
 * is assigned to the same group. */
#include <string.h>

#include "model_int.h"

static bool
list_has(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool
cloudsim_group_has(const struct cloudsim_group *g, const char *member)
{
	return list_has(g->members, g->n_members, member);
}

bool
cloudsim_platform_is_windows(int platform)
{
	return platform == CLOUDSIM_PLATFORM_WINDOWS_81 ||
	    platform == CLOUDSIM_PLATFORM_WINDOWS_10;
}

/* "Windows 8.1 and later" reaches Windows 10 devices too. */
bool
cloudsim_platform_reaches(int profile_platform, int device_platform)
{
	return profile_platform == device_platform ||
	    (profile_platform == CLOUDSIM_PLATFORM_WINDOWS_81 &&
	    device_platform == CLOUDSIM_PLATFORM_WINDOWS_10);
}

/* Does group g put the profile on this device (for this user)?  A user
 * group reaches the user of a user certificate, or the primary user of
 * the device for a device certificate; a device group its members. */
static bool
group_reaches(const struct cloudsim_group *g, const struct cloudsim_scep_profile *p,
    const struct cloudsim_device *d, const struct cloudsim_user *u)
{
	if (g->is_device_group)
		return cloudsim_group_has(g, d->id);
	if (p->certificate_type == NDES_CHALLENGE_CERT_USER)
		return u != NULL && cloudsim_group_has(g, u->upn);
	return d->owner != NULL && cloudsim_group_has(g, d->owner);
}

static int
not_assigned(const struct cloudsim_scep_profile *p, const struct cloudsim_device *d,
    const struct cloudsim_user *u, char *err, size_t errlen)
{
	if (p->certificate_type == NDES_CHALLENGE_CERT_USER && u != NULL)
		return cloudsim_errf(err, errlen, "profile \"%s\" does not reach device "
		    "\"%s\" and user \"%s\": not assigned to any of their groups",
		    p->name, d->id, u->upn);
	return cloudsim_errf(err, errlen, "profile \"%s\" does not reach device \"%s\": "
	    "not assigned to any of its groups or its primary user's groups",
	    p->name, d->id);
}

int
cloudsim_assign_check(const struct cloudsim_config *c, const struct cloudsim_scep_profile *p,
    const struct cloudsim_device *d, const struct cloudsim_user *u, char *err, size_t errlen)
{
	const struct cloudsim_trusted_profile *root;
	const struct cloudsim_group *g;
	bool reached = false, delivered = false, root_ok = false;

	root = cloudsim_find_trusted_profile(c, p->root_certificate);
	for (size_t i = 0; i < p->n_assignments; i++) {
		if ((g = cloudsim_find_group(c, p->assignments[i])) == NULL ||
		    !group_reaches(g, p, d, u))
			continue;
		reached = true;
		if (g->is_device_group && !d->enrollment_complete)
			continue;
		delivered = true;
		if (root != NULL && list_has(root->assignments, root->n_assignments, g->name))
			root_ok = true;
	}
	if (!reached)
		return not_assigned(p, d, u, err, errlen);
	if (!delivered)
		return cloudsim_errf(err, errlen, "profile \"%s\" does not reach device "
		    "\"%s\": the device's enrollment is not complete", p->name, d->id);
	if (!root_ok)
		return cloudsim_errf(err, errlen, "profile \"%s\" fails: its trusted root "
		    "certificate profile \"%s\" is not assigned to the same group",
		    p->name, p->root_certificate);
	return 0;
}
