/* CertificateAuthorityRequests: the revocation queue (docs/cloud-api.md), and
 * the upload*Results handling it shares with PkcsRequests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"
#include "store.h"

#define API_TEXT_MAX 1024

static void
api_rev_download(struct ndes_http_request *req, void *arg)
{
	char err[API_ERR_MAX];
	const char *issuer = NULL;
	json_t *params = NULL, *value;
	json_int_t max = 0;
	struct api_call c;

	if (api_start(arg, req, API_AUTH | API_BODY, &c) != 0)
		return;
	if (ndes_json_get_object(c.body, "downloadParameters", true, &params, err,
	    sizeof(err)) != 0 ||
	    ndes_json_get_int(params, "maxRequests", true, 1, CLOUDSIM_MAX_DOWNLOAD, &max, err,
	    sizeof(err)) != 0 ||
	    api_get_str(params, "issuerName", false, API_TEXT_MAX, &issuer, err,
	    sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	value = cloudsim_store_revocation_lease(c.svc->store, issuer, (int)max, time(NULL),
	    c.svc->lease_s, c.connector_id);
	if (value != NULL)
		log_info("connector %s downloaded %zu revocation requests (issuer %s)",
		    c.connector_id, json_array_size(value), issuer ? issuer : "any");
	api_reply(&c, 200, value ? json_pack("{s:o}", "value", value) : NULL);
}

/* 0, 4000-4007, 4100-4103. */
static bool
api_rev_code_known(json_int_t code)
{
	return code == 0 || (code >= 4000 && code <= 4007) || (code >= 4100 && code <= 4103);
}

/* One result: requestContext, succeeded, errorCode, errorMessage. */
static int
api_rev_item(const json_t *item, struct cloudsim_queue_result *r, char *err, size_t errlen)
{
	json_int_t code = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(item)) {
		snprintf(err, errlen, "expected an object");
		return -1;
	}
	if (api_get_str(item, "requestContext", true, 256, &r->id, err, errlen) != 0 ||
	    ndes_json_get_bool(item, "succeeded", true, &r->succeeded, err, errlen) != 0 ||
	    ndes_json_get_int(item, "errorCode", false, 0, 4103, &code, err, errlen) != 0 ||
	    api_get_str(item, "errorMessage", false, API_TEXT_MAX, &r->error_message, err,
	    errlen) != 0)
		return -1;
	if (!api_rev_code_known(code)) {
		snprintf(err, errlen, "field \"errorCode\": %lld is not a revocation error code "
		    "(0, 4000-4007, 4100-4103)", (long long)code);
		return -1;
	}
	if (r->succeeded != (code == 0)) {
		snprintf(err, errlen, "field \"errorCode\": must be %s when \"succeeded\" is %s",
		    r->succeeded ? "0" : "non-zero", r->succeeded ? "true" : "false");
		return -1;
	}
	r->error_code = code;
	return 0;
}

/* Validate every item of "results" (1 to 500 of them) with check(); *out
 * gets them and *n how many passed (api_results_free() *out also on
 * failure; its strings point into body).  err names the item and the field:
 * 'results[2]: field "errorCode": ...'. */
static int
api_results_parse(const json_t *body, struct cloudsim_queue_result **out, size_t *n,
    api_result_check_fn *check, char *err, size_t errlen)
{
	json_t *arr = NULL;
	char why[API_ERR_MAX];

	*out = NULL;
	*n = 0;
	if (ndes_json_get_array(body, "results", true, &arr, err, errlen) != 0)
		return -1;
	if (json_array_size(arr) < 1 || json_array_size(arr) > CLOUDSIM_MAX_DOWNLOAD) {
		snprintf(err, errlen, "field \"results\": between 1 and %d results",
		    CLOUDSIM_MAX_DOWNLOAD);
		return -1;
	}
	if ((*out = calloc(json_array_size(arr), sizeof(**out))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (*n = 0; *n < json_array_size(arr); (*n)++) {
		if (check(json_array_get(arr, *n), &(*out)[*n], why, sizeof(why)) != 0) {
			api_item_err(err, errlen, "results", *n, why);
			return -1;
		}
	}
	return 0;
}

/* Free what api_results_parse() gave (each envelope, then the array). */
static void
api_results_free(struct cloudsim_queue_result *res, size_t n)
{
	for (size_t i = 0; res != NULL && i < n; i++)
		free((void *)res[i].envelope);
	free(res);
}

/* Record every result with apply() in one transaction: {"value": [{<id_field>:
 * id, "status": "recorded" | "requeued" | "duplicate" | "unknown"}]}, or NULL. */
static json_t *
api_results_apply(struct api_call *c, const struct cloudsim_queue_result *res, size_t n,
    const char *id_field, api_result_apply_fn *apply)
{
	json_t *value = json_array();
	int64_t now = time(NULL);
	enum cloudsim_result r;

	if (value == NULL || cloudsim_store_begin(c->svc->store) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if ((r = apply(c->svc->store, &res[i], c->connector_id, now)) ==
		    CLOUDSIM_RESULT_ERROR)
			goto fail;
		json_array_append_new(value, json_pack("{s:s, s:s}", id_field, res[i].id,
		    "status", cloudsim_result_name(r)));
		if (r == CLOUDSIM_RESULT_NOT_LEASEHOLDER)
			log_warnx("%s %s: a result from connector %s, which does not hold its "
			    "lease: not recorded", id_field, res[i].id, c->connector_id);
		else
			log_info("%s %s: result %s from connector %s", id_field, res[i].id,
			    cloudsim_result_name(r), c->connector_id);
	}
	if (cloudsim_store_commit(c->svc->store) != 0)
		goto fail;
	return json_pack("{s:o}", "value", value);
fail:
	cloudsim_store_rollback(c->svc->store);
	json_decref(value);
	return NULL;
}

void
api_results_upload(struct ndes_http_request *req, void *arg, api_result_check_fn *check,
    const char *id_field, api_result_apply_fn *apply)
{
	struct cloudsim_queue_result *res = NULL;
	char err[API_ERR_MAX];
	struct api_call c;
	size_t n = 0;

	if (api_start(arg, req, API_AUTH | API_BODY, &c) != 0)
		return;
	if (api_results_parse(c.body, &res, &n, check, err, sizeof(err)) != 0)
		api_bad_request(&c, err);
	else
		api_reply(&c, 200, api_results_apply(&c, res, n, id_field, apply));
	api_results_free(res, n);
}

static void
api_rev_upload(struct ndes_http_request *req, void *arg)
{
	api_results_upload(req, arg, api_rev_item, "requestContext",
	    cloudsim_store_revocation_result);
}

int
api_revoke_routes(struct cloudsim_svc *svc)
{
	if (ndes_http_route(svc->api, "POST",
	    "/CertificateAuthorityRequests/downloadRevocationRequests", api_rev_download,
	    svc) != 0 ||
	    ndes_http_route(svc->api, "POST",
	    "/CertificateAuthorityRequests/uploadRevocationResults", api_rev_upload, svc) != 0)
		return -1;
	return 0;
}
