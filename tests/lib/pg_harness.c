/* A real PostgreSQL for a C test (pg_harness.h). */
#include "pg_harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmpdir.h"

/* sh tests/lib/pg-cluster.sh args...: its exit status, its first output
 * line in out (when out is not NULL). */
static int
pg_script(char *out, size_t outlen, const char *fmt, ...)
{
	const char *top = getenv("top_srcdir");
	char args[2048], *cmd;
	va_list ap;
	FILE *f;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	cr_assert_neq(asprintf(&cmd, "sh '%s/tests/lib/pg-cluster.sh' %s", top != NULL ? top : ".",
	    args), -1);
	cr_assert_not_null((f = popen(cmd, "r")));
	if (out != NULL && fgets(out, (int)outlen, f) == NULL)
		out[0] = '\0';
	else if (out != NULL)
		out[strcspn(out, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	status = pclose(f);
	free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
pg_h_skip_without_server(void)
{
	char why[512];
	int rc = pg_script(why, sizeof(why), "bindir 2>&1 >/dev/null");

	if (rc == 77)
		cr_skip_test("%s", why);
	cr_assert_eq(rc, 0, "pg-cluster.sh bindir: %s", why);
}

static void
pg_h_run(struct pg_h *p, const char *const *settings)
{
	char args[2048] = "", conninfo[1024];
	size_t n = 0;

	if (p->port != 5432)
		n += (size_t)snprintf(args, sizeof(args), " listen_addresses=127.0.0.1 port=%d",
		    p->port);
	for (size_t i = 0; settings != NULL && settings[i] != NULL; i++)
		n += (size_t)snprintf(args + n, sizeof(args) - n, " '%s'", settings[i]);
	cr_assert_eq(pg_script(conninfo, sizeof(conninfo), "start '%s'%s", p->dir, args), 0,
	    "PostgreSQL did not start in %s (see %s/pg/server.log)", p->dir, p->dir);
}

static struct pg_h *
pg_h_new(int port)
{
	struct pg_h *p = calloc(1, sizeof(*p));
	char tmpl[] = "/tmp/crpd-pg-XXXXXX", *cmd;

	pg_h_skip_without_server();
	cr_assert_not_null(p);
	cr_assert_not_null(mkdtemp(tmpl));
	cr_assert_eq(chmod(tmpl, 0711), 0);
	p->dir = strdup(tmpl);
	p->port = port;
	cr_assert_neq(asprintf(&p->host, "%s/pg", p->dir), -1);
	/* the server's folder now (initdb keeps it), for the files it reads */
	cr_assert_neq(asprintf(&cmd, "mkdir -m 0700 '%s' && { [ \"$(id -u)\" -ne 0 ] || "
	    "chown nobody '%s'; }", p->host, p->host), -1);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	return p;
}

struct pg_h *
pg_h_start(const char *const *settings)
{
	struct pg_h *p = pg_h_new(5432);

	pg_h_run(p, settings);
	return p;
}

/* A TCP port nobody listens on now. */
static int
pg_h_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_neq(fd, -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

struct pg_h *
pg_h_start_tcp(const char *const *settings)
{
	struct pg_h *p = pg_h_new(pg_h_free_port());

	pg_h_run(p, settings);
	return p;
}

uid_t
pg_h_owner(const struct pg_h *p)
{
	struct stat sb;

	cr_assert_eq(stat(p->host, &sb), 0);
	return sb.st_uid;
}

void
pg_h_stop(struct pg_h *p, const char *mode)
{
	cr_assert_eq(pg_script(NULL, 0, "stop '%s' %s", p->dir, mode), 0, "pg_ctl stop -m %s",
	    mode);
}

void
pg_h_restart(struct pg_h *p)
{
	pg_h_run(p, NULL);
}

void
pg_h_free(struct pg_h *p)
{
	if (p == NULL)
		return;
	pg_script(NULL, 0, "stop '%s' immediate 2>/dev/null", p->dir);
	tmpdir_discard(p->dir);
	free(p->dir);
	free(p->host);
	free(p);
}

PGconn *
pg_h_connect(const struct pg_h *p, const char *db, const char *user)
{
	const char *keys[] = { "host", "port", "dbname", "user", NULL };
	char port[16];
	const char *vals[] = { p->host, port, db, user != NULL ? user : "admin", NULL };
	PGconn *c;

	snprintf(port, sizeof(port), "%d", p->port);
	c = PQconnectdbParams(keys, vals, 0);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect to %s: %s", db, PQerrorMessage(c));
	return c;
}

static char *
pg_h_vsql(const struct pg_h *p, const char *db, const char *fmt, va_list ap)
{
	PGconn *c = pg_h_connect(p, db, NULL);
	PGresult *res;
	char *sql, *out;

	cr_assert_neq(vasprintf(&sql, fmt, ap), -1);
	res = PQexec(c, sql);
	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
	    "%s: %s", sql, PQresultErrorMessage(res));
	out = strdup(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	PQfinish(c);
	free(sql);
	return out;
}

char *
pg_h_sql(const struct pg_h *p, const char *db, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = pg_h_vsql(p, db, fmt, ap);
	va_end(ap);
	return out;
}

long
pg_h_sql_long(const struct pg_h *p, const char *db, const char *fmt, ...)
{
	va_list ap;
	char *out;
	long v;

	va_start(ap, fmt);
	out = pg_h_vsql(p, db, fmt, ap);
	va_end(ap);
	v = atol(out);
	free(out);
	return v;
}

void
pg_h_role(const struct pg_h *p, const char *name, const char *password)
{
	free(pg_h_sql(p, "postgres", "CREATE ROLE %s LOGIN PASSWORD '%s'", name, password));
	free(pg_h_sql(p, "postgres", "CREATE DATABASE %s OWNER %s ENCODING 'UTF8'", name, name));
}

char *
pg_h_password_file(const struct pg_h *p, const char *name, const char *password,
    unsigned mode)
{
	char *path;
	FILE *f;
	int fd;

	cr_assert_neq(asprintf(&path, "%s/%s", p->dir, name), -1);
	cr_assert_neq((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)), -1, "%s", path);
	cr_assert_not_null((f = fdopen(fd, "w")));
	fprintf(f, "%s\n", password);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, (mode_t)mode), 0);
	return path;
}

char *
pg_h_store_yaml(const struct pg_h *p, const char *name, const char *password_file,
    const char *extra)
{
	char *yaml;

	cr_assert_neq(asprintf(&yaml, "store:\n  backend: postgresql\n"
	    "  conninfo: \"host=%s port=%d dbname=%s user=%s\"\n%s%s%s%s",
	    p->host, p->port, name, name, password_file != NULL ? "  password_file: " : "",
	    password_file != NULL ? password_file : "", password_file != NULL ? "\n" : "",
	    extra != NULL ? extra : ""), -1);
	return yaml;
}

char *
pg_h_crpd_store(const struct pg_h *p, const char *role_password, const char *file_password,
    unsigned mode)
{
	char *file, *yaml;

	pg_h_role(p, "crpd", role_password);
	file = pg_h_password_file(p, "crpd.password", file_password, mode);
	yaml = pg_h_store_yaml(p, "crpd", file, NULL);
	free(file);
	return yaml;
}
