/* Downloads, every downloads.interval (and on SIGHUP):
 *   GET  /certificates/signing                            -> signing/signing-certs.pem,
 *                                                            the signing hook (crpd
 *                                                            told to reload)
 *   POST /PkcsRequests/download {maxRequests}             -> work "p:<requestId>"
 *   POST /CertificateAuthorityRequests/downloadRevocationRequests
 *        {downloadParameters: {maxRequests, issuerName}}  -> work "r:<requestContext>"
 * The two request downloads need a configured CA and room in the outbox
 * (maxRequests never exceeds the room left).  Events: 20400 when something
 * new arrived, 20402 (0x1202/0x1203/0x1204) when a download failed; 20411
 * Download_Paused with 0x1201 (once until there is room) when the outbox is
 * full and downloads pause. */
#ifndef NDES_CONND_DOWNLOAD_H
#define NDES_CONND_DOWNLOAD_H

#include "d_caller.h"
#include "d_env.h"

struct connd_download_hooks {
	struct connd_hook	work;		/* carry out stored work: before and after a round */
	struct connd_hook	upload;		/* after a round */
	struct connd_hook	signing;	/* new signing certificates were written */
};

struct connd_download;

struct connd_download *connd_download_new(const struct connd_env *env,
    const struct connd_caller *caller, const struct connd_download_hooks *hooks);
void connd_download_free(struct connd_download *dl);
/* The timer, and a round now. */
void connd_download_start(struct connd_download *dl);
/* A round now, unless one is under way. */
void connd_download_now(struct connd_download *dl);
/* downloads.interval changed: the timer follows. */
void connd_download_reschedule(struct connd_download *dl);

#endif
