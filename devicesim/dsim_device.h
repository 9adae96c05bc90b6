/* One enrollment of one device, in the steps the one-device command and the
 * fleet share (device_enroll.c): prepare (payload read, key, request), the
 * SCEP exchange (blocking or on the fleet's loop), finish (the check after
 * issuance, the state folder, the report's fields). */
#ifndef NDES_DEVICESIM_DSIM_DEVICE_H
#define NDES_DEVICESIM_DSIM_DEVICE_H

#include "dsim.h"
#include "dsim_cli.h"

#define DSIM_REASON_MAX 1024

struct dsim_run {
	const struct dsim_device_opts *opts;	/* NULL in the fleet */
	const char	*device_id, *profile, *user;
	bool		renewing;
	X509		*renew_cert;		/* renewing: the current pair */
	EVP_PKEY	*renew_key;
	json_t		*answer;		/* the challenge answer (payload) */
	struct dsim_payload payload;
	EVP_PKEY	*key;			/* set before prepare: a key made
						 * before (checked against the
						 * payload), else made by prepare */
	X509_REQ	*csr;
	const char	*url;			/* the URL that answered last */
	X509		*cert;			/* issued (a reference) */
	char		reason[DSIM_REASON_MAX];
	char		failure_kind[64];	/* "refused", "unreachable", ... */
	struct dsim_report report;
};

/* Payload, key and request; -1 with reason and failure_kind set
 * ("key_mismatch" when a key given does not match the payload's keyType and
 * keySize). */
int	dsim_run_prepare(struct dsim_run *run);
/* After the exchange: res and the URL list's reason (why).  The check,
 * the state (st may be NULL), the report; 0 succeeded, -1 failed. */
int	dsim_run_finish(struct dsim_run *run, const struct dsim_scep_result *res,
	    const char *why, struct dsim_state *st);
/* The blocking whole: prepare, dsim_enroll_urls, finish.  The exit code. */
int	dsim_device_enroll_once(struct dsim_run *run, struct dsim_state *st,
	    const char *fetch_err);
void	dsim_run_clear(struct dsim_run *run);

#endif
