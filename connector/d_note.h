/* The daemon's notes: the systemd status line, what `ndes-connector status`
 * shows (the times of the last upload and download, and the current error of
 * each activity), kept in the outbox's meta table, and whether "the outbox is
 * full" was reported since there last was room (reported once, by downloads
 * or by crpd's next notification, whichever comes first).
 *
 * Errors: each activity has at most one current error, its message, when
 * its run of failures began ("since") and when it last failed ("last").  The
 * next success of the same activity clears it.  They live in the meta row
 * CONN_META_ERRORS as one JSON object, {"upload": {"message", "since",
 * "last"}, ...} (no key: no error), so they survive a restart; the daemon
 * keeps a copy in memory, so a success with no error current writes nothing
 * for it.  A success recorded in a commit of the caller's (the upload batch's
 * settle) takes its rows from connd_note_success_rows() into that commit. */
#ifndef NDES_CONND_NOTE_H
#define NDES_CONND_NOTE_H

#include <stdbool.h>
#include <stddef.h>

struct conn_outbox;
struct conn_outbox_meta;
struct connd_notes;

/* The activities, with their names in CONN_META_ERRORS. */
enum connd_activity {
	CONND_UPLOAD,		/* "upload": notifications and results to the cloud */
	CONND_DOWNLOAD,		/* "download": signing certificates, PKCS and revocation requests */
	CONND_REGISTRATION,	/* "registration": the registration certificate in use */
	CONND_RENEWAL,		/* "renewal": renewing it */
	CONND_CRL,		/* "crl": publishing the CA's CRL */
	CONND_PKCS,		/* "pkcs": issuing PKCS certificates */
	CONND_REVOCATION,	/* "revocation": revoking on the CA */
	CONND_OUTBOX,		/* "outbox": cannot be written */
	CONND_OUTBOX_FULL,	/* "outbox-full": full (outbox.max_items) */
	CONND_CRPD,		/* "crpd": telling ndes-crpd to reload */
	CONND_ACTIVITIES
};

struct connd_notes *connd_notes_new(struct conn_outbox *ob);
void connd_notes_free(struct connd_notes *n);

/* STATUS= for systemd (and a debug line). */
void connd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning, remembered as activity a's current error. */
void connd_note_error(struct connd_notes *n, enum connd_activity a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* a succeeded: its error, if one is current, is cleared (clear false: the
 * success was partial and clears nothing), and when_name ("lastUpload",
 * ...; NULL: none) is set to now; one transaction. */
void connd_note_success(struct connd_notes *n, enum connd_activity a, bool clear,
    const char *when_name);
/* The same, for the caller's own commit: the rows (at most 2) to write in
 * it, valid until the next call on n; then connd_note_success_written()
 * once that commit succeeded. */
size_t connd_note_success_rows(struct connd_notes *n, enum connd_activity a, bool clear,
    const char *when_name, struct conn_outbox_meta *rows);
void connd_note_success_written(struct connd_notes *n, enum connd_activity a, bool clear);
/* Whether activity a has a current error. */
bool connd_note_failing(const struct connd_notes *n, enum connd_activity a);
/* A PKCS request named a template ca.templates does not serve: remembered
 * with the time (CONN_META_UNSERVED_TEMPLATES) for diagnose. */
void connd_note_unserved_template(struct connd_notes *n, const char *name);

/* The outbox is full: true the first time since there was room (report it
 * then), false after. */
bool connd_note_full(struct connd_notes *n);
/* When the outbox has room again, the next "full" is reported again (and
 * the "outbox-full" error, if current, is cleared). */
void connd_note_room(struct connd_notes *n);

#endif
