/* The device's calls to the emulator's admin endpoint (docs/cloud-api.md,
 * "Admin endpoint"), blocking, for the one-device commands: its inventory,
 * a challenge with the profile payload, the profile state it reports. */
#ifndef NDES_DEVICESIM_CLOUD_H
#define NDES_DEVICESIM_CLOUD_H

#include <stddef.h>

#include <jansson.h>

/* method path [body] on the admin URL: the JSON answer of a 2xx, else NULL
 * with err "<code>: <message>" (the emulator's error) or why it was not
 * reached; *status the HTTP status (0 when none). */
json_t	*dsim_cloud_call(const char *admin_url, const char *method, const char *path,
	    json_t *body, int *status, char *err, size_t errlen);

/* GET /admin/devices, then the device whose deviceId is name_or_id, or the
 * one device whose name it is: a new reference to its entry ({deviceId,
 * name, platform, owner, profiles: [{profile, certificateType, userId}]}). */
json_t	*dsim_cloud_find_device(const char *admin_url, const char *name_or_id, char *err,
	    size_t errlen);
/* The entry of devices (an array) by ID or unique name; borrowed. */
json_t	*dsim_cloud_pick_device(json_t *devices, const char *name_or_id, char *err,
	    size_t errlen);

/* The body of POST /admin/challenges for device, profile and user (NULL
 * for device certificates). */
json_t	*dsim_cloud_challenge_body(const char *device_id, const char *profile,
	    const char *user_id);

#endif
