/* The link to the connector (connector.sock) and the outbox sender
 * (link.c).  While it runs it sets the daemon's outbox_queued (crpd.h). */
#ifndef CRP_LINK_H
#define CRP_LINK_H

struct crpd;

int	crp_link_start(struct crpd *d);
void	crp_link_stop(struct crpd *d);

#endif
