/* Internals shared by store*.c. */
#ifndef NDES_CLOUDSIM_STORE_INT_H
#define NDES_CLOUDSIM_STORE_INT_H

#include "storage.h"
#include "store.h"

struct cloudsim_store {
	struct ndes_db *db;
};

/* Bind text or NULL. */
int cloudsim_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Run a prepared statement that returns no row: 0 or -1. */
int cloudsim_store_run(struct cloudsim_store *st, sqlite3_stmt *stmt);

#endif
