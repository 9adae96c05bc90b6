/* ScepActions/successNotification and failureNotification: recorded once
 * per (kind, transactionId) (docs/cloud-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "conformance.h"
#include "log.h"
#include "notify_batch.h"
#include "store.h"

#define API_TEXT_MAX 1024
#define API_REQUEST_MAX (64 * 1024)

/* The notification object: the body itself, or its "notification" member
 * (the shape of Microsoft's client libraries). */
static const json_t *
api_notification(const json_t *body, char *err, size_t errlen)
{
	json_t *inner = NULL;

	if (ndes_json_get_object(body, "notification", false, &inner, err, errlen) != 0)
		return NULL;
	return inner ? inner : body;
}

/* One entry of ndesConformance.differences: {code, name, detail}. */
static int
api_conformance_diff(const json_t *d, char *err, size_t errlen)
{
	const char *s = NULL;

	if (!json_is_object(d)) {
		snprintf(err, errlen, "field \"ndesConformance\": differences must be objects");
		return -1;
	}
	if (api_get_str(d, "code", true, 10, &s, err, errlen) != 0 ||
	    api_get_str(d, "name", true, 64, &s, err, errlen) != 0 ||
	    api_get_str(d, "detail", true, API_TEXT_MAX, &s, err, errlen) != 0)
		return -1;
	return 0;
}

/* The project's ndesConformance member (docs/cloud-api.md), optional. */
static int
api_conformance_check(const json_t *n, char *err, size_t errlen)
{
	json_t *conf = NULL, *diffs = NULL, *d;
	const char *s = NULL;
	bool b;
	size_t i;

	if (ndes_json_get_object(n, "ndesConformance", false, &conf, err, errlen) != 0)
		return -1;
	if (conf == NULL)
		return 0;
	if (ndes_json_get_bool(conf, "checked", true, &b, err, errlen) != 0 ||
	    ndes_json_get_bool(conf, "conforms", true, &b, err, errlen) != 0 ||
	    ndes_json_get_bool(conf, "revoke", false, &b, err, errlen) != 0 ||
	    api_get_str(conf, "challengeId", true, 64, &s, err, errlen) != 0 ||
	    api_get_str(conf, "profile", true, 256, &s, err, errlen) != 0 ||
	    ndes_json_get_array(conf, "differences", true, &diffs, err, errlen) != 0)
		return -1;
	if (json_array_size(diffs) > NDES_CONFORMANCE_MAX_DIFFS) {
		snprintf(err, errlen, "field \"differences\": at most %d entries",
		    NDES_CONFORMANCE_MAX_DIFFS);
		return -1;
	}
	json_array_foreach(diffs, i, d)
		if (api_conformance_diff(d, err, errlen) != 0)
			return -1;
	return 0;
}

/* ndesConformance.revoke: the connector revokes the certificate by itself
 * (docs/crpd.md, "Conformance"); recorded so that its uploaded result
 * (request context "conformance:<challengeId>") shows as the revocation. */
int
api_conformance_revocation(struct cloudsim_svc *svc, const json_t *n, const char *connector)
{
	const json_t *conf = json_object_get(n, "ndesConformance");
	char context[100];

	if (!json_is_true(json_object_get(conf, "revoke")))
		return 0;
	snprintf(context, sizeof(context), "conformance:%s",
	    json_string_value(json_object_get(conf, "challengeId")));
	log_info("the certificate %s differs from its profile: its connector revokes it (%s)",
	    json_string_value(json_object_get(n, "certificateSerialNumber")), context);
	return cloudsim_store_revocation_claimed(svc->store, context,
	    json_string_value(json_object_get(n, "certificateSerialNumber")),
	    json_string_value(json_object_get(n, "issuingCertificateAuthority")), connector,
	    time(NULL));
}

static int
api_success_check(const json_t *n, const char **txid, char *err, size_t errlen)
{
	const char *s = NULL, *date = NULL;

	if (api_get_str(n, "transactionId", true, 256, txid, err, errlen) != 0 ||
	    api_get_str(n, "certificateRequest", true, API_REQUEST_MAX, &s, err, errlen) != 0 ||
	    api_get_hex(n, "certificateThumbprint", true, 128, &s, err, errlen) != 0 ||
	    api_get_hex(n, "certificateSerialNumber", true, 128, &s, err, errlen) != 0 ||
	    api_get_str(n, "certificateExpirationDateUtc", true, 64, &date, err, errlen) != 0 ||
	    api_check_date(date, "certificateExpirationDateUtc", err, errlen) != 0 ||
	    api_get_str(n, "issuingCertificateAuthority", true, API_TEXT_MAX, &s, err,
	    errlen) != 0 ||
	    api_get_str(n, "callerInfo", true, API_TEXT_MAX, &s, err, errlen) != 0 ||
	    api_get_str(n, "caConfiguration", false, API_TEXT_MAX, &s, err, errlen) != 0 ||
	    api_get_str(n, "certificateAuthority", false, API_TEXT_MAX, &s, err, errlen) != 0 ||
	    api_conformance_check(n, err, errlen) != 0)
		return -1;
	return 0;
}

static int
api_failure_check(const json_t *n, const char **txid, char *err, size_t errlen)
{
	const char *s = NULL;
	json_int_t hr;

	if (api_get_str(n, "transactionId", true, 256, txid, err, errlen) != 0 ||
	    api_get_str(n, "certificateRequest", true, API_REQUEST_MAX, &s, err, errlen) != 0 ||
	    ndes_json_get_int(n, "hResult", true, INT32_MIN, UINT32_MAX, &hr, err, errlen) != 0 ||
	    api_get_str(n, "errorDescription", true, 255, &s, err, errlen) != 0 ||
	    api_get_str(n, "callerInfo", true, API_TEXT_MAX, &s, err, errlen) != 0)
		return -1;
	return 0;
}

static void
api_notify(struct ndes_http_request *req, struct cloudsim_svc *svc, const char *kind,
    int (*check)(const json_t *, const char **, char *, size_t))
{
	char err[API_ERR_MAX];
	const char *txid = NULL;
	const json_t *n;
	struct api_call c;

	if (api_start(svc, req, API_AUTH | API_BODY, &c) != 0)
		return;
	if ((n = api_notification(c.body, err, sizeof(err))) == NULL ||
	    check(n, &txid, err, sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	cloudsim_notify_batch_submit(svc->notify, &c, kind, n, txid);
}

static void
api_success(struct ndes_http_request *req, void *arg)
{
	api_notify(req, arg, "success", api_success_check);
}

static void
api_failure(struct ndes_http_request *req, void *arg)
{
	api_notify(req, arg, "failure", api_failure_check);
}

int
api_scep_routes(struct cloudsim_svc *svc)
{
	if (ndes_http_route(svc->api, "POST", "/ScepActions/successNotification", api_success,
	    svc) != 0 ||
	    ndes_http_route(svc->api, "POST", "/ScepActions/failureNotification", api_failure,
	    svc) != 0)
		return -1;
	return 0;
}
