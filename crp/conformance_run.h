/* crpd's side of the conformance check after issuance (common/conformance.h,
 * docs/policy.md "What is checked after issuance"): the claims of the
 * verified request, the check, its events (20601) and its part of the
 * successNotification (ndesConformance, docs/cloud-api.md).  Runs in the
 * notify job's db stage (the leader: work.h): the challenge is opened again
 * only when the notification did not carry it (the depot watcher). */
#ifndef CRP_CONFORMANCE_RUN_H
#define CRP_CONFORMANCE_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenge.h"
#include "conformance.h"

struct crpd;
struct crp_record;
struct ndes_event_ctx;

struct crp_conformance {
	bool				checked;	/* false: could not run (reason) */
	struct ndes_conformance_result	result;
	char				reason[256];
	char				profile[128];	/* the claims' profile, "" unknown */
	char				challenge_id[64];	/* the verified request's */
	bool				revoke;		/* conformance: revoke, and it differs */
};

/* Compare the certificate (parsed by the worker: here only the comparison,
 * a few microseconds) with the claims of rec's challenge: claims when they
 * are that challenge's (the notification carried its text), else read again
 * from rec's request.  Never fails: out says whether it ran. */
void	crp_conformance_run(struct crpd *d, const struct crp_record *rec,
	    const struct ndes_challenge_claims *claims, X509 *cert, struct crp_conformance *out);
/* One 20601 per difference (0x0000150A when it could not run); none when
 * the certificate conforms. */
void	crp_conformance_emit(const struct crp_conformance *c, struct ndes_event_ctx *ctx);
/* The ndesConformance object of the successNotification (a new reference). */
json_t	*crp_conformance_json(const struct crp_conformance *c);
/* Differences found (not-checked counts as one). */
size_t	crp_conformance_differences(const struct crp_conformance *c);

#endif
