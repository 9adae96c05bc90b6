/* crpd's state database (state.db, opened NDES_DB_DURABLE; with
 * `state_sync: interval` crpd.c relaxes it and the sync thread syncs): the
 * challenge records of the SQLite challenge store and the notification
 * outbox. */
#ifndef CRP_DB_H
#define CRP_DB_H

#include <stddef.h>

struct ndes_db;

#define CRP_DB_APPLICATION_ID 0x4e444352	/* "NDCR" */
/* state.db's WAL between idle times: 4 MiB (SQLite's own 1000 pages), not
 * the 1 MiB default of the other databases.  At peak the verifications
 * write about 3 MB of WAL frames per 50 ms sync interval, so at 1 MiB the
 * commit leader restarted the WAL itself after most batches and the
 * checkpoints copied the same hot index pages over and over; at 4 MiB the
 * sync thread's passive checkpoints keep up (docs/crpd.md, "Fourth pass"). */
#define CRP_DB_WAL_MAX_BYTES ((int64_t)4 << 20)

/* Open (creating the parent folder, mode 0700, if missing) and migrate. */
struct ndes_db *crp_db_open(const char *path, char *err, size_t errlen);
/* Why the last write failed ("database or disk is full", ...), for the
 * messages of 20502 / 20602 with 0x00001020. */
const char *crp_db_error(const struct ndes_db *db);

#endif
