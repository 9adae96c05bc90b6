/* One device, one profile (dsim_cli.h): the profile payload from the
 * emulator, a key and request as it says, the enrollment at its URLs, the
 * check of what was issued, the state folder and the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "dsim.h"
#include "dsim_cli.h"
#include "dsim_cloud.h"
#include "dsim_device.h"
#include "log.h"

/* The payload: from the saved file, or a fresh challenge from the cloud. */
static json_t *
device_payload(const struct dsim_device_opts *o, const char *device_id, const char *user,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *body, *answer;
	int status;

	if (o->payload_file != NULL) {
		if ((answer = json_load_file(o->payload_file, 0, &jerr)) == NULL)
			snprintf(err, errlen, "%s: %s", o->payload_file, jerr.text);
		return answer;
	}
	body = dsim_cloud_challenge_body(device_id, o->profile, user);
	answer = dsim_cloud_call(o->cloud, "POST", "/admin/challenges", body, &status, err,
	    errlen);
	json_decref(body);
	return answer;
}

/* The user of a user-certificate profile: given, or the device's owner. */
static const char *
device_user(const struct dsim_device_opts *o, json_t *dev)
{
	json_t *p;
	size_t i;

	if (o->user != NULL)
		return o->user;
	json_array_foreach(json_object_get(dev, "profiles"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "profile")) ?: "",
		    o->profile) == 0)
			return json_string_value(json_object_get(p, "userId"));
	return json_string_value(json_object_get(dev, "owner"));
}

/* Report to the emulator; a failed report is said, not fatal. */
static int
device_report(const struct dsim_device_opts *o, const struct dsim_report *r)
{
	char err[DSIM_ERR_MAX];
	json_t *body = dsim_report_json(r), *answer;
	int status;

	answer = dsim_cloud_call(o->cloud, "POST", "/admin/device-reports", body, &status, err,
	    sizeof(err));
	json_decref(body);
	if (answer == NULL) {
		log_warnx("the profile state was not reported: %s", err);
		return -1;
	}
	json_decref(answer);
	return 0;
}

/* Is there anything to do?  1 yes (*renewing set), 0 no (said why). */
static int
device_due(const struct dsim_device_opts *o, struct dsim_state *st, json_t *prof_state,
    bool *renewing)
{
	char why[256];
	int pct = (int)json_integer_value(json_object_get(prof_state, "renewalThresholdPercent"));

	*renewing = st->cert != NULL;
	if (st->cert == NULL) {
		if (o->mode == DSIM_MODE_ENROLL)
			return 1;
		printf("not renewed: no certificate yet (enroll first)\n");
		return 0;
	}
	if (pct < 1 || pct > 99)
		pct = 20;
	if (dsim_renewal_due(st->cert, pct, dsim_now(), why, sizeof(why)) || o->force) {
		printf("renewal due: %s%s\n", why, o->force ? " (forced)" : "");
		return 1;
	}
	printf("not renewed: not due yet: %s\n", why);
	return 0;
}

int
dsim_device_run(const struct dsim_device_opts *o)
{
	struct dsim_state st = { 0 };
	struct dsim_run run = { .opts = o };
	char err[DSIM_ERR_MAX];
	json_t *dev = NULL;
	int rc = DSIM_EXIT_FAILED, todo;

	if (o->payload_file == NULL &&
	    (dev = dsim_cloud_find_device(o->cloud, o->device, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return DSIM_EXIT_FAILED;
	}
	run.device_id = dev ? json_string_value(json_object_get(dev, "deviceId")) : o->device;
	run.user = dev ? device_user(o, dev) : o->user;
	if (dsim_state_open(o->state, run.device_id, o->profile, &st, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto out;
	}
	if ((todo = device_due(o, &st, st.info, &run.renewing)) <= 0) {
		rc = todo == 0 ? DSIM_EXIT_OK : DSIM_EXIT_FAILED;
		goto out;
	}
	run.answer = device_payload(o, run.device_id, run.user, err, sizeof(err));
	rc = dsim_device_enroll_once(&run, &st, err);
	if (run.report.device_id != NULL)
		device_report(o, &run.report);
out:
	dsim_run_clear(&run);
	dsim_state_clear(&st);
	json_decref(dev);
	return rc;
}
