/* connector.sock: crpd hands over notifications.
 *
 *   HELLO                   str role, str version: who the peer is ("crpd",
 *                           "cli", ...; docs/ipc.md), once, right after connecting
 *   -> HELLO_REPLY          str "connectord", str version
 *   -> ERROR                BAD_REQUEST for a second HELLO on the connection
 *   CONNECTOR_NOTIFICATION  str notification_id, str kind
 *                           ("successNotification" | "failureNotification"),
 *                           str body (the JSON for the cloud, a JSON object)
 *   -> CONNECTOR_ACK        str notification_id, once stored durably (a repeat
 *                           of a stored id is acknowledged again, not stored twice)
 *   -> ERROR                UNAVAILABLE when the outbox is full (event 20302 with
 *                           0x00001201), BAD_REQUEST for a kind or body refused,
 *                           INTERNAL when the outbox cannot be written (event
 *                           20302 with 0x00001205 once until a write works)
 *   PING -> PONG
 * A malformed message (a HELLO whose role or version breaks the rules of
 * ipc.h too) drops the peer.  RELOAD goes over connector.sock (d_crpd.h) only
 * to the peer that said HELLO as crpd; when a second one does, the latest
 * wins (a restarted crpd may connect before the end of its old connection is
 * seen) and the one it replaced is not the target again.  Every peer is one
 * the ACL allowed; one the ACL no longer allows after a reload is closed,
 * and stops being the target.  While the last RELOAD did not reach crpd
 * (the "crpd" error of d_note.h), a peer saying HELLO as crpd gets RELOAD at
 * once (its RELOAD_REPLY clears the error).  A peer that never says HELLO (an older crpd
 * or diagnose) is served as before, PING and notifications, and never gets
 * RELOAD.  A peer is logged at its first message: HELLO as crpd and
 * notifications at info, PING-only peers such as `ndes-connector diagnose`
 * at debug level. */
#ifndef NDES_CONND_IPC_H
#define NDES_CONND_IPC_H

#include <stddef.h>

#include "d_env.h"

struct ndes_ipc_peer;
struct connd_ipc;

/* stored: a notification was stored (upload it); work: revocation work was
 * stored (a successNotification whose ndesConformance says revoke: carry it
 * out). */
struct connd_ipc *connd_ipc_new(const struct connd_env *env, struct connd_hook stored,
    struct connd_hook work);
/* Closes the socket and every peer first. */
void connd_ipc_free(struct connd_ipc *ipc);
/* Listen on ipc.socket, with ipc.max_connections fitted under the
 * descriptor limit (raised first): 0, or -1 with err. */
int connd_ipc_start(struct connd_ipc *ipc, char *err, size_t errlen);
/* Close the socket and every peer (SIGTERM). */
void connd_ipc_stop(struct connd_ipc *ipc);
/* ipc.allowed_uids / allowed_gids reloaded: 0, or -1 (the old ACL stays). */
int connd_ipc_set_acl(struct connd_ipc *ipc);
/* crpd's connection, where RELOAD goes when crp.sock cannot be reached
 * (NULL: none). */
struct ndes_ipc_peer *connd_ipc_crpd(const struct connd_ipc *ipc);

#endif
