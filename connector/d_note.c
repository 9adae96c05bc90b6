/* The daemon's notes (d_note.h). */
#include "d_note.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
