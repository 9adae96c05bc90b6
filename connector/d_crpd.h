/* Telling ndes-crpd to reload its keys and signing certificates: RELOAD on
 * crp.sock (answered by RELOAD_REPLY {u32 status, str message}); when
 * crp.sock cannot be reached, RELOAD on crpd's own connection to
 * connector.sock (d_ipc.h).  crpd also reloads on SIGHUP and at start. */
#ifndef NDES_CONND_CRPD_H
#define NDES_CONND_CRPD_H

#include "d_env.h"

struct connd_ipc;

void connd_crpd_reload(const struct connd_env *env, struct connd_ipc *ipc, const char *why);

#endif
