/* crpd's state database: schema and opening. */
#include "crp_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"

static const char *const crp_db_migrations[] = {
	/* 1: challenge records and the outbox.  Records are appended in rowid
	 * order; lookups by key and by transaction go through 64-bit prefixes of
	 * SHA-256 digests (compact indexes: each verification dirties as few
	 * pages as possible in the group commit), the full value is compared. */
	"CREATE TABLE challenges("
	" id INTEGER PRIMARY KEY,"
	" challenge_id TEXT NOT NULL UNIQUE,"
	" pubkey_key INTEGER NOT NULL,"
	" pubkey_hash TEXT NOT NULL,"
	" transaction_key INTEGER NOT NULL,"
	" transaction_id TEXT NOT NULL,"
	" device_id TEXT, user_id TEXT, template_name TEXT,"
	" csr BLOB NOT NULL,"
	" state INTEGER NOT NULL,"
	" verified_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" issued_at INTEGER NOT NULL DEFAULT 0,"
	" issued_thumbprint TEXT,"
	" last_disposition INTEGER NOT NULL DEFAULT -1"
	");"
	"CREATE INDEX challenges_by_pubkey ON challenges(pubkey_key);"
	"CREATE INDEX challenges_by_transaction ON challenges(transaction_key);"
	"CREATE INDEX challenges_by_expiry ON challenges(expires_at);"
	"CREATE TABLE outbox("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" notification_id TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" transaction_id TEXT, challenge_id TEXT, device_id TEXT, user_id TEXT,"
	" thumbprint TEXT, serial_number TEXT,"
	" created_at INTEGER NOT NULL,"
	" failure_reported INTEGER NOT NULL DEFAULT 0"
	");",
};

static const struct ndes_db_schema crp_db_schema = {
	.durability = NDES_DB_DURABLE,
	.migrations = crp_db_migrations,
	.nmigrations = sizeof(crp_db_migrations) / sizeof(crp_db_migrations[0]),
	.application_id = CRP_DB_APPLICATION_ID,
	.wal_max_bytes = CRP_DB_WAL_MAX_BYTES,
};

/* mkdir -p of path's parent folder, new folders mode 0700. */
static int
crp_db_mkparent(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path), *p;

	if (dir == NULL)
		return -1;
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		for (p = dir + 1; ; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
				free(dir);
				return -1;
			}
			if ((*p = c) == '\0')
				break;
		}
	}
	free(dir);
	return 0;
}

struct ndes_db *
crp_db_open(const char *path, char *err, size_t errlen)
{
	if (crp_db_mkparent(path, err, errlen) == -1)
		return NULL;
	return ndes_db_open(path, &crp_db_schema, err, errlen);
}

const char *
crp_db_error(const struct ndes_db *db)
{
	const char *msg = ndes_db_errmsg(db);

	return msg[0] != '\0' ? msg : "state database error";
}
