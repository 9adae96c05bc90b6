/* <ndes/policy.h>: the ndes-linux policy module ABI, for SCEP servers
 * written in C (or anything that can dlopen a shared object).
 *
 * It mirrors Windows' INDESPolicy (Initialize, Uninitialize,
 * GenerateChallenge, VerifyRequest, Notify).  A SCEP server loads the
 * module and asks it, before it issues, whether a request may be issued;
 * the module asks ndes-crpd, which checks the request's challengePassword
 * (a one-time challenge made by the MDM cloud) against the request.  After
 * issuance, or failure, the server notifies the module of the outcome.
 *
 * Loading:
 *
 *	#include <dlfcn.h>
 *	#include <ndes/policy.h>
 *
 *	// path: pkg-config --variable=module ndes-policy
 *	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
 *	ndes_policy_entry_fn entry = (ndes_policy_entry_fn)(uintptr_t)
 *	    dlsym(so, NDES_POLICY_ENTRY_SYMBOL);
 *	const struct ndes_policy_v1 *api = entry(NDES_POLICY_ABI_VERSION);
 *	struct ndes_policy *pol;
 *	char err[256];
 *	if (api == NULL || api->initialize(NULL, &pol, err, sizeof(err)) != 0)
 *		... refuse to start, print err ...
 *
 *	struct ndes_policy_verdict v;
 *	int rc = api->verify_request(pol, csr_der, csr_len, NULL, 0,
 *	    template_name, transaction_id, &v);
 *	if (rc != NDES_POLICY_OK || !v.verified)
 *		... refuse the request (log v.reason_code, v.reason) ...
 *	... issue, then:
 *	api->notify(pol, challenge, transaction_id, NDES_POLICY_DISPOSITION_SUCCESS,
 *	    0, cert_der, cert_len);
 *	...
 *	api->uninitialize(pol);
 *	dlclose(so);
 *
 * `pkg-config --variable=module ndes-policy` gives the installed module's
 * path and `pkg-config --cflags ndes-policy` the include flags.  The
 * module exports exactly one symbol, ndes_policy_entry.
 *
 * Behaviour inside the host:
 * - Thread-safe: one handle may be used by any number of threads at once
 *   (verify_request and notify share a pool of connections to ndes-crpd).
 *   Only initialize/uninitialize must not race with other calls on the
 *   same handle.  Several handles may live side by side.
 * - Bounded: every verify_request and notify returns within the configured
 *   timeout (default 5 s), waiting for a free connection included.
 * - Fail closed: when ndes-crpd cannot be asked (down, slow, garbled
 *   answer) the request is NOT verified.
 * - Never exits, aborts, raises signals (no SIGPIPE) or writes to stdout;
 *   diagnostics go to the log callback (set_log), else one line each to
 *   stderr prefixed "ndes_policy: ".
 * - No global state: everything lives in the handle and is freed by
 *   uninitialize; the module can be unloaded and loaded again.
 * - Reconnects by itself after ndes-crpd restarts.
 * - Strings are UTF-8.  A handle must not be used in a child after fork().
 *
 * Configuration (YAML, see docs/policy.md):
 *	crp_socket: /run/ndes/crp.sock	# ndes-crpd's socket
 *	timeout: 5s			# per call, 1s .. 5m
 *	connections: 4			# pooled connections, 1 .. 64
 *	template_name: ""		# used when the host passes NULL or ""
 */
#ifndef NDES_POLICY_H
#define NDES_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI described here.  A new incompatible table gets a new number and
 * a new struct; ndes_policy_entry(1) keeps answering with this one. */
#define NDES_POLICY_ABI_VERSION 1
/* The one exported symbol, for dlsym(). */
#define NDES_POLICY_ENTRY_SYMBOL "ndes_policy_entry"

/* Return values of the table's functions (0 or negative). */
enum ndes_policy_result {
	NDES_POLICY_OK = 0,
	NDES_POLICY_E_INVALID = -1,	  /* bad argument: NULL handle or CSR, empty
					   * CSR, unknown disposition, text not UTF-8 */
	NDES_POLICY_E_CONFIG = -2,	  /* initialize: configuration refused */
	NDES_POLICY_E_NOT_SUPPORTED = -3, /* generate_challenge: challenges come
					   * from the MDM cloud, never from here */
	NDES_POLICY_E_UNAVAILABLE = -4,	  /* ndes-crpd could not be reached, or is
					   * busy: worth trying again later */
	NDES_POLICY_E_TIMEOUT = -5,	  /* no answer within the timeout */
	NDES_POLICY_E_PROTOCOL = -6,	  /* ndes-crpd's answer was malformed */
	NDES_POLICY_E_REJECTED = -7,	  /* ndes-crpd refused the request itself,
					   * or did not accept a notify */
	NDES_POLICY_E_NOMEM = -8,	  /* out of memory */
};

/* Outcome of a request, for notify(): the values of Windows'
 * X509SCEPDisposition. */
enum ndes_policy_disposition {
	NDES_POLICY_DISPOSITION_UNKNOWN = -1,
	NDES_POLICY_DISPOSITION_SUCCESS = 0,
	NDES_POLICY_DISPOSITION_FAILURE = 2,
	NDES_POLICY_DISPOSITION_PENDING = 3,
	NDES_POLICY_DISPOSITION_PENDING_CHALLENGE = 11,
};

