/* crpd's state database (state.db, opened NDES_DB_DURABLE; with
 * `state_sync: interval` crpd.c relaxes it and the sync thread syncs): the
 * challenge records of the SQLite challenge store and the notification
 * outbox. */
#ifndef CRP_DB_H
#define CRP_DB_H

#include <stddef.h>

struct ndes_db;

#define CRP_DB_APPLICATION_ID 0x4e444352	/* "NDCR" */

/* Open (creating the parent folder, mode 0700, if missing) and migrate. */
struct ndes_db *crp_db_open(const char *path, char *err, size_t errlen);
/* Why the last write failed ("database or disk is full", ...), for the
 * messages of 20502 / 20602 with 0x00001020. */
const char *crp_db_error(const struct ndes_db *db);

#endif
