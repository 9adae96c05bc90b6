/* The daemon's notes (d_note.h). */
#include "d_note.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "conn_outbox.h"
#include "log.h"

struct connd_notes {
	struct conn_outbox	*ob;
	bool			 full_reported;
};

struct connd_notes *
connd_notes_new(struct conn_outbox *ob)
{
	struct connd_notes *n = calloc(1, sizeof(*n));

	if (n != NULL)
		n->ob = ob;
	return n;
}

void
connd_notes_free(struct connd_notes *n)
{
	free(n);
}

void
connd_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
	log_debug("status: %s", buf);
}

void
connd_note_time(struct connd_notes *n, const char *name)
{
	char buf[32];

	ndes_clock_iso8601(time(NULL), buf, sizeof(buf));
	conn_outbox_meta_set(n->ob, name, buf);
}

void
connd_note_unserved_template(struct connd_notes *n, const char *name)
{
	char *text = conn_outbox_meta_get(n->ob, CONN_META_UNSERVED_TEMPLATES), *out, when[32];
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	if (o == NULL || strlen(name) > CONN_UNSERVED_NAME_MAX ||
	    (json_object_get(o, name) == NULL && json_object_size(o) >= CONN_UNSERVED_MAX)) {
		json_decref(o);
		return;
	}
	ndes_clock_iso8601(time(NULL), when, sizeof(when));
	json_object_set_new(o, name, json_string(when));
	if ((out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) != NULL)
		conn_outbox_meta_set(n->ob, CONN_META_UNSERVED_TEMPLATES, out);
	free(out);
	json_decref(o);
}

void
connd_note_error(struct connd_notes *n, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s", buf);
	conn_outbox_meta_set(n->ob, "lastError", buf);
	connd_note_time(n, "lastErrorAt");
}

bool
connd_note_full(struct connd_notes *n)
{
	if (n->full_reported)
		return false;
	n->full_reported = true;
	return true;
}

void
connd_note_room(struct connd_notes *n)
{
	if (conn_outbox_room(n->ob) > 0)
		n->full_reported = false;
}
