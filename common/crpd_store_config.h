/* The `store:` section of crpd.yaml: where the challenge store lives
 * (docs/crpd.md, "The PostgreSQL store").  Its own file, so that the
 * section can move with the rest of crpd's schema. */
#ifndef CRPD_STORE_CONFIG_H
#define CRPD_STORE_CONFIG_H

#include <stdint.h>

#include "config_loader.h"

enum crpd_store_backend {
	CRPD_STORE_SQLITE = 0,		/* state.db, one node */
	CRPD_STORE_POSTGRESQL = 1,	/* shared by every node */
};

/* libpq's sslmode values crpd accepts, in this order. */
enum crpd_store_sslmode {
	CRPD_STORE_SSL_VERIFY_FULL = 0,	/* TLS, the server's certificate and name checked */
	CRPD_STORE_SSL_REQUIRE = 1,	/* TLS, the certificate not checked */
	CRPD_STORE_SSL_DISABLE = 2,	/* no TLS (a Unix socket never uses it anyway) */
};

struct crpd_store_cfg {
	int	 backend;		/* enum crpd_store_backend */
	/* postgresql only: */
	char	*conninfo;		/* libpq connection string, without a password */
	char	*password_file;		/* first line; mode 0600 (NULL: none) */
	int	 sslmode;		/* enum crpd_store_sslmode */
	char	*sslrootcert;		/* the CA that signs the server's certificate */
	int64_t	 connect_timeout;	/* seconds */
};

extern const struct ndes_config_schema crpd_store_schema;

/* The libpq name of an sslmode value. */
const char *crpd_store_sslmode_name(int sslmode);

#endif
