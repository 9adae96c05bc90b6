/* ndes-crpd: the CRP service.  The daemon's shared state and the entry
 * points of its parts (docs/crpd.md). */
#ifndef CRPD_H
#define CRPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crpd_config.h"
#include "keys.h"

struct event;
struct event_base;
struct ndes_db;
struct ndes_ipc_peer;
struct ndes_ipc_server;
struct ndes_http_request;
struct crp_store;
struct crp_work;
struct crp_sync;
struct crp_link;
struct crp_http;

struct crpd {
	struct crpd_cfg		 cfg;
	struct crp_key_paths	 key_paths;	/* strings owned */
	char			*db_path;
	struct event_base	*base;
	struct crp_keyholder	 keys;
	struct ndes_db		*db;		/* the commit leader's (work.h) */
	struct crp_store	*store;		/* over db */
	struct crp_work		*work;
	struct crp_sync		*sync;		/* NULL: state_sync mode commit */
	struct ndes_ipc_server	*ipc;
	struct crp_link		*link;
	struct crp_http		*http;
	struct event		*ev_signals[4];
	struct event		*ev_purge;
	struct event		*ev_watchdog;
	size_t			 inflight;	/* requests taken, not answered (loop) */
	bool			 stopping;
};

/* Where a request's answer goes. */
enum crp_reply_kind {
	CRP_REPLY_NONE,
	CRP_REPLY_IPC,
	CRP_REPLY_HTTP,
};

struct crp_reply_to {
	enum crp_reply_kind	  kind;
	struct ndes_ipc_peer	 *peer;		/* a reference is held */
	uint32_t		  request_id;
	struct ndes_http_request *http;
};

/* verify_job.c: verify a request (from IPC or HTTP); the answer goes to
 * `to` (taken over).  Strings may be NULL. */
void	crp_verify_submit(struct crpd *d, struct crp_reply_to *to, const uint8_t *csr,
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

/* notify.c: record an outcome and queue its notification. */
void	crp_notify_submit(struct crpd *d, struct crp_reply_to *to,
	    const struct crp_notify_in *in);

/* reload.c: reload the keys and signing certificates in a worker; the
 * answer (RELOAD_REPLY) goes to `to` (may be CRP_REPLY_NONE). */
void	crp_reload_submit(struct crpd *d, struct crp_reply_to *to);
/* Load at startup, synchronously (before the threads run). */
void	crp_reload_initial(struct crpd *d);

/* purge.c */
void	crp_purge_submit(struct crpd *d);

/* link.c: the connection to the connector and the outbox sender. */
int	crp_link_start(struct crpd *d);
void	crp_link_stop(struct crpd *d);
/* A notification was queued: send it now if possible. */
void	crp_link_kick(struct crpd *d);

/* crp_ipc.c: crp.sock. */
int	crp_ipc_start(struct crpd *d);
void	crp_ipc_stop(struct crpd *d);
/* What crp.sock and the connector link both answer: RELOAD (to this peer),
 * PING, ERROR UNSUPPORTED for anything else.  A dispatcher's return value. */
struct ndes_ipc_header;
struct ndes_ipc_reader;
int	crp_ipc_answer_shared(struct crpd *d, struct ndes_ipc_peer *peer,
	    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r);

/* reply.c */
/* Send (IPC) a prepared message to `to` and drop the reference. */
struct ndes_ipc_msg;
void	crp_reply_ipc(struct crp_reply_to *to, struct ndes_ipc_msg *msg);
void	crp_reply_release(struct crp_reply_to *to);
/* A request was taken (false: too many in flight, answer busy). */
bool	crp_admit(struct crpd *d);
void	crp_release(struct crpd *d);

int64_t	crp_now(void);

#endif
