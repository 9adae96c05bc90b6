/* Telling ndes-crpd to reload its keys and signing certificates: RELOAD on
 * crp.sock (answered by RELOAD_REPLY {u32 status, str message}); when
 * crp.sock cannot be reached, RELOAD on crpd's own connection to
 * connector.sock (d_ipc.h).  crpd also reloads on SIGHUP and at start. */
#ifndef NDES_CONND_CRPD_H
#define NDES_CONND_CRPD_H

#include <stdint.h>

#include "d_env.h"

struct connd_ipc;
struct ndes_ipc_peer;

void connd_crpd_reload(const struct connd_env *env, struct connd_ipc *ipc, const char *why);
/* RELOAD on peer (request id 1): 0, or -1 with errno. */
int connd_crpd_send_reload(struct ndes_ipc_peer *peer);
/* crpd's RELOAD_REPLY (on either path): logged, and the "crpd" error of
 * d_note.h set (status not 0) or cleared (0). */
void connd_crpd_reloaded(const struct connd_env *env, uint32_t status, const char *msg);

#endif
