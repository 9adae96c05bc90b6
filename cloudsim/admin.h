/* Internals of the loopback admin endpoint (admin*.c); docs/cloud-api.md. */
#ifndef NDES_CLOUDSIM_ADMIN_H
#define NDES_CLOUDSIM_ADMIN_H

#include <stdbool.h>

#include "api.h"
#include "challenge.h"

/* Refuse non-loopback peers (403), parse the body when body is set.  0, or
 * -1 after the error reply.  Replies go through api_reply()/api_error(). */
int admin_start(struct cloudsim_svc *svc, struct ndes_http_request *req, bool body,
    struct api_call *call);

/* The certificate a plan asks for, as the admin answers and the PKCS
 * requests show it: deviceId, userId, profile, certificateType, subject,
 * subjectOpenssl, scepclientArgs, sans, keyType, keySize, keyUsage,
 * extendedKeyUsages, hash, validityDays, templateName. */
json_t *admin_claims_json(const struct ndes_challenge_claims *claims);

/* A JSON array of the n strings. */
json_t *admin_strings(char *const *items, size_t n);

/* What a device needs of its SCEP profile beyond the claims:
 * renewalThresholdPercent, scepServerUrls (in order), trustedRootProfile,
 * trustedRootCertificate (PEM), keyStorageProvider (null when not set).
 * NULL when the profile is unknown or out of memory (admin_payload.c). */
json_t *admin_profile_payload(const struct cloudsim_config *config, const char *profile);

/* The body's device, profile and (optional, else NULL) user; replies 400
 * and returns -1 when one is missing or not a fitting string. */
int admin_plan_args(struct api_call *call, const char **device, const char **profile,
    const char **user);
/* cloudsim_plan() for the body's device, profile and user; on refusal
 * replies 422 profile_refused (or 400 for a bad body) and returns -1. */
int admin_plan(struct api_call *call, struct ndes_challenge_claims *claims, int64_t now);

/* Handlers (admin_challenge.c, admin_pkcs.c). */
void admin_challenge(struct ndes_http_request *req, void *arg);
void admin_pkcs_request(struct ndes_http_request *req, void *arg);
void admin_pkcs_open(struct ndes_http_request *req, void *arg);
/* GET /admin/devices, GET and POST /admin/device-reports (admin_devices.c). */
int admin_device_routes(struct ndes_http_server *admin, struct cloudsim_svc *svc);

#endif