/* Reason codes (verdict.reason_code) are the NDES diagnostic codes, e.g.
 * 0x00000411 CRPSCEPChallenge_Expired (docs/events.md has the list).  These
 * are the ones the module itself sets. */
#define NDES_POLICY_CODE_SUCCESS	0x00000000u
#define NDES_POLICY_CODE_UNKNOWN_ERROR	0x0FFFFFFFu /* ndes-crpd not asked or no answer */

#define NDES_POLICY_REASON_MAX	256
#define NDES_POLICY_ID_MAX	256

/* The answer of verify_request.  Strings are NUL-terminated UTF-8, cut
 * (at a character boundary) to fit. */
struct ndes_policy_verdict {
	bool	 verified;			/* true: the request may be issued */
	uint32_t reason_code;			/* diagnostic code, 0 when verified */
	uint32_t event_id;			/* the event ndes-crpd logged (20500,
						 * 20501, 20502); 0 when it was not asked */
	char	 reason[NDES_POLICY_REASON_MAX];	/* one line for the host's log */
	char	 challenge_id[NDES_POLICY_ID_MAX];	/* from the challenge; "" if unknown */
	char	 device_id[NDES_POLICY_ID_MAX];
	char	 user_id[NDES_POLICY_ID_MAX];
};

/* syslog severities */
enum ndes_policy_log_level {
	NDES_POLICY_LOG_ERROR = 3,
	NDES_POLICY_LOG_WARNING = 4,
	NDES_POLICY_LOG_INFO = 6,
	NDES_POLICY_LOG_DEBUG = 7,
};

/* Receives one line (no newline) per diagnostic; may be called from any
 * thread that is inside a module call, so it must be thread-safe. */
typedef void (*ndes_policy_log_fn)(void *arg, int level, const char *message);

struct ndes_policy;

struct ndes_policy_v1 {
	uint32_t abi_version;	/* NDES_POLICY_ABI_VERSION */
	uint32_t size;		/* sizeof(struct ndes_policy_v1) */
	const char *version;	/* the module's package version, "0.1.0" */

	/* Read the configuration at config_path (NULL: the default
	 * $sysconfdir/ndes/policy.yaml, or built-in defaults when that file
	 * does not exist) and make a handle.  Does not connect yet (ndes-crpd
	 * may start later).  0, or NDES_POLICY_E_CONFIG / _E_NOMEM /
	 * _E_INVALID with one line in err (errlen bytes; err may be NULL). */
	int (*initialize)(const char *config_path, struct ndes_policy **out, char *err,
	    size_t errlen);
	/* Close the connections and free the handle (NULL: no-op).  No call on
	 * the handle may be running or start afterwards. */
	void (*uninitialize)(struct ndes_policy *policy);
	/* Always NDES_POLICY_E_NOT_SUPPORTED (challenge[0] set to "" when
	 * challenge_len > 0): devices get their challenges from the cloud. */
	int (*generate_challenge)(struct ndes_policy *policy, const char *template_name,
	    const char *params, char *challenge, size_t challenge_len);
	/* Ask ndes-crpd whether the DER PKCS#10 request may be issued.
	 * signing_cert_der: the certificate that signed the SCEP message for a
	 * renewal (NULL/0 otherwise); template_name and transaction_id may be
	 * NULL.  *out is always filled.  0: ndes-crpd answered, out->verified
	 * says yes or no.  Otherwise out->verified is false (fail closed),
	 * out->reason_code NDES_POLICY_CODE_UNKNOWN_ERROR and out->reason says
	 * why.  Issue only when the result is 0 AND out->verified. */
	int (*verify_request)(struct ndes_policy *policy, const uint8_t *csr_der, size_t csr_len,
	    const uint8_t *signing_cert_der, size_t signing_cert_len, const char *template_name,
	    const char *transaction_id, struct ndes_policy_verdict *out);
	/* Tell ndes-crpd the outcome of a request: challenge (the request's
	 * challengePassword, may be NULL), transaction_id (may be NULL),
	 * disposition (enum ndes_policy_disposition), last_hresult (the
	 * server's error code, 0 on success), cert_der (the issued
	 * certificate; NULL/0 when none).  ndes-crpd finds the verification
	 * by challenge, else by the certificate's public key, else by
	 * transaction ID.  0 when recorded; _E_REJECTED when ndes-crpd
	 * answered but did not accept it (logged with its reason). */
	int (*notify)(struct ndes_policy *policy, const char *challenge,
	    const char *transaction_id, int disposition, uint32_t last_hresult,
	    const uint8_t *cert_der, size_t cert_len);
	/* Send diagnostics to fn(arg, level, line) instead of stderr (fn NULL:
	 * back to stderr).  Call before sharing the handle between threads. */
	void (*set_log)(struct ndes_policy *policy, ndes_policy_log_fn fn, void *arg);
	/* "ok", "invalid argument", ... for an enum ndes_policy_result. */
	const char *(*strerror)(int result);
};

/* The table for abi_version, or NULL for a version this module does not
 * implement. */
typedef const struct ndes_policy_v1 *(*ndes_policy_entry_fn)(unsigned abi_version);
const struct ndes_policy_v1 *ndes_policy_entry(unsigned abi_version);

#ifdef __cplusplus
}
#endif

#endif
