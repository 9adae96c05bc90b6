/* Internals of the connector API (api*.c); docs/cloud-api.md is the contract. */
#ifndef NDES_CLOUDSIM_API_H
#define NDES_CLOUDSIM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "http.h"
#include "service.h"
#include "store.h"

#define API_ERR_MAX 512

/* One request being handled. */
struct api_call {
	struct cloudsim_svc *svc;
	struct ndes_http_request *req;
	json_t *body;                    /* API_BODY: the parsed object */
	char connector_id[64];           /* API_AUTH: the authenticated connector */
	char request_id[64];             /* client-request-id (sent or made up) */
};

#define API_AUTH 0x01    /* the client certificate must be a connector's current one */
#define API_BODY 0x02    /* the body must be a JSON object */

/* Echo client-request-id, log, authenticate, parse.  0, or -1 after the
 * error reply (the request is then gone). */
int api_start(struct cloudsim_svc *svc, struct ndes_http_request *req, unsigned flags,
    struct api_call *call);
void api_end(struct api_call *call);
/* 400 invalid_request with msg; ends the call. */
void api_bad_request(struct api_call *call, const char *msg);
/* Replies that end the call. */
void api_reply(struct api_call *call, int status, json_t *body);
void api_error(struct api_call *call, int status, const char *code, const char *msg);

/* A string field of at most maxlen bytes (and not empty when required). */
int api_get_str(const json_t *obj, const char *field, bool required, size_t maxlen,
    const char **out, char *err, size_t errlen);
/* The same, and only hex digits. */
int api_get_hex(const json_t *obj, const char *field, bool required, size_t maxlen,
    const char **out, char *err, size_t errlen);
/* s starts with an ISO 8601 date "YYYY-MM-DD"; err names field. */
int api_check_date(const char *s, const char *field, char *err, size_t errlen);
/* "results[3]: " + msg into err. */
void api_item_err(char *err, size_t errlen, const char *array, size_t i, const char *msg);

/* base64 DER of a certificate (malloc'd). */
char *api_cert_b64(X509 *cert);
/* [base64 DER, ...] of a stack. */
json_t *api_certs_b64(STACK_OF(X509) *certs);

/* Checks one item of "results" into r (0, or -1 with err); records one result. */
typedef int api_result_check_fn(const json_t *item, struct cloudsim_queue_result *r,
    char *err, size_t errlen);
typedef enum cloudsim_result api_result_apply_fn(struct cloudsim_store *st,
    const struct cloudsim_queue_result *res, const char *connector_id, int64_t now);

/* A whole upload*Results endpoint (arg: the service): parse with check,
 * record with apply, answer 200 with the statuses or 400 naming the item. */
void api_results_upload(struct ndes_http_request *req, void *arg,
    api_result_check_fn *check, const char *id_field, api_result_apply_fn *apply);

/* Route tables of the parts (api_*.c). */
int api_connector_routes(struct cloudsim_svc *svc);
int api_scep_routes(struct cloudsim_svc *svc);
int api_revoke_routes(struct cloudsim_svc *svc);
int api_pkcs_routes(struct cloudsim_svc *svc);

#endif
