/* The device's admin calls (cloud.h), blocking, on the project's HTTP
 * client (common/http_client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim_cloud.h"
#include "http_client.h"

#define DSIM_CLOUD_TIMEOUT_MS 60000

static void
cloud_error(int status, const char *body, char *err, size_t errlen)
{
	json_t *answer = json_loads(body, 0, NULL);
	json_t *e = json_object_get(answer, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (code != NULL && msg != NULL)
		snprintf(err, errlen, "%s: %s", code, msg);
	else
		snprintf(err, errlen, "the emulator answered %d: %.200s", status, body);
	json_decref(answer);
}

json_t *
dsim_cloud_call(const char *admin_url, const char *method, const char *path, json_t *body,
    int *status, char *err, size_t errlen)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, *answer_text = NULL;
	struct ndes_http_fetch_opts o = {
		.client = { .base_url = admin_url, .timeout_ms = DSIM_CLOUD_TIMEOUT_MS },
		.method = method, .path = path, .content_type = text ? "application/json" : NULL,
		.body = text, .len = text ? strlen(text) : 0,
	};
	char why[256];
	json_t *answer = NULL;
	size_t len = 0;

	*status = 0;
	if (ndes_http_fetch(&o, status, &answer_text, &len, why, sizeof(why)) != NDES_HTTP_OK)
		snprintf(err, errlen, "cannot reach the emulator at %s: %s", admin_url, why);
	else if (*status < 200 || *status > 299)
		cloud_error(*status, answer_text, err, errlen);
	else if ((answer = json_loads(answer_text, 0, NULL)) == NULL)
		snprintf(err, errlen, "the emulator answered %d without JSON", *status);
	free(text);
	free(answer_text);
	return answer;
}

json_t *
dsim_cloud_pick_device(json_t *devices, const char *name_or_id, char *err, size_t errlen)
{
	json_t *d, *by_name = NULL;
	size_t i, named = 0;

	json_array_foreach(devices, i, d) {
		if (strcmp(json_string_value(json_object_get(d, "deviceId")) ?: "", name_or_id) == 0)
			return d;
		if (strcmp(json_string_value(json_object_get(d, "name")) ?: "", name_or_id) == 0) {
			by_name = d;
			named++;
		}
	}
	if (named == 1)
		return by_name;
	if (named > 1)
		snprintf(err, errlen, "%zu devices are named \"%s\": give its ID", named,
		    name_or_id);
	else
		snprintf(err, errlen, "no device \"%s\" in the emulator's inventory (neither "
		    "an ID nor a name)", name_or_id);
	return NULL;
}

json_t *
dsim_cloud_find_device(const char *admin_url, const char *name_or_id, char *err,
    size_t errlen)
{
	int status;
	json_t *all = dsim_cloud_call(admin_url, "GET", "/admin/devices", NULL, &status, err,
	    errlen);
	json_t *d = NULL;

	if (all != NULL && (d = dsim_cloud_pick_device(json_object_get(all, "value"),
	    name_or_id, err, errlen)) != NULL)
		json_incref(d);
	json_decref(all);
	return d;
}

json_t *
dsim_cloud_challenge_body(const char *device_id, const char *profile, const char *user_id)
{
	return json_pack("{s:s, s:s, s:s*}", "device", device_id, "profile", profile,
	    "user", user_id);
}
