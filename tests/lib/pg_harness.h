/* A real PostgreSQL for a C test (tests/lib/pg-cluster.sh does the work):
 * a cluster of the test's own in a temporary folder, on a Unix socket
 * there, stopped and removed by pg_h_free().  When the server is not
 * installed the test is skipped with the reason (scripts/deps.sh installs
 * it; CI runs these tests). */
#ifndef NDES_TEST_PG_HARNESS_H
#define NDES_TEST_PG_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include <libpq-fe.h>

struct pg_h {
	char	*dir;		/* the folder: pg/ (data, socket, logs) inside */
	char	*host;		/* the socket folder, for conninfo host= */
	int	 port;		/* the socket's (5432), or the TCP port too */
};

/* initdb and start (settings "name=value" for the server, NULL-ended;
 * NULL: none).  Skips the test when there is no PostgreSQL. */
struct pg_h *pg_h_start(const char *const *settings);
/* The same, listening on 127.0.0.1 too, on a free port, with TLS there
 * (hostssl: the server's cert and key files in settings). */
struct pg_h *pg_h_start_tcp(const char *const *settings);
/* The folder's owner (the server's user), for files the server reads. */
uid_t	pg_h_owner(const struct pg_h *p);
/* pg_ctl stop -m mode ("fast", "immediate"), and start again. */
void	pg_h_stop(struct pg_h *p, const char *mode);
void	pg_h_restart(struct pg_h *p);
/* Stop (immediately), remove the folder, free.  NULL is fine. */
void	pg_h_free(struct pg_h *p);

/* A connection to database db as user (NULL: the superuser admin); asserts
 * it is made. */
PGconn	*pg_h_connect(const struct pg_h *p, const char *db, const char *user);
/* Run SQL (printf-style) as admin in db; asserts it succeeded.  The first
 * value of the first row (malloc'd), "" when there is none. */
char	*pg_h_sql(const struct pg_h *p, const char *db, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
long	pg_h_sql_long(const struct pg_h *p, const char *db, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A login role name with password and a database name it owns. */
void	pg_h_role(const struct pg_h *p, const char *name, const char *password);
/* The password file (mode) holding password, in the cluster's folder;
 * its path (malloc'd). */
char	*pg_h_password_file(const struct pg_h *p, const char *name, const char *password,
	    unsigned mode);
/* The role and database crpd with role_password, the password file
 * "crpd.password" holding file_password with mode, and the store: section
 * of crpd.yaml that uses them (malloc'd). */
char	*pg_h_crpd_store(const struct pg_h *p, const char *role_password,
	    const char *file_password, unsigned mode);
/* The store: section of crpd.yaml for database and role name (the role's
 * password in password_file, NULL: none), plus extra lines (NULL: none). */
char	*pg_h_store_yaml(const struct pg_h *p, const char *name, const char *password_file,
	    const char *extra);

#endif
