/* ndes-connectord: the connector daemon (docs/connector.md).
 *
 * One libevent loop: the IPC server for crpd (connector.sock), timers for
 * downloads, uploads and renewal, HTTPS calls to the cloud.  CA work runs
 * on the loop (bounded: at most downloads.max_requests per round). */
#ifndef NDES_CONNECTORD_H
#define NDES_CONNECTORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "ca.h"
#include "cloud.h"
#include "conf.h"
#include "http_client.h"
#include "conn_outbox.h"
#include "state.h"

struct ndes_ipc_server;
struct ndes_ipc_peer;

/* Why the registration cannot be used (event reported once per change). */
enum connd_reg_state {
	CONND_REG_UNKNOWN = 0,
	CONND_REG_OK,
	CONND_REG_MISSING,	/* 10302 0x404 */
	CONND_REG_MISMATCH,	/* 10301 0x403 */
	CONND_REG_EXPIRED,	/* 10102 0x405 */
	CONND_REG_BROKEN,	/* unreadable key, no CA, ...: 10302 0x0FFFFFFF */
	CONND_REG_REFUSED,	/* the cloud: certificate_unknown/_superseded: 10301 0x403 */
	CONND_REG_UNREGISTERED,	/* the cloud: connector_unregistered: 10302 0x404 */
};

struct connd {
	struct event_base	*base;
	const char		*config_path;
	bool			 verbose;	/* -v: debug whatever log_level says */
	struct conn_cfg		 cfg;
	struct conn_state	 st;
	struct conn_outbox	*ob;
	struct conn_ca		*ca;
	struct ndes_ipc_server	*ipc;
	struct ndes_ipc_peer	*crpd_peer;	/* crpd's connection, for RELOAD fallback */

	/* registration and the cloud connection */
	enum connd_reg_state	 reg_state;
	struct conn_registration reg;
	struct conn_cloud	 cloud;
	struct ndes_http_client	*http;
	char			 loaded_thumb[64];	/* client certificate in use */
	char			 refused_thumb[64];	/* the cloud refused it (403) */
	char			 superseded_thumb[64];	/* first 403 superseded for it ... */
	time_t			 superseded_at;		/* ... at */
	bool			 cloud_changed;		/* cloud.* reloaded: new client when idle */
	enum connd_reg_state	 refused_state;
	time_t			 client_not_before, client_not_after;

	/* work in progress */
	int			 in_flight;		/* HTTP calls */
	bool			 stopping;
	bool			 downloading;
	bool			 uploading;
	bool			 renewing;
	bool			 work_scheduled;	/* another turn of CA work queued */
	bool			 full_reported;
	bool			 write_failed_reported;	/* outbox cannot be written */
	int64_t			 backoff_s;		/* 0: no failure */
	time_t			 next_upload;
	size_t			 solo;			/* upload one at a time */
	char			 signing_digest[80];	/* of signing-certs.pem */

	struct event		*ev_term, *ev_int, *ev_hup;
	struct event		*ev_download, *ev_upload, *ev_renew, *ev_watchdog, *ev_drain;
	struct event		*ev_crl, *ev_maintain;
	struct timeval		 drain_deadline;
};

/* connectord.c */
void connd_status(struct connd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void connd_check_drained(struct connd *d);
/* Remember the last error for `ndes-connector status`. */
void connd_note_error(struct connd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void connd_note_time(struct connd *d, const char *name);
/* The CA of cfg (*ca NULL when cfg has no ca: section); a CA that is not
 * usable now is only logged.  0, or -1 with err. */
int connd_ca_open(const struct conn_cfg *cfg, struct conn_ca **ca, char *err, size_t errlen);
/* log_level (debug whatever it says with -v). */
void connd_log_level(struct connd *d);

/* d_registration.c: load and check the registration certificate; set up the
 * HTTPS client.  0 when the cloud can be called. */
int connd_registration_check(struct connd *d);
void connd_registration_clear(struct connd *d);

/* A JSON call to the cloud; cb gets the result (NULL body on transport
 * errors).  -1 when not registered or stopping (cb not called). */
typedef void (*connd_call_cb)(struct connd *d, const struct ndes_http_result *res, void *arg);
int connd_call(struct connd *d, const char *method, const char *path, json_t *body,
    connd_call_cb cb, void *arg);
/* The same with a body already in JSON text (sent as it is). */
int connd_call_text(struct connd *d, const char *method, const char *path, const char *text,
    connd_call_cb cb, void *arg);
/* "cannot reach ...", "HTTP 403 certificate_unknown: ..." */
void connd_result_text(const struct ndes_http_result *res, char *buf, size_t buflen);

/* d_ipc.c */
int connd_ipc_start(struct connd *d);
void connd_ipc_stop(struct connd *d);

/* d_download.c */
void connd_download_start(struct connd *d);
void connd_download_now(struct connd *d);

/* d_work.c: carry out downloaded work (PKCS issuance, revocation),
 * CONND_WORK_PER_TURN items per turn of the event loop. */
#define CONND_WORK_PER_TURN 4
void connd_work_run(struct connd *d);

/* d_upload.c */
void connd_upload_kick(struct connd *d);
void connd_upload_start(struct connd *d);

/* d_renew.c */
void connd_renew_start(struct connd *d);
void connd_renew_check(struct connd *d);

/* d_crpd.c: RELOAD to crpd (crp.sock, else crpd's own connection). */
void connd_crpd_reload(struct connd *d, const char *why);

/* d_crl.c: publish a fresh CRL when the CA's is due (conn_ca_crl_refresh),
 * at start, every CONND_CRL_CHECK_S and after a reload. */
#define CONND_CRL_CHECK_S 3600
void connd_crl_start(struct connd *d);
void connd_crl_check(struct connd *d);

/* d_maintain.c: the outbox's WAL checkpointed once idle (docs/storage.md). */
void connd_maintain_start(struct connd *d);

/* d_reload.c: SIGHUP: read the configuration file again and apply what can
 * change while running; a file that does not load changes nothing. */
void connd_reload(struct connd *d);

#endif
