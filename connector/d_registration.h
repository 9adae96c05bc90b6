/* The registration certificate and the HTTPS client that uses it.
 *
 * Loaded and checked at start, on SIGHUP, before each round of work and
 * after a renewal (connd_reg_check).  Events, once per change of state:
 *   missing                   10302 RetrieveCertificate_Error   0x00000404
 *   not the one registered    10301 RetrieveCertificate_Warning 0x00000403
 *   expired                   10102 CertificateRenewal_Failure  0x00000405
 *   unusable otherwise        10302 RetrieveCertificate_Error   0x0FFFFFFF
 * and when the cloud refuses the certificate (a 403), until it changes:
 *   certificate_unknown, certificate_superseded   10301 0x00000403
 *   connector_unregistered                        10302 0x00000404
 * A newer certificate (a renewal or a register by the CLI, or our own
 * renewal) supersedes the one in use: the cloud says certificate_superseded
 * a moment before the new files are written, so that answer counts only
 * once it has lasted CONND_SUPERSEDED_GRACE seconds for the same
 * certificate; a refused certificate is not used again until client.pem
 * holds another one.
 *
 * The part is the daemon's caller of the cloud (connd_reg_caller): a call
 * is refused while the registration is not usable or the daemon stops. */
#ifndef NDES_CONND_REGISTRATION_H
#define NDES_CONND_REGISTRATION_H

#include <time.h>

#include "d_caller.h"
#include "d_env.h"

struct conn_enroll;
struct conn_enroll_reply;

/* Why the registration cannot be used. */
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

#define CONND_SUPERSEDED_GRACE 10

struct connd_reg;

struct connd_reg *connd_reg_new(const struct connd_env *env);
/* Cancels the calls in flight (their callbacks are not called). */
void connd_reg_free(struct connd_reg *r);

/* 0 when the cloud can be called. */
int connd_reg_check(struct connd_reg *r);
/* SIGHUP: the next check reports its finding again. */
void connd_reg_forget(struct connd_reg *r);
/* cloud.* reloaded: a new HTTPS client once no call is in flight. */
void connd_reg_cloud_changed(struct connd_reg *r);
enum connd_reg_state connd_reg_state(const struct connd_reg *r);

/* The certificate the HTTPS client uses ("" when none), its validity (as of
 * the last check), and what registration.json says. */
const char *connd_reg_thumb_in_use(const struct connd_reg *r);
void connd_reg_validity(const struct connd_reg *r, time_t *not_before, time_t *not_after);
const char *connd_reg_thumb_registered(const struct connd_reg *r);
const char *connd_reg_name(const struct connd_reg *r);
/* Write the files of a renewal answered by the cloud (conn_enroll_store). */
int connd_reg_store_renewal(struct connd_reg *r, const struct conn_enroll *e,
    const struct conn_enroll_reply *rep, char *err, size_t errlen);

/* A 403 of the cloud to a call made with the certificate in use (every
 * call through connd_reg_caller comes here with its 403s). */
void connd_reg_refused(struct connd_reg *r, const struct ndes_http_result *res);

struct connd_caller connd_reg_caller(struct connd_reg *r);
int connd_reg_in_flight(const struct connd_reg *r);
/* Called after a call's callback when no other call is in flight. */
void connd_reg_set_idle_hook(struct connd_reg *r, struct connd_hook idle);

#endif
