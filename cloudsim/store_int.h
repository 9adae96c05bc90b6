/* Internals shared by store*.c. */
#ifndef NDES_CLOUDSIM_STORE_INT_H
#define NDES_CLOUDSIM_STORE_INT_H

#include "storage.h"
#include "store.h"

/* A recipient of the challenges: an active connector's CRP certificate,
 * parsed once (store_recipients.c). */
struct store_recipient {
	X509	*cert;
	int64_t	 client_not_after;	/* no recipient from then on */
};

struct cloudsim_store {
	struct ndes_db *db;
	/* The recipients cache (store_recipients.c): valid until a change
	 * of the connectors through this handle or a rollback forgets it. */
	struct store_recipient *recipients;
	size_t n_recipients;
	bool recipients_valid;
};

/* Forget the recipients cache: the connectors change (register, renew,
 * unregister) or a transaction is rolled back.  The next
 * cloudsim_store_crp_certs() reads them again. */
void cloudsim_store_recipients_forget(struct cloudsim_store *st);

/* Bind text or NULL. */
int cloudsim_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Run a prepared statement that returns no row: 0 or -1. */
int cloudsim_store_run(struct cloudsim_store *st, sqlite3_stmt *stmt);

#endif
