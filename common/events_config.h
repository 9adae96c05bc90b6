/* The `events:` section every daemon's YAML configuration embeds
 * (docs/crpd.md, docs/connector.md):
 *
 *	events:
 *	  sink: auto		# auto, journal, stderr or file
 *	  path: /var/log/ndes/events.json	# file: the file; auto: the fallback
 *	  instance: ndes-paris	# NDES_INSTANCE of every event (default:
 *				# $NDES_INSTANCE, else the host name)
 *
 * A daemon declares a `struct ndes_events_cfg events;` member and the field
 *	NDES_CFG_MAP("events", struct my_cfg, events, ndes_events_cfg_schema),
 * then starts its sink with ndes_events_cfg_init(&cfg.events). */
#ifndef NDES_EVENTS_CONFIG_H
#define NDES_EVENTS_CONFIG_H

#include <stddef.h>

#include "config_loader.h"

struct ndes_events_cfg {
	char	*sink;		/* auto, journal, stderr, file (default auto) */
	char	*path;		/* file: the file; auto: the fallback file */
	char	*instance;	/* NDES_INSTANCE of every event; NULL: $NDES_INSTANCE, else
				   the host name */
};

/* The section's schema; its check is ndes_events_cfg_validate(). */
extern const struct ndes_config_schema ndes_events_cfg_schema;

/* The whole-section check (an ndes_config_validate_fn on a struct
 * ndes_events_cfg): "sink \"file\" needs a path", else NULL. */
const char *ndes_events_cfg_validate(const void *value, char *buf, size_t buflen);

/* ndes_events_init() with the section's sink and path: 0 or -1. */
int ndes_events_cfg_init(const struct ndes_events_cfg *cfg);

#endif
