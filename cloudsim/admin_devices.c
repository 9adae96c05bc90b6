/* Admin: the inventory as devices see it and what they report back
 * (docs/cloud-api.md): GET /admin/devices (each device with the SCEP
 * profiles that reach it), POST /admin/device-reports and GET
 * /admin/device-reports (the profile states ndes-device-sim reports). */
#include <string.h>
#include <time.h>

#include "admin.h"
#include "log.h"
#include "store.h"

/* The profiles a challenge can be minted for on device d (for a user
 * certificate: for its primary user). */
static json_t *
devices_profiles(const struct cloudsim_config *cfg, const struct cloudsim_device *d,
    time_t now)
{
	struct ndes_challenge_claims cl;
	json_t *arr = json_array();
	char err[CLOUDSIM_ERR_MAX];

	for (size_t i = 0; arr != NULL && i < cfg->n_profiles; i++) {
		const struct cloudsim_scep_profile *p = &cfg->profiles[i];
		bool user = p->certificate_type == NDES_CHALLENGE_CERT_USER;

		if (user && d->owner == NULL)
			continue;
		if (cloudsim_plan(cfg, d->id, p->name, user ? d->owner : NULL, NULL, now, &cl, err,
		    sizeof(err)) != 0)
			continue;
		ndes_challenge_claims_clear(&cl);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "profile", p->name,
		    "certificateType", user ? "user" : "device",
		    "userId", cloudsim_json_str(user ? d->owner : NULL)));
	}
	return arr;
}

static void
admin_devices(struct ndes_http_request *req, void *arg)
{
	struct api_call c;
	const struct cloudsim_config *cfg;
	json_t *rows;
	time_t now = time(NULL);

	if (admin_start(arg, req, false, &c) != 0)
		return;
	cfg = c.svc->config;
	rows = json_array();
	for (size_t i = 0; rows != NULL && i < cfg->n_devices; i++) {
		const struct cloudsim_device *d = &cfg->devices[i];

		json_array_append_new(rows, json_pack("{s:s, s:o, s:s, s:o, s:o}",
		    "deviceId", d->id, "name", cloudsim_json_str(d->name),
		    "platform", cloudsim_platform_key(d->platform),
		    "owner", cloudsim_json_str(d->owner),
		    "profiles", devices_profiles(cfg, d, now)));
	}
	api_reply(&c, 200, rows ? json_pack("{s:o}", "value", rows) : NULL);
}

static int
report_read(const json_t *b, struct cloudsim_device_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (api_get_str(b, "deviceId", true, 256, &r->device_id, err, errlen) != 0 ||
	    api_get_str(b, "profile", true, 256, &r->profile, err, errlen) != 0 ||
	    api_get_str(b, "userId", false, 256, &r->user_id, err, errlen) != 0 ||
	    api_get_str(b, "challengeId", false, 64, &r->challenge_id, err, errlen) != 0 ||
	    api_get_str(b, "state", true, 16, &r->state, err, errlen) != 0 ||
	    api_get_str(b, "reason", false, 2048, &r->reason, err, errlen) != 0 ||
	    ndes_json_get_bool(b, "renewal", false, &r->renewal, err, errlen) != 0 ||
	    api_get_hex(b, "thumbprint", false, 128, &r->thumbprint, err, errlen) != 0 ||
	    api_get_hex(b, "serialNumber", false, 128, &r->serial_number, err, errlen) != 0 ||
	    api_get_str(b, "url", false, 2048, &r->url, err, errlen) != 0)
		return -1;
	if (strcmp(r->state, "succeeded") != 0 && strcmp(r->state, "failed") != 0) {
		snprintf(err, errlen, "field \"state\": must be \"succeeded\" or \"failed\"");
		return -1;
	}
	if (r->reason == NULL)
		r->reason = "";
	return 0;
}

static void
admin_device_report(struct ndes_http_request *req, void *arg)
{
	struct cloudsim_device_report r;
	char err[API_ERR_MAX];
	struct api_call c;

	if (admin_start(arg, req, true, &c) != 0)
		return;
	if (report_read(c.body, &r, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	if (cloudsim_store_device_report_add(c.svc->store, &r, time(NULL)) != 0) {
		api_error(&c, 500, "internal_error", "the state database failed");
		return;
	}
	log_info("device %s reports profile \"%s\" %s%s%s", r.device_id, r.profile, r.state,
	    *r.reason ? ": " : "", r.reason);
	api_reply(&c, 201, json_pack("{s:s}", "status", "recorded"));
}

static void
admin_device_reports(struct ndes_http_request *req, void *arg)
{
	struct api_call c;
	json_t *rows;

	if (admin_start(arg, req, false, &c) != 0)
		return;
	rows = cloudsim_store_list_device_reports(c.svc->store);
	api_reply(&c, 200, rows ? json_pack("{s:o}", "value", rows) : NULL);
}

int
admin_device_routes(struct ndes_http_server *a, struct cloudsim_svc *svc)
{
	if (ndes_http_route(a, "GET", "/admin/devices", admin_devices, svc) != 0 ||
	    ndes_http_route(a, "GET", "/admin/device-reports", admin_device_reports, svc) != 0 ||
	    ndes_http_route(a, "POST", "/admin/device-reports", admin_device_report, svc) != 0)
		return -1;
	return 0;
}
