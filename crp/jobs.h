/* crpd's jobs (work.h): what the transports and the daemon submit.  A job
 * takes over the reply it is given (reply.h) and answers through it on the
 * loop thread; it never knows which transport that is.  Call on the loop
 * thread. */
#ifndef CRP_JOBS_H
#define CRP_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"

struct crpd;

/* verify_job.c: verify a request; the answer is a crp_verify_answer.
 * Strings may be NULL.  The caller admitted it (crp_admit). */
void	crp_verify_submit(struct crpd *d, struct crp_reply *reply, const uint8_t *csr,
	    size_t csr_len, const char *template_name, const char *transaction_id);

struct crp_notify_in {
	const char	*challenge;		/* may be "" */
	const char	*transaction_id;
	int64_t		 disposition;
	uint32_t	 last_hresult;
	const uint8_t	*cert_der;		/* may be NULL */
	size_t		 cert_len;
	const char	*description;
};

/* notify.c: record an outcome and queue its notification; the answer is
 * a crp_notify_answer.  The caller admitted it (crp_admit). */
void	crp_notify_submit(struct crpd *d, struct crp_reply *reply,
	    const struct crp_notify_in *in);

/* reload.c: reload the keys and signing certificates in a worker; the
 * answer is a crp_reload_answer (the reply may go nowhere). */
void	crp_reload_submit(struct crpd *d, struct crp_reply *reply);
/* Load at startup, synchronously (before the threads run). */
void	crp_reload_initial(struct crpd *d);
/* config_reload.c: SIGHUP, the configuration file read again (loop thread). */
void	crp_config_reload(struct crpd *d);

/* purge.c: delete the challenge records that expired purge_after ago. */
void	crp_purge_submit(struct crpd *d);

#endif
