/* PkcsRequests: the PKCS certificate queue (docs/cloud-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/cms.h>

#include "api.h"
#include "b64.h"
#include "log.h"
#include "store.h"

#define API_TEXT_MAX 1024
#define API_ENVELOPE_MAX (1024 * 1024)

static void
api_pkcs_download(struct ndes_http_request *req, void *arg)
{
	char err[API_ERR_MAX];
	json_int_t max = 0;
	struct api_call c;
	json_t *value;

	if (api_start(arg, req, API_AUTH | API_BODY, &c) != 0)
		return;
	if (ndes_json_get_int(c.body, "maxRequests", true, 1, CLOUDSIM_MAX_DOWNLOAD, &max, err,
	    sizeof(err)) != 0) {
		api_bad_request(&c, err);
		return;
	}
	value = cloudsim_store_pkcs_lease(c.svc->store, (int)max, time(NULL), c.svc->lease_s,
	    c.connector_id);
	if (value != NULL)
		log_info("connector %s downloaded %zu PKCS requests", c.connector_id,
		    json_array_size(value));
	api_reply(&c, 200, value ? json_pack("{s:o}", "value", value) : NULL);
}

/* pkcs12Envelope: base64 DER CMS EnvelopedData or AuthEnvelopedData. */
static int
api_envelope(const json_t *item, struct cloudsim_queue_result *r, char *err, size_t errlen)
{
	const char *b64 = NULL;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	uint8_t *der = NULL;
	size_t len = 0;
	int nid;

	if (api_get_str(item, "pkcs12Envelope", true, API_ENVELOPE_MAX, &b64, err, errlen) != 0)
		return -1;
	if (ndes_b64_decode(b64, strlen(b64), &der, &len) != 0) {
		snprintf(err, errlen, "field \"pkcs12Envelope\": not base64");
		return -1;
	}
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	nid = cms ? OBJ_obj2nid(CMS_get0_type(cms)) : NID_undef;
	CMS_ContentInfo_free(cms);
	if (p != der + len ||
	    (nid != NID_pkcs7_enveloped && nid != NID_id_smime_ct_authEnvelopedData)) {
		snprintf(err, errlen, "field \"pkcs12Envelope\": not a DER CMS EnvelopedData");
		free(der);
		return -1;
	}
	r->envelope = der;
	r->envelope_len = len;
	return 0;
}

static int
api_pkcs_success(const json_t *item, struct cloudsim_queue_result *r, char *err, size_t errlen)
{
	if (r->error_code != 0) {
		snprintf(err, errlen, "field \"errorCode\": must be 0 when \"succeeded\" is true");
		return -1;
	}
	if (api_get_hex(item, "certificateThumbprint", true, 128, &r->thumbprint, err,
	    errlen) != 0 ||
	    api_get_hex(item, "certificateSerialNumber", true, 128, &r->serial, err, errlen) != 0 ||
	    api_get_str(item, "certificateExpirationDateUtc", true, 64, &r->expiration, err,
	    errlen) != 0 ||
	    api_check_date(r->expiration, "certificateExpirationDateUtc", err, errlen) != 0)
		return -1;
	return api_envelope(item, r, err, errlen);
}

static int
api_pkcs_item(const json_t *item, struct cloudsim_queue_result *r, char *err, size_t errlen)
{
	json_int_t code = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(item)) {
		snprintf(err, errlen, "expected an object");
		return -1;
	}
	if (api_get_str(item, "requestId", true, 256, &r->id, err, errlen) != 0 ||
	    ndes_json_get_bool(item, "succeeded", true, &r->succeeded, err, errlen) != 0 ||
	    ndes_json_get_int(item, "errorCode", !r->succeeded, INT32_MIN, INT32_MAX, &code, err,
	    errlen) != 0 ||
	    api_get_str(item, "errorMessage", false, API_TEXT_MAX, &r->error_message, err,
	    errlen) != 0)
		return -1;
	r->error_code = code;
	if (r->succeeded)
		return api_pkcs_success(item, r, err, errlen);
	if (code == 0) {
		snprintf(err, errlen, "field \"errorCode\": must be non-zero when \"succeeded\" "
		    "is false");
		return -1;
	}
	return 0;
}

static void
api_pkcs_upload(struct ndes_http_request *req, void *arg)
{
	api_results_upload(req, arg, api_pkcs_item, "requestId", cloudsim_store_pkcs_result);
}

int
api_pkcs_routes(struct cloudsim_svc *svc)
{
	if (ndes_http_route(svc->api, "POST", "/PkcsRequests/download", api_pkcs_download,
	    svc) != 0 ||
	    ndes_http_route(svc->api, "POST", "/PkcsRequests/uploadResults", api_pkcs_upload,
	    svc) != 0)
		return -1;
	return 0;
}
