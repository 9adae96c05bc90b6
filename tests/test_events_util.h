/* Helpers shared by the events tests: read JSON lines back and check that
 * one event carries exactly the fields it must. */
#ifndef NDES_TEST_EVENTS_UTIL_H
#define NDES_TEST_EVENTS_UTIL_H

#include <jansson.h>
#include <stdio.h>

#include "events.h"

/* Every line of f as a JSON object, in a JSON array (asserts they parse). */
json_t *evt_read_json_lines(FILE *f);
json_t *evt_read_json_file(const char *path);
/* A context with every field set, transaction_id = tid. */
void evt_full_ctx(struct ndes_event_ctx *ctx, const char *tid);
/* The MESSAGE ndes_event_emit writes for an allowed code. */
void evt_expected_message(char *buf, size_t len, enum ndes_event ev, uint32_t code,
    const char *detail);
/* Asserts every field: the base fields, each non-NULL ctx field with its
 * value, no NDES_* field beyond them.  With json_sink also _PID and
 * __REALTIME_TIMESTAMP and no other key at all. */
/* The NDES_INSTANCE evt_check_fields() expects (NULL: $NDES_INSTANCE, else
 * the host name, as events.h says). */
extern const char *evt_instance;
void evt_check_fields(json_t *obj, enum ndes_event ev, uint32_t code,
    const struct ndes_event_ctx *ctx, const char *ident, int json_sink);
/* The most specific code an event allows (the last before Unknown_Error). */
uint32_t evt_specific_code(enum ndes_event ev);
/* A fresh temporary file name (the file exists, empty); free() it. */
char *evt_tmpfile(void);
/* The journal entries matching match (journalctl arguments, e.g.
 * "_PID=12 'FIELD=value'") once journald has written what it received; a
 * JSON array. */
json_t *evt_journal_query(const char *match);
/* Make sure a journald runs (tests/lib/journal.sh ensure); skip the test
 * when none can be started. */
void evt_ensure_journal(void);
/* The entries `journalctl -o json <match>` finds, polled until want are
 * there (5 s at most); asserts exactly want.  A JSON array. */
json_t *evt_journal_read(const char *match, size_t want);

#endif
