/* The outcome of an enrollment as a SCEP server reports it to notify():
 * Windows' X509SCEPDisposition.  The set is defined once, by the policy
 * module's public ABI (enum ndes_policy_disposition in <ndes/policy.h>, the
 * installed header every folder may include); the module checks what its
 * host passes, ndes-crpd what arrives by IPC and HTTP, both here. */
#ifndef NDES_DISPOSITION_H
#define NDES_DISPOSITION_H

#include <stdbool.h>
#include <stdint.h>

#include <ndes/policy.h>

/* True for Unknown -1, Success 0, Failure 2, Pending 3, PendingChallenge 11. */
static inline bool
ndes_disposition_valid(int64_t disposition)
{
	switch (disposition) {
	case NDES_POLICY_DISPOSITION_UNKNOWN:
	case NDES_POLICY_DISPOSITION_SUCCESS:
	case NDES_POLICY_DISPOSITION_FAILURE:
	case NDES_POLICY_DISPOSITION_PENDING:
	case NDES_POLICY_DISPOSITION_PENDING_CHALLENGE:
		return true;
	}
	return false;
}

#endif
