/* A tiny emitter for the shell tests: events from the command line.
 *	test_events_emit all TAG		every event, its most specific code
 *	test_events_emit one ID CODE TAG [DETAIL]
 * TAG goes into NDES_TRANSACTION_ID.  The sink comes from NDES_EVENTS_SINK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"

static int
emit_all(const char *tag)
{
	struct ndes_event_ctx ctx = { .transaction_id = tag, .device_id = "dev-catalog-test" };
	const struct ndes_event_info *ei;
	size_t ev;
	int rc = 0;

	for (ev = 0; ev < NDES_EVENT_COUNT; ev++) {
		ei = ndes_event_info((enum ndes_event)ev);
		if (ndes_event_emit(ei->event, ei->codes[ei->ncodes > 2 ? ei->ncodes - 2 : 0], &ctx) != 0)
			rc = 1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct ndes_event_ctx ctx = { 0 };
	const struct ndes_event_info *ei;

	log_init("ndes-events-emit", LOG_LEVEL_INFO);
	if (argc == 3 && strcmp(argv[1], "all") == 0)
		return emit_all(argv[2]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "one") == 0) {
		if ((ei = ndes_event_by_id(atoi(argv[2]))) == NULL) {
			fprintf(stderr, "no event %s\n", argv[2]);
			return 2;
		}
		ctx.transaction_id = argv[4];
		ctx.detail = argc == 6 ? argv[5] : NULL;
		return ndes_event_emit(ei->event, (uint32_t)strtoul(argv[3], NULL, 0), &ctx) == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: test_events_emit all TAG | one ID CODE TAG [DETAIL]\n");
	return 2;
}
