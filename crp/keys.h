/* The key material crpd verifies with: the CRP encryption pairs (current and,
 * after a renewal, previous) and the downloaded challenge-signing
 * certificates.  A keyset is immutable once loaded and reference-counted:
 * workers take a reference to the current one for each verification, and a
 * reload (SIGHUP, RELOAD) swaps in a new one without stopping anything. */
#ifndef CRP_KEYS_H
#define CRP_KEYS_H

#include <pthread.h>
#include <stddef.h>

#include "challenge.h"

#define CRP_KEYSET_MAX_KEYS 2

struct crp_keyset {
	int				 refs;		/* atomic */
	struct ndes_challenge_key	 keys[CRP_KEYSET_MAX_KEYS];
	size_t				 n_keys;
	STACK_OF(X509)			*signing;	/* never NULL, may be empty */
	/* The issuing CA's certificate and those above it, for the chain of
	 * the conformance check (conformance_run.h); NULL: no such file. */
	STACK_OF(X509)			*issuing_ca;
};

struct crp_key_paths {
	const char	*crp_cert, *crp_key;
	const char	*crp_previous_cert, *crp_previous_key;
	const char	*signing_certs;
	const char	*issuing_ca_certs;
};

/* Load every file that exists.  Missing files are not errors: the set just
 * lacks them (verification then fails with 0x408 / 0x409).  A file that
 * exists but cannot be used (unreadable, bad permissions, damaged, key not
 * matching its certificate) is an error: -1, the message in err, and *out
 * still gets what could be loaded.  summary gets "1 CRP key, 2 signing
 * certificates" or the like. */
int	crp_keyset_load(const struct crp_key_paths *paths, struct crp_keyset **out,
	    char *summary, size_t summarylen, char *err, size_t errlen);
struct crp_keyset *crp_keyset_ref(struct crp_keyset *ks);
void	crp_keyset_unref(struct crp_keyset *ks);

/* The current keyset, swapped atomically under a mutex. */
struct crp_keyholder {
	pthread_mutex_t		 lock;
	struct crp_keyset	*cur;
};

void	crp_keyholder_init(struct crp_keyholder *h);
void	crp_keyholder_destroy(struct crp_keyholder *h);
/* A new reference to the current set (never NULL after the first set()). */
struct crp_keyset *crp_keyholder_get(struct crp_keyholder *h);
/* Install ks (the holder takes over the caller's reference). */
void	crp_keyholder_set(struct crp_keyholder *h, struct crp_keyset *ks);

#endif
