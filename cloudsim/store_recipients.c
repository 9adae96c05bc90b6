/* The recipients of the challenges, parsed once (store.h,
 * cloudsim_store_crp_certs).
 *
 * Minting read and parsed every active connector's CRP certificate from
 * SQLite for each challenge (31 % of a mint).  They are kept in the store
 * handle instead, with each connector's client certificate expiry, and
 * filtered by the clock at each call, as the query did.  Only this handle
 * writes the connectors table, and every write forgets the cache
 * (cloudsim_store_connector_add, _renew, _unregister), as does a rollback:
 * the next call reads the committed rows again, so a stale set is never
 * served.  Loop thread only, as the store. */
#include <stdlib.h>
#include <time.h>

#include "crypto.h"
#include "store_int.h"

void
cloudsim_store_recipients_forget(struct cloudsim_store *st)
{
	for (size_t i = 0; i < st->n_recipients; i++)
		X509_free(st->recipients[i].cert);
	free(st->recipients);
	st->recipients = NULL;
	st->n_recipients = 0;
	st->recipients_valid = false;
}

static int
recipients_add(struct cloudsim_store *st, X509 *cert, int64_t not_after)
{
	struct store_recipient *r = realloc(st->recipients,
	    (st->n_recipients + 1) * sizeof(*r));

	if (r == NULL)
		return -1;
	st->recipients = r;
	r[st->n_recipients++] = (struct store_recipient){ cert, not_after };
	return 0;
}

static int
recipients_load(struct cloudsim_store *st)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "SELECT crp_cert, client_not_after FROM connectors WHERE status = 'active' "
	    "ORDER BY seq");
	X509 *cert;
	int rc;

	cloudsim_store_recipients_forget(st);
	if (stmt == NULL)
		return -1;
	while ((rc = ndes_db_step(st->db, stmt)) == 1) {
		cert = ndes_crypto_cert_from_der(sqlite3_column_blob(stmt, 0),
		    (size_t)sqlite3_column_bytes(stmt, 0));
		if (cert != NULL && recipients_add(st, cert, sqlite3_column_int64(stmt, 1)) != 0) {
			X509_free(cert);
			rc = -1;
			break;
		}
	}
	if (rc != 0) {
		sqlite3_reset(stmt);
		cloudsim_store_recipients_forget(st);
		return -1;
	}
	st->recipients_valid = true;
	return 0;
}

STACK_OF(X509) *
cloudsim_store_crp_certs(struct cloudsim_store *st)
{
	int64_t now = time(NULL);
	STACK_OF(X509) *certs;

	if (!st->recipients_valid && recipients_load(st) != 0)
		return NULL;
	if ((certs = sk_X509_new_null()) == NULL)
		return NULL;
	for (size_t i = 0; i < st->n_recipients; i++) {
		if (st->recipients[i].client_not_after <= now)
			continue;
		if (!sk_X509_push(certs, st->recipients[i].cert)) {
			sk_X509_pop_free(certs, X509_free);
			return NULL;
		}
		X509_up_ref(st->recipients[i].cert);
	}
	return certs;
}
