/* ndes-device-sim internals (docs/devicesim.md): a managed device that
 * takes its SCEP profile payload from the emulator's admin endpoint, makes
 * its key and request as the payload says, enrolls at the payload's SCEP
 * server URLs (scep_client.h), checks what was issued with the conformance
 * code crpd runs (common/conformance.h), keeps key and certificate in a
 * state folder, reports the profile state to the emulator and renews at the
 * profile's threshold.
 *
 * Conventions: 0 / -1 returns with err set (one line); x_clear()/x_free()
 * accept zeroed structs / NULL; nothing global but the clock offset. */
#ifndef NDES_DEVICESIM_DSIM_H
#define NDES_DEVICESIM_DSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "challenge.h"

#define DSIM_ERR_MAX 512
#define DSIM_MAX_URLS 16

/* ---- The profile payload (payload.c) ---- */

/* The admin answer of POST /admin/challenges (docs/cloud-api.md), read. */
struct dsim_payload {
	char	*challenge;		/* the text for challengePassword */
	char	*subject_openssl;	/* "/C=US/O=Contoso/CN=alice" */
	struct ndes_challenge_claims claims; /* subject, sans, key, usages, hash,
					 * validity; challenge_id, device_id,
					 * profile_id, user_id */
	char	*urls[DSIM_MAX_URLS];	/* scepServerUrls, in order */
	size_t	n_urls;
	int	renewal_pct;		/* renewalThresholdPercent, 1..99 */
	X509	*trusted_root;		/* trustedRootCertificate */
};

int	dsim_payload_parse(const json_t *answer, struct dsim_payload *p, char *err,
	    size_t errlen);
void	dsim_payload_clear(struct dsim_payload *p);
/* --check-config FILE: a saved profile payload (what --payload reads; the
 * device reads no configuration file).  "FILE: OK" on stdout and 0, or one
 * line on stderr and 1: FILE:LINE:COLUMN: what for bad JSON, FILE: profile
 * payload: "field": what for a field the device cannot use.  Fields it does
 * not know are not errors (the cloud may add some). */
int	dsim_payload_check_file(const char *path);

/* ---- Key and request (request.c, request_ext.c) ---- */

/* keyType "RSA" (bits >= 1024) or "EC" (bits 256, 384 or 521: P-256, ...). */
EVP_PKEY *dsim_key_new(const char *key_type, int bits, char *err, size_t errlen);
/* "P-256", "P-384", "P-521" for 256, 384, 521; NULL otherwise. */
const char *dsim_ec_group_for_bits(int bits);
/* A PKCS#10 request with exactly the payload's subject, SANs (UPN as the
 * Microsoft UPN otherName), key usage (critical), EKUs, the challenge as
 * challengePassword, signed with key and the payload's hash. */
X509_REQ *dsim_request_new(const struct dsim_payload *p, EVP_PKEY *key, char *err,
	    size_t errlen);
/* "/C=US/O=Contoso/CN=a\/b" to a name ('\' escapes '/', '+', '\'). */
X509_NAME *dsim_name_from_openssl(const char *text, char *err, size_t errlen);
/* The subjectAltName extension of the claims' SANs; NULL with err. */
X509_EXTENSION *dsim_san_extension(const struct ndes_challenge_claims *c, char *err,
	    size_t errlen);

/* ---- The check after issuance (conform.c) ---- */

/* ndes_conformance_check() of cert against the payload's claims, the
 * request's key, the CA certificates GetCACert gave and the payload's
 * trusted root.  0: conforms; 1: differs, why says each code and detail;
 * -1: cannot be read (why says so). */
int	dsim_conform(const struct dsim_payload *p, X509 *cert, EVP_PKEY *key,
	    STACK_OF(X509) *ca_certs, char *why, size_t whylen);

/* ---- Time and renewal (renew.c) ---- */

/* "+700d", "-3h", "90m", "10s", "0" (seconds without a unit). */
int	dsim_clock_offset_parse(const char *text, int64_t *seconds);
void	dsim_clock_set_offset(int64_t seconds);
time_t	dsim_now(void);
/* Is the remaining life under pct percent of the whole at now?  why says
 * both figures either way. */
bool	dsim_renewal_due(X509 *cert, int pct, time_t now, char *why, size_t whylen);

/* ---- The state folder (state.c) ---- */

/* DIR/<device>/<profile as a file name>/: key.pem (0600), cert.pem,
 * state.json {deviceId, profile, userId, state, reason, thumbprint,
 * serialNumber, notBefore, notAfter, renewalThresholdPercent, url,
 * challengeId, enrolledAt, renewals}. */
struct dsim_state {
	char	*dir;		/* the device's profile folder */
	EVP_PKEY *key;		/* NULL when none yet */
	X509	*cert;
	json_t	*info;		/* state.json, an object (empty when none) */
};

int	dsim_state_open(const char *root, const char *device, const char *profile,
	    struct dsim_state *st, char *err, size_t errlen);
/* Key and certificate replace the old ones (the old pair kept as
 * key.old.pem, cert.old.pem), then state.json. */
int	dsim_state_save(struct dsim_state *st, EVP_PKEY *key, X509 *cert, char *err,
	    size_t errlen);
int	dsim_state_write_info(struct dsim_state *st, char *err, size_t errlen);
void	dsim_state_clear(struct dsim_state *st);
/* The profile name as one file name: [A-Za-z0-9._-] kept, others '_'. */
void	dsim_state_file_name(const char *name, char *out, size_t outlen);

/* ---- Enrolling at the payload's URLs (enroll.c) ---- */

#include "scep_client.h"

/* One enrollment (renew_cert/renew_key set: RenewalReq) at the payload's
 * URLs in order: the next only after DSIM_SCEP_UNREACHABLE or
 * DSIM_SCEP_SERVER_ERROR.  res is the last attempt's (clear it);
 * *url_index the URL that answered last; why one line for a failure,
 * naming each URL tried. */
enum dsim_scep_outcome dsim_enroll_urls(const struct dsim_payload *p, X509_REQ *csr,
	    EVP_PKEY *key, X509 *renew_cert, EVP_PKEY *renew_key,
	    struct dsim_scep_result *res, size_t *url_index, char *why, size_t whylen);
/* Should the device move on to its next URL after this outcome? */
bool	dsim_outcome_next_url(enum dsim_scep_outcome o);
/* "failInfo badRequest: <reason>" and the like: one line for a report. */
void	dsim_outcome_reason(const struct dsim_scep_result *res, char *out, size_t outlen);

/* ---- Reports to the emulator (report.c) ---- */

struct dsim_report {
	const char	*device_id, *profile, *user_id, *challenge_id, *url;
	bool		succeeded;
	bool		renewal;
	const char	*reason;	/* "" when succeeded */
	X509		*cert;		/* issued (also when it differs), or NULL */
};

/* The body of POST /admin/device-reports. */
json_t	*dsim_report_json(const struct dsim_report *r);

#endif
