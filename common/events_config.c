/* The `events:` configuration section shared by the daemons. */
#include "events_config.h"

#include <string.h>

#include "events.h"

/* In the order of enum ndes_events_sink. */
static const char *const sink_names[] = { "auto", "journal", "stderr", "file", NULL };

const char *
ndes_events_cfg_validate(const void *value, char *buf, size_t buflen)
{
	const struct ndes_events_cfg *ev = value;

	if (strcmp(ev->sink, "file") == 0 && ev->path == NULL)
		return "sink \"file\" needs a path";
	return NULL;
}

static const struct ndes_config_field events_fields[] = {
	NDES_CFG_ENUM_STRING("sink", struct ndes_events_cfg, sink, sink_names,
	    NDES_CFG_DEFAULT("auto")),
	NDES_CFG_PATH("path", struct ndes_events_cfg, path),
	NDES_CFG_STRING("instance", struct ndes_events_cfg, instance),
};
const struct ndes_config_schema ndes_events_cfg_schema =
    NDES_CFG_SCHEMA(struct ndes_events_cfg, events_fields,
	.validate = ndes_events_cfg_validate);

int
ndes_events_cfg_init(const struct ndes_events_cfg *cfg)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_AUTO, cfg->path };
	size_t i;

	ndes_events_set_instance(cfg->instance);
	for (i = 0; sink_names[i] != NULL; i++)
		if (strcmp(cfg->sink, sink_names[i]) == 0)
			o.sink = (enum ndes_events_sink)i;
	return ndes_events_init(&o);
}
