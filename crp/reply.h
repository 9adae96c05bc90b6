/* How a job answers, whatever the transport its request came by.
 *
 * A transport owns a table of reply operations (crp_ipc.c: crp.sock and
 * the connector link; http_api.c: the HTTP API) and, behind an opaque
 * pointer, what it needs to answer one request (a peer reference and a
 * request ID; an HTTP request).  It hands a job a struct crp_reply with
 * the request.  The job fills a typed answer and calls the operation of
 * that answer on the loop thread, at most once, then crp_reply_release():
 *
 *	if (job->reply.ops != NULL)
 *		job->reply.ops->verified(job->reply.state, &answer);
 *	crp_reply_release(&job->reply);
 *
 * A transport has the operation of every answer to a job it submits.
 * ops NULL: nobody waits for the answer (SIGHUP's reload). */
#ifndef CRP_REPLY_H
#define CRP_REPLY_H

#include <stdbool.h>
#include <stdint.h>

/* A verification's outcome (verify_job.c). */
struct crp_verify_answer {
	bool		 verified;	/* event_id is 20500 */
	int		 event_id;	/* 20500, 20501 or 20502 */
	uint32_t	 code;		/* diagnostic code */
	const char	*reason;	/* never NULL, may be "" */
	const char	*challenge_id;	/* from the claims; NULL when unknown */
	const char	*device_id;
	const char	*user_id;
	/* The request's, else the SHA-256 of its public key (upper-case
	 * hex), else "" (a request that could not be read). */
	const char	*transaction_id;
};

/* A notification's outcome (notify.c). */
struct crp_notify_answer {
	bool		 bad_request;	/* refused as malformed; message says why */
	bool		 accepted;	/* recorded (code 0) */
	uint32_t	 code;		/* diagnostic code */
	const char	*message;
};

/* A reload's outcome (reload.c). */
struct crp_reload_answer {
	uint32_t	 status;	/* 0 loaded, 1 a file could not be used */
	const char	*message;
};

struct crp_reply_ops {
	const char	*name;		/* for the logs: "ipc", "http" */
	/* Send the answer (loop thread); the state stays until release. */
	void	(*verified)(void *state, const struct crp_verify_answer *a);
	void	(*notified)(void *state, const struct crp_notify_answer *a);
	void	(*reloaded)(void *state, const struct crp_reload_answer *a);
	/* Free the state, answered or not (loop thread).  Required. */
	void	(*release)(void *state);
};

struct crp_reply {
	const struct crp_reply_ops	*ops;	/* NULL: the answer goes nowhere */
	void				*state;
};

/* Move the reply out of *from, which then goes nowhere. */
struct crp_reply crp_reply_take(struct crp_reply *from);
/* Free the transport's state; the reply then goes nowhere.  Again: no-op. */
void	crp_reply_release(struct crp_reply *r);

#endif
