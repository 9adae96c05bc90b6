/* The daemon's notes: the systemd status line, what `ndes-connector status`
 * shows (the last error and the times of the last upload and download, kept
 * in the outbox's meta table), and whether "the outbox is full" was reported
 * since there last was room (reported once, by downloads or by crpd's next
 * notification, whichever comes first). */
#ifndef NDES_CONND_NOTE_H
#define NDES_CONND_NOTE_H

#include <stdbool.h>

struct conn_outbox;
struct connd_notes;

struct connd_notes *connd_notes_new(struct conn_outbox *ob);
void connd_notes_free(struct connd_notes *n);

/* STATUS= for systemd (and a debug line). */
void connd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning, remembered as lastError / lastErrorAt. */
void connd_note_error(struct connd_notes *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A PKCS request named a template ca.templates does not serve: remembered
 * with the time (CONN_META_UNSERVED_TEMPLATES) for diagnose. */
void connd_note_unserved_template(struct connd_notes *n, const char *name);
/* name ("lastUpload", ...) = now, ISO 8601. */
void connd_note_time(struct connd_notes *n, const char *name);

/* The outbox is full: true the first time since there was room (report it
 * then), false after. */
bool connd_note_full(struct connd_notes *n);
/* When the outbox has room again, the next "full" is reported again. */
void connd_note_room(struct connd_notes *n);

#endif
