/* Minting challenges off the loop (docs/cloud-sim.md, "Minting").
 *
 *   loop     admin_challenge(): the request's fields and the recipients
 *            (store.h, parsed once), then cloudsim_mint_submit().
 *   workers  a pool (one per CPU, at least two) plans the claims
 *            (admin_mint_claims: cloudsim_plan() on the read-only
 *            configuration; a refusal is answered by the loop), seals each challenge
 *            (ndes_challenge_seal: signature and encryption to every
 *            recipient) and writes its answer's JSON text (a third of the
 *            loop's CPU per mint when the loop wrote it; the profile
 *            payloads' text is made once, when the workers start).
 *   committer  a thread with its own connection to cloud.db records the
 *            sealed challenges waiting when it gets to them in ONE
 *            transaction (group commit; the store is NDES_DB_DURABLE, so
 *            the commit is fsynced) and hands them to the loop.  While it
 *            waits for the disk, the loop goes on reading and answering and
 *            the workers seal the next batch.
 *   loop     answers each recorded challenge, only then: no mint is
 *            acknowledged before its record is on disk.  A batch that cannot
 *            be recorded is answered 500, each.
 *
 * evhttp and the loop's store belong to the loop thread: the workers touch
 * neither, the committer only its own connection (it inserts challenges
 * and nothing else; SQLite's busy timeout orders its writes with the
 * loop's); the committer wakes the loop with event_active() (libevent
 * threading, evthread_use_pthreads()). */
#ifndef NDES_CLOUDSIM_MINT_H
#define NDES_CLOUDSIM_MINT_H

#include <openssl/x509.h>

#include "api.h"
#include "challenge.h"

struct cloudsim_mint;

/* Start nworkers sealing threads (at least two) for svc, whose event base
 * must have been made after evthread_use_pthreads().  NULL on failure. */
struct cloudsim_mint *cloudsim_mint_new(struct cloudsim_svc *svc, int nworkers);
/* Loop thread: the workers seal what is queued and stop, then what they
 * sealed is recorded and answered.  Before the HTTP servers are freed. */
void cloudsim_mint_free(struct cloudsim_mint *m);
/* What the loop read of a mint request: the strings point into the
 * call's body, which the job keeps. */
struct cloudsim_mint_req {
	const char	*device, *profile, *user;	/* user: NULL when not given */
	int64_t		 now, life;			/* seconds */
};

/* Loop thread: take over the call (its reply, *call is zeroed) and the
 * recipients (NULL: the store could not read them). */
void cloudsim_mint_submit(struct cloudsim_mint *m, struct api_call *call,
    const struct cloudsim_mint_req *r, STACK_OF(X509) *recipients);
int cloudsim_mint_nworkers(const struct cloudsim_mint *m);

/* admin_challenge.c: the answer of a sealed challenge, with the profile
 * payload a device needs, as JSON text (made on the worker that sealed it:
 * the configuration is read-only while the emulator serves), and its log
 * line (on the loop, once the challenge is recorded).  The payload is the
 * text admin_payload_text() made for the profile when the workers started;
 * the answer is NULL without it, or out of memory. */
char *admin_payload_text(const struct cloudsim_config *config, const char *profile);
char *admin_mint_answer(const char *payload, const struct ndes_challenge_claims *cl,
    const char *text, int recipients);
void admin_mint_log(const struct ndes_challenge_claims *cl, const char *text, int recipients);
/* admin_challenge.c, on a worker: the claims of a mint (the plan, then its
 * ID and times), checked in the order the loop answered them before (the
 * plan 422, the store 500, no connector 409).  0, or the HTTP status with
 * *code and msg for the answer. */
int admin_mint_claims(const struct cloudsim_svc *svc, const struct cloudsim_mint_req *r,
    STACK_OF(X509) *recipients, struct ndes_challenge_claims *cl, const char **code,
    char *msg, size_t msglen);

#endif
