/* The connector's outbox (SQLite, durable: docs/connector.md "Outbox").
 *
 * items: what waits to be uploaded: notifications from crpd, PKCS results,
 *   revocation results.  Each has a unique key ("n:<notification id>",
 *   "p:<requestId>", "r:<requestContext>"): adding a key again is a
 *   duplicate, not a second item.  An item is removed only after the cloud
 *   confirmed it.  An item the cloud refused for good is kept, marked
 *   rejected (never uploaded again, shown by `ndes-connector queue`).
 * work: requests downloaded from the cloud and not carried out yet; a
 *   result replaces its request in one transaction.
 * meta: name/value pairs for `ndes-connector status` (last upload, ...).
 *
 * Items and work together are bounded by max_items: a full outbox refuses
 * new work, it never drops anything.  One handle belongs to one thread. */
#ifndef NDES_CONN_OUTBOX_H
#define NDES_CONN_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn_outbox;

enum conn_outbox_add {
	CONN_OUTBOX_ADDED = 0,
	CONN_OUTBOX_DUPLICATE = 1,	/* the key is already there (or was done) */
	CONN_OUTBOX_FULL = 2,
	CONN_OUTBOX_ERROR = -1,
};

struct conn_outbox_item {
	int64_t	 seq;
	char	*kind;		/* "successNotification", "failureNotification",
				 * "pkcsResult", "revocationResult"; work: "pkcs",
				 * "revocation" */
	char	*key;
	char	*body;		/* JSON text */
	int64_t	 created;
	int64_t	 attempts;
	char	*last_error;
	bool	 rejected;
	bool	 started;	/* work: carrying it out had begun */
};

/* max_items < 1: no bound (the CLI reading). */
struct conn_outbox *conn_outbox_open(const char *path, int64_t max_items, char *err,
    size_t errlen);
void conn_outbox_close(struct conn_outbox *ob);
void conn_outbox_set_max(struct conn_outbox *ob, int64_t max_items);

/* Items + work (as counted by this handle). */
int64_t conn_outbox_count(struct conn_outbox *ob);
/* Room left under max_items; when the count says full, it is counted
 * again first. */
int64_t conn_outbox_room(struct conn_outbox *ob);

enum conn_outbox_add conn_outbox_add(struct conn_outbox *ob, const char *kind,
    const char *key, const char *body);
/* Up to limit items, oldest first, not rejected, whose key starts with
 * prefix (NULL: any). */
int conn_outbox_fetch(struct conn_outbox *ob, const char *prefix, size_t limit,
    struct conn_outbox_item **items, size_t *n);
/* Every item (rejected ones too), oldest first, for listings. */
int conn_outbox_list(struct conn_outbox *ob, size_t limit, struct conn_outbox_item **items,
    size_t *n);
void conn_outbox_items_free(struct conn_outbox_item *items, size_t n);
/* The cloud confirmed these: remove (one transaction). */
int conn_outbox_remove(struct conn_outbox *ob, const int64_t *seqs, size_t n);
/* An upload failed: attempts + 1 and the reason. */
int conn_outbox_failed(struct conn_outbox *ob, const int64_t *seqs, size_t n,
    const char *error);
/* The cloud refused this one for good: keep it, never send it again. */
int conn_outbox_reject(struct conn_outbox *ob, int64_t seq, const char *error);
/* What became of each item of a batch sent to the cloud. */
enum conn_outbox_fate {
	CONN_OUTBOX_UNSENT = 0,		/* not sent: left as it is */
	CONN_OUTBOX_DONE,		/* confirmed: removed */
	CONN_OUTBOX_RETRY,		/* failed: attempts + 1 and the reason */
	CONN_OUTBOX_REJECTED,		/* refused for good: kept, marked, never sent again */
};
struct conn_outbox_outcome {
	int64_t			 seq;
	enum conn_outbox_fate	 fate;
	const char		*error;	/* RETRY, REJECTED */
};
/* A meta row to write (value NULL: delete the row). */
struct conn_outbox_meta {
	const char	*name;
	const char	*value;
};
/* Record a whole batch, and the nmeta meta rows (the daemon's notes,
 * d_note.h: lastUpload, errors), in one transaction (one commit, one fsync),
 * or nothing of it (-1). */
int conn_outbox_settle(struct conn_outbox *ob, const struct conn_outbox_outcome *o, size_t n,
    const struct conn_outbox_meta *meta, size_t nmeta);
/* Delete the rejected items stored before `before` (seconds since the
 * epoch; 0: all of them), one transaction.  How many, or -1.  Safe while
 * another process (the daemon) has the outbox open: it finds the room at
 * its next count (conn_outbox_recount, and whenever it looks full). */
int64_t conn_outbox_purge_rejected(struct conn_outbox *ob, int64_t before);
/* Count items + work again (another process may have changed them). */
int conn_outbox_recount(struct conn_outbox *ob);
/* When the oldest item still to send was stored (seconds since the epoch);
 * 0 when there is none, -1 on a database error. */
int64_t conn_outbox_oldest(struct conn_outbox *ob);
/* Counts per kind ("successNotification": 3, ...) as JSON text, malloc'd. */
char *conn_outbox_summary_json(struct conn_outbox *ob);

/* Work. */
enum conn_outbox_add conn_outbox_work_add(struct conn_outbox *ob, const char *kind,
    const char *key, const char *body);
int conn_outbox_work_fetch(struct conn_outbox *ob, size_t limit,
    struct conn_outbox_item **items, size_t *n);
int conn_outbox_work_start(struct conn_outbox *ob, const char *key);
/* Store the result item and drop the work item (one transaction). */
int conn_outbox_work_finish(struct conn_outbox *ob, const char *work_key, const char *kind,
    const char *key, const char *body);
int64_t conn_outbox_work_count(struct conn_outbox *ob);

/* The message of the last failed write or read ("" if none). */
const char *conn_outbox_errmsg(struct conn_outbox *ob);
/* Once a second: keep the WAL small (ndes_db_maintain, docs/storage.md). */
int conn_outbox_maintain(struct conn_outbox *ob);

/* meta */
int conn_outbox_meta_set(struct conn_outbox *ob, const char *name, const char *value);
/* n rows in one transaction: 0, or -1 (none written). */
int conn_outbox_meta_write(struct conn_outbox *ob, const struct conn_outbox_meta *rows,
    size_t n);
/* malloc'd, NULL when absent. */
char *conn_outbox_meta_get(struct conn_outbox *ob, const char *name);
/* {"<template>": "<ISO 8601 time last asked>", ...}: templates PKCS requests
 * named that ca.templates did not serve (at most CONN_UNSERVED_MAX names of
 * at most CONN_UNSERVED_NAME_MAX bytes), for `ndes-connector diagnose`. */
#define CONN_META_UNSERVED_TEMPLATES	"unservedTemplates"
/* The daemon's current error per activity (connector/d_note.h):
 * {"<activity>": {"message", "since", "last"}, ...}, ISO 8601 times. */
#define CONN_META_ERRORS		"errors"
#define CONN_UNSERVED_MAX		32
#define CONN_UNSERVED_NAME_MAX		256

#endif
