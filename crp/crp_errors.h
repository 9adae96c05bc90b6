/* crpd's current errors: one per activity, shown by `ndes-connector status`
 * (STATUS_REPLY, docs/ipc.md; docs/crpd.md "Current errors").
 *
 *   store  a batch (work.h) a job of which could not be recorded: state.db
 *          or the PostgreSQL store refused or could not commit.  Set by
 *          the commit leader; cleared by the next batch that commits a job
 *          which records (a verification, a notification: crp_job_ops'
 *          records), so that read-only batches (the link's) never clear it.
 *   link   the link to connector.sock: cannot connect, the connection lost,
 *          a notification refused.  Set and cleared by the loop: cleared
 *          when an item is delivered (CONNECTOR_ACK) or the link is up with
 *          nothing left to send.
 *
 * Each error has since (the first failure of this run of failures), last
 * (the latest) and a short message: what the database or the socket said,
 * never a secret (no conninfo, no challenge).  Kept in memory only: a
 * restart of crpd clears them.
 *
 * Any thread.  A failure takes a mutex; a success when nothing is current
 * reads one atomic flag and takes no lock (the commit leader calls
 * crp_error_clear() after every batch). */
#ifndef CRP_ERRORS_H
#define CRP_ERRORS_H

#include <stdint.h>

struct ndes_ipc_msg;

enum crp_activity {
	CRP_ACTIVITY_STORE,
	CRP_ACTIVITY_LINK,
	CRP_ACTIVITY_COUNT
};

/* A failure of activity a now: the message (printf format, cut at 255
 * bytes, on a character boundary) replaces the last one; since is kept
 * while the error stays current. */
void	crp_error_note(enum crp_activity a, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A success of activity a: its error, if any, is no longer current. */
void	crp_error_clear(enum crp_activity a);
/* STATUS_REPLY for request_id with the current errors; NULL out of memory. */
struct ndes_ipc_msg *crp_errors_status_reply(uint32_t request_id);

#endif
