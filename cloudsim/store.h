/* ndes-cloud-sim state in SQLite: state_dir/cloud.db (NDES_DB_DURABLE), so
 * a restart loses nothing queued or recorded.  Tables: tokens (only the
 * SHA-256 of each token), connectors and their client certificates,
 * challenges minted, notifications, the revocation and PKCS queues with
 * their results.  Times are seconds since the epoch.  Functions return 0 or
 * -1 (errors are logged by the storage layer) unless said otherwise. */
#ifndef NDES_CLOUDSIM_STORE_H
#define NDES_CLOUDSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/x509.h>

struct cloudsim_store;

struct cloudsim_store *cloudsim_store_open(const char *state_dir, char *err, size_t errlen);
void cloudsim_store_close(struct cloudsim_store *st);
int cloudsim_store_begin(struct cloudsim_store *st);
int cloudsim_store_commit(struct cloudsim_store *st);
void cloudsim_store_rollback(struct cloudsim_store *st);
/* Once a second from the loop: the WAL truncated when not empty. */
int cloudsim_store_maintain(struct cloudsim_store *st);

/* ---- Registration tokens (store_connectors.c) ---- */

enum cloudsim_token_state {
	CLOUDSIM_TOKEN_ERROR = -1,
	CLOUDSIM_TOKEN_OK,
	CLOUDSIM_TOKEN_UNKNOWN,
	CLOUDSIM_TOKEN_USED,
	CLOUDSIM_TOKEN_EXPIRED,
};

int cloudsim_store_token_add(struct cloudsim_store *st, const char *hash, int64_t now,
    int64_t expires_at);
enum cloudsim_token_state cloudsim_store_token_state(struct cloudsim_store *st,
    const char *hash, int64_t now);
int cloudsim_store_token_use(struct cloudsim_store *st, const char *hash,
    const char *connector_id, int64_t now);

/* ---- Connectors (store_connectors.c) ---- */

/* The certificates of a registration or renewal.  crp_der NULL on renewal:
 * keep the current CRP certificate. */
struct cloudsim_conn_certs {
	const char *client_thumbprint;   /* SHA-1 hex */
	const char *client_serial;
	int64_t client_not_after;
	const uint8_t *crp_der;
	size_t crp_len;
	const char *crp_thumbprint;
};

int cloudsim_store_connector_add(struct cloudsim_store *st, const char *id, const char *name,
    const struct cloudsim_conn_certs *certs, int64_t now);
int cloudsim_store_connector_renew(struct cloudsim_store *st, const char *id,
    const struct cloudsim_conn_certs *certs, int64_t now);
int cloudsim_store_connector_unregister(struct cloudsim_store *st, const char *id, int64_t now);
int cloudsim_store_connector_active_count(struct cloudsim_store *st, int64_t *n);

enum cloudsim_auth {
	CLOUDSIM_AUTH_ERROR = -1,
	CLOUDSIM_AUTH_OK,
	CLOUDSIM_AUTH_UNKNOWN,           /* not a certificate we issued to a connector */
	CLOUDSIM_AUTH_SUPERSEDED,        /* replaced by a renewal */
	CLOUDSIM_AUTH_UNREGISTERED,
};

/* Who holds the client certificate with this SHA-1 thumbprint; id gets the
 * connector ID (also for SUPERSEDED and UNREGISTERED). */
enum cloudsim_auth cloudsim_store_connector_auth(struct cloudsim_store *st,
    const char *thumbprint, char *id, size_t idlen);
/* The CRP encryption certificates of every active connector whose client
 * certificate has not expired (oldest first): a new stack of references to
 * certificates parsed once and kept until the connectors change through
 * this handle (register, renew, unregister) or a rollback
 * (store_recipients.c).  Free with sk_X509_pop_free(, X509_free). */
STACK_OF(X509) *cloudsim_store_crp_certs(struct cloudsim_store *st);
/* The DER of one connector's CRP certificate (malloc'd). */
int cloudsim_store_connector_crp(struct cloudsim_store *st, const char *id,
    uint8_t **der, size_t *len);
json_t *cloudsim_store_list_connectors(struct cloudsim_store *st);

/* ---- Records (store_records.c) ---- */

struct cloudsim_challenge_rec {
	const char *id, *device_id, *profile, *user_id, *subject;
	int64_t issued_at, expires_at;
	int recipients;
};
int cloudsim_store_challenge_add(struct cloudsim_store *st,
    const struct cloudsim_challenge_rec *rec);
json_t *cloudsim_store_list_challenges(struct cloudsim_store *st);

/* kind "success" or "failure".  1 recorded, 0 a repeat (same kind and
 * transactionId: not recorded again), -1 error. */
