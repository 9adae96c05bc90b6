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

static const char *const note_activity[CONND_ACTIVITIES] = {
	[CONND_UPLOAD] = "upload", [CONND_DOWNLOAD] = "download",
	[CONND_REGISTRATION] = "registration", [CONND_RENEWAL] = "renewal",
	[CONND_CRL] = "crl", [CONND_PKCS] = "pkcs", [CONND_REVOCATION] = "revocation",
	[CONND_OUTBOX] = "outbox", [CONND_OUTBOX_FULL] = "outbox-full", [CONND_CRPD] = "crpd",
};

struct connd_notes {
	struct conn_outbox	*ob;
	json_t			*errors;	/* CONN_META_ERRORS as stored */
	char			*rows_text;	/* connd_note_success_rows()'s errors */
	char			 rows_when[32];
	bool			 full_reported;
};

/* The stored errors (a restart keeps them); an object in any case. */
static json_t *
note_load_errors(struct conn_outbox *ob)
{
	char *text = conn_outbox_meta_get(ob, CONN_META_ERRORS);
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

struct connd_notes *
connd_notes_new(struct conn_outbox *ob)
{
	struct connd_notes *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->ob = ob;
	if ((n->errors = note_load_errors(ob)) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
connd_notes_free(struct connd_notes *n)
{
	if (n == NULL)
		return;
	json_decref(n->errors);
	free(n->rows_text);
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

/* errors as text, without activity skip (NULL: none skipped). */
static char *
note_errors_text(struct connd_notes *n, const char *skip)
{
	json_t *copy = json_copy(n->errors);
	char *text;

	if (copy == NULL)
		return NULL;
	if (skip != NULL)
		json_object_del(copy, skip);
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return text;
}

void
connd_note_error(struct connd_notes *n, enum connd_activity a, const char *fmt, ...)
{
	const char *name = note_activity[a], *since;
	json_t *old = json_object_get(n->errors, name);
	char buf[1024], now[32], *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s", buf);
	ndes_clock_iso8601(time(NULL), now, sizeof(now));
	since = json_string_value(json_object_get(old, "since"));
	json_object_set_new(n->errors, name, json_pack("{s:s, s:s, s:s}", "message", buf,
	    "since", since != NULL ? since : now, "last", now));
	if ((text = note_errors_text(n, NULL)) != NULL)
		conn_outbox_meta_set(n->ob, CONN_META_ERRORS, text);
	free(text);
}

size_t
connd_note_success_rows(struct connd_notes *n, enum connd_activity a, bool clear,
    const char *when_name, struct conn_outbox_meta *rows)
{
	const char *name = note_activity[a];
	size_t k = 0;

	free(n->rows_text);
	n->rows_text = NULL;
	if (when_name != NULL) {
		ndes_clock_iso8601(time(NULL), n->rows_when, sizeof(n->rows_when));
		rows[k++] = (struct conn_outbox_meta){ when_name, n->rows_when };
	}
	if (clear && json_object_get(n->errors, name) != NULL &&
	    (n->rows_text = note_errors_text(n, name)) != NULL)
		rows[k++] = (struct conn_outbox_meta){ CONN_META_ERRORS, n->rows_text };
	return k;
}

void
connd_note_success_written(struct connd_notes *n, enum connd_activity a, bool clear)
{
	const char *name = note_activity[a];

	if (clear && n->rows_text != NULL && json_object_get(n->errors, name) != NULL) {
		json_object_del(n->errors, name);
		log_info("%s works again: its error is cleared", name);
	}
	free(n->rows_text);
	n->rows_text = NULL;
}

void
connd_note_success(struct connd_notes *n, enum connd_activity a, bool clear,
    const char *when_name)
{
	struct conn_outbox_meta rows[2];
	size_t k = connd_note_success_rows(n, a, clear, when_name, rows);

	if (k == 0)
		return;
	if (conn_outbox_meta_write(n->ob, rows, k) == 0)
		connd_note_success_written(n, a, clear);
	else {
		free(n->rows_text);
		n->rows_text = NULL;
	}
}

bool
connd_note_failing(const struct connd_notes *n, enum connd_activity a)
{
	return json_object_get(n->errors, note_activity[a]) != NULL;
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
	if (conn_outbox_room(n->ob) <= 0)
		return;
	n->full_reported = false;
	if (connd_note_failing(n, CONND_OUTBOX_FULL))
		connd_note_success(n, CONND_OUTBOX_FULL, true, NULL);
}
