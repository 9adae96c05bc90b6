/* Internal to the events module: one event's fields on their way to a sink. */
#ifndef NDES_EVENTS_INT_H
#define NDES_EVENTS_INT_H

#include <stddef.h>

#define NDES_EV_FIELDS_MAX	24

struct ndes_ev_field {
	char	*kv;		/* "KEY=value", value valid UTF-8 */
	size_t	 klen;		/* length of KEY */
};

struct ndes_ev_record {
	struct ndes_ev_field	 f[NDES_EV_FIELDS_MAX];
	size_t			 n;
};

/* Hand one record to the configured sink (events_sink.c): 0 or -1. */
int ndes_events_deliver(const struct ndes_ev_record *rec);

#endif