int cloudsim_store_notification_add(struct cloudsim_store *st, const char *kind,
    const char *transaction_id, const char *connector_id, const char *client_request_id,
    const char *body, int64_t now);
json_t *cloudsim_store_list_notifications(struct cloudsim_store *st);
json_t *cloudsim_store_list_profile_states(struct cloudsim_store *st);

/* ---- Device reports (store_device_reports.c) ---- */

/* What a device reports of one SCEP profile (POST /admin/device-reports). */
struct cloudsim_device_report {
	const char *device_id, *profile, *user_id, *challenge_id;
	const char *state;		/* "succeeded" or "failed" */
	const char *reason;		/* "" when succeeded */
	bool renewal;
	const char *thumbprint, *serial_number, *url;	/* may be NULL */
};
int cloudsim_store_device_report_add(struct cloudsim_store *st,
    const struct cloudsim_device_report *r, int64_t now);
json_t *cloudsim_store_list_device_reports(struct cloudsim_store *st);

/* ---- Queues (store_queue.c) ---- */

enum cloudsim_result {
	CLOUDSIM_RESULT_ERROR = -1,
	CLOUDSIM_RESULT_RECORDED,        /* final result recorded */
	CLOUDSIM_RESULT_REQUEUED,        /* retryable error recorded, pending again */
	CLOUDSIM_RESULT_DUPLICATE,       /* the request already has a final result */
	CLOUDSIM_RESULT_UNKNOWN,         /* no such request */
	CLOUDSIM_RESULT_NOT_LEASEHOLDER, /* pending, but not leased to this connector */
};
const char *cloudsim_result_name(enum cloudsim_result r);
/* Revocation error codes 4100-4103 (and the same for PKCS results). */
bool cloudsim_error_retryable(int64_t code);

int cloudsim_store_revocation_add(struct cloudsim_store *st, const char *request_context,
    const char *serial, const char *issuer_name, const char *ca_configuration, int64_t now);
/* A revocation a connector carries out by itself (ndes-crpd's conformance:
 * revoke): recorded pending, leased to it for good, never downloaded; its
 * uploaded result completes it. */
int cloudsim_store_revocation_claimed(struct cloudsim_store *st, const char *request_context,
    const char *serial, const char *issuer_name, const char *connector_id, int64_t now);
/* Up to max pending, unleased requests (issuer_name NULL: any issuer),
 * leased to connector_id until now + lease_s: {requestContext,
 * serialNumber, issuerName, caConfiguration} objects.  The leaseholder is
 * the connector a request was last handed to; the *_result() functions
 * record a pending request's result only from it (after its lease ran out
 * too, until another connector takes the request) and answer
 * CLOUDSIM_RESULT_NOT_LEASEHOLDER to any other (store_queue.c). */
json_t *cloudsim_store_revocation_lease(struct cloudsim_store *st, const char *issuer_name,
    int max, int64_t now, int64_t lease_s, const char *connector_id);
struct cloudsim_queue_result {
	const char *id;                  /* requestContext / requestId */
	bool succeeded;
	int64_t error_code;
	const char *error_message;       /* may be NULL */
	/* PKCS only */
	const uint8_t *envelope;
	size_t envelope_len;
	const char *thumbprint, *serial, *expiration;
};
enum cloudsim_result cloudsim_store_revocation_result(struct cloudsim_store *st,
    const struct cloudsim_queue_result *res, const char *connector_id, int64_t now);
json_t *cloudsim_store_list_revocations(struct cloudsim_store *st);

/* request: the JSON object the connector downloads (without leases). */
int cloudsim_store_pkcs_add(struct cloudsim_store *st, const char *request_id,
    const char *device_id, const char *user_id, const char *profile, const char *request,
    int64_t now);
json_t *cloudsim_store_pkcs_lease(struct cloudsim_store *st, int max, int64_t now,
    int64_t lease_s, const char *connector_id);
enum cloudsim_result cloudsim_store_pkcs_result(struct cloudsim_store *st,
    const struct cloudsim_queue_result *res, const char *connector_id, int64_t now);
json_t *cloudsim_store_list_pkcs(struct cloudsim_store *st);
/* The envelope of an issued request (malloc'd) and its device; 1 found,
 * 0 no such request or no envelope, -1 error. */
int cloudsim_store_pkcs_envelope(struct cloudsim_store *st, const char *request_id,
    uint8_t **der, size_t *len, char **device_id);

/* store.c: every row of a SELECT as JSON objects named by the column
 * aliases; integer columns whose alias ends in "At" become ISO 8601 text,
 * BLOB columns their size in bytes. */
json_t *cloudsim_store_rows(struct cloudsim_store *st, const char *sql);

#endif
