/* What the parts of ndes-connectord share and none of them owns.
 *
 * The daemon is a set of parts, each with its state in its own file behind
 * an opaque struct and a narrow interface:
 *   d_config.c        the configuration in use and its reload (SIGHUP)
 *   d_note.c          the status line, the notes `ndes-connector status` shows
 *   d_registration.c  the registration certificate and the HTTPS client; it
 *                     calls the cloud for the others (d_caller.h)
 *   d_download.c      downloads (signing certificates, PKCS and revocation work)
 *   d_work.c          carrying out downloaded work on the CA
 *   d_upload.c        uploading the outbox, with backoff
 *   d_renew.c         renewing the registration certificate
 *   d_ipc.c           connector.sock (crpd's notifications; who its peers are)
 *   d_crpd.c          telling crpd to reload
 *   d_upkeep.c        keeping the CA's CRL fresh and the outbox's WAL small
 * (d_timer.c holds their timers.)  connectord.c makes them and wires them: a part that has news for another
 * calls a hook (struct connd_hook) that connectord.c set, so no part calls
 * into another part or into connectord.c.
 *
 * A part gets this environment at _new and keeps the pointer: it reads it,
 * never writes it.  connectord.c writes it: cfg and ca change on a reload
 * (between two events, never during one), stopping on SIGTERM.  Everything
 * runs on the one libevent loop thread. */
#ifndef NDES_CONND_ENV_H
#define NDES_CONND_ENV_H

#include <stdbool.h>
#include <time.h>

struct event_base;
struct conn_cfg;
struct conn_state;
struct conn_outbox;
struct conn_ca;
struct connd_notes;
struct connd_metrics;

struct connd_env {
	struct event_base	*base;
	const struct conn_cfg	*cfg;
	const char		*config_path;	/* cfg's file (named in refusals); may be NULL */
	const struct conn_state	*st;		/* the state folder's paths */
	struct conn_outbox	*ob;
	struct conn_ca		*ca;		/* NULL without a ca: section */
	struct connd_notes	*notes;		/* d_note.h */
	struct connd_metrics	*metrics;	/* d_metrics.h; NULL: no metrics.listen */
	time_t			(*now)(void);	/* the clock (time(NULL)); tests move their own */
	bool			 stopping;	/* SIGTERM: no new work, no new calls */
};

/* News one part has for another, wired by connectord.c (fn NULL: none). */
struct connd_hook {
	void	(*fn)(void *arg);
	void	*arg;
};

static inline void
connd_hook_call(const struct connd_hook *h)
{
	if (h->fn != NULL)
		h->fn(h->arg);
}

#endif
