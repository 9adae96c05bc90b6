/* The event and diagnostic code tables, generated from events.def.  Pure
 * data and lookups, no dependency: gen-catalog links this file too. */
#include "events.h"

#include <syslog.h>

#define NDES_UNPAREN(...) __VA_ARGS__

/* One array of allowed codes per event: codes_<SYMBOL>. */
#define NDES_EVENT(id, name, sym, prio, msgid, codes, ...) \
	static const uint32_t codes_##sym[] = { NDES_UNPAREN codes };
#include "events.def"

static const struct ndes_event_info event_table[] = {
#define NDES_EVENT(id, name, sym, prio, msgid, codes, en_subj, en_text, ja_subj, ja_text) \
	{ NDES_EV_##sym, id, #name, prio, msgid, codes_##sym,                            \
	  sizeof(codes_##sym) / sizeof(codes_##sym[0]), en_subj, en_text, ja_subj, ja_text },
#include "events.def"
};

static const struct ndes_diag_info diag_table[] = {
#define NDES_DIAG(value, name, sym, origin, en, ja) \
	{ (value), #name, NDES_DIAG_ORIGIN_##origin, en, ja },
#include "events.def"
};

_Static_assert(sizeof(event_table) / sizeof(event_table[0]) == NDES_EVENT_COUNT,
    "event table and enum disagree");

const struct ndes_event_info *
ndes_event_info(enum ndes_event ev)
{
	if ((unsigned)ev >= NDES_EVENT_COUNT)
		return NULL;
	return &event_table[ev];
}

const struct ndes_event_info *
ndes_event_by_id(int id)
{
	size_t i;

	for (i = 0; i < NDES_EVENT_COUNT; i++)
		if (event_table[i].id == id)
			return &event_table[i];
	return NULL;
}

const char *
ndes_event_name(enum ndes_event ev)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);

	return ei != NULL ? ei->name : NULL;
}

int
ndes_event_id(enum ndes_event ev)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);

	return ei != NULL ? ei->id : -1;
}

const char *
ndes_event_message_id(enum ndes_event ev)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);

	return ei != NULL ? ei->message_id : NULL;
}

bool
ndes_event_allows(enum ndes_event ev, uint32_t code)
{
	const struct ndes_event_info *ei = ndes_event_info(ev);
	size_t i;

	if (ei == NULL)
		return false;
	for (i = 0; i < ei->ncodes; i++)
		if (ei->codes[i] == code)
			return true;
	return false;
}

size_t
ndes_diag_count(void)
{
	return sizeof(diag_table) / sizeof(diag_table[0]);
}

const struct ndes_diag_info *
ndes_diag_at(size_t i)
{
	return i < ndes_diag_count() ? &diag_table[i] : NULL;
}

const struct ndes_diag_info *
ndes_diag_info(uint32_t code)
{
	size_t i;

	for (i = 0; i < ndes_diag_count(); i++)
		if (diag_table[i].code == code)
			return &diag_table[i];
	return NULL;
}

const char *
ndes_diag_name(uint32_t code)
{
	const struct ndes_diag_info *di = ndes_diag_info(code);

	return di != NULL ? di->name : NULL;
}
