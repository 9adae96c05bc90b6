/* crp.sock, the policy module's socket (crp_ipc.c), and the answers over
 * IPC: the reply operations of crp.sock and of the connector link. */
#ifndef CRP_IPC_H
#define CRP_IPC_H

struct crpd;
struct ndes_ipc_header;
struct ndes_ipc_peer;
struct ndes_ipc_reader;

int	crp_ipc_start(struct crpd *d);
void	crp_ipc_stop(struct crpd *d);

/* What crp.sock and the connector link both answer: RELOAD (RELOAD_REPLY
 * to this peer), PING, ERROR UNSUPPORTED for anything else.  A
 * dispatcher's return value. */
int	crp_ipc_answer_shared(struct crpd *d, struct ndes_ipc_peer *peer,
	    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r);

#endif
