/* ndes-crpd reaching its PostgreSQL challenge store over TCP with TLS (a
 * real server on 127.0.0.1 started by the test, hostssl only there):
 * sslmode verify-full with the server's CA in sslrootcert connects over
 * TLS; a certificate from another CA, or a name that is not the
 * certificate's, is refused at start (69, 20702); without TLS the server
 * does not let crpd in (77, 0x00001021). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "lib/crpd_harness.h"
#include "lib/pg_harness.h"
#include "lib/testpki.h"

#define PASSWORD "tls-test-Password"

static struct pg_h *pg;
static struct crpd_h *h;
static char *server_cert, *other_cert, *yaml;

/* A self-signed certificate for cn (its own CA) into dir/name, and its
 * key into dir/name.key, owned by owner (the server reads its key). */
static char *
cert_files(const char *dir, const char *name, const char *cn, uid_t owner)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = testpki_cert(key, cn, NULL, NULL, -60, 30);
	char *path, *key_path;

	cr_assert(key != NULL && cert != NULL);
	cr_assert_neq(asprintf(&path, "%s/%s", dir, name), -1);
	cr_assert_neq(asprintf(&key_path, "%s/%s.key", dir, name), -1);
	crpd_h_write_certs(path, &cert, 1);
	crpd_h_write_key(key_path, key);
	cr_assert_eq(chown(path, owner, (gid_t)-1), 0);
	cr_assert_eq(chown(key_path, owner, (gid_t)-1), 0);
	free(key_path);
	X509_free(cert);
	EVP_PKEY_free(key);
	return path;
}

static void
setup(void)
{
	char dir[] = "/tmp/crpd-pg-certs-XXXXXX", ssl_cert[600], ssl_key[600];
	const char *settings[] = { "ssl=on", ssl_cert, ssl_key, NULL };

	if (geteuid() != 0)
		cr_skip_test("the server's key must belong to its user (nobody): root only");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	/* the certificates go where the server's user can read them */
	server_cert = cert_files(dir, "server.pem", "localhost", 65534);
	other_cert = cert_files(dir, "other.pem", "localhost", 65534);
	snprintf(ssl_cert, sizeof(ssl_cert), "ssl_cert_file=%s", server_cert);
	snprintf(ssl_key, sizeof(ssl_key), "ssl_key_file=%s.key", server_cert);
	pg = pg_h_start_tcp(settings);
	pg_h_role(pg, "crpd", PASSWORD);
}

static void
teardown(void)
{
	char *cmd, *slash;

	crpd_h_finish(&h);
	pg_h_free(pg);
	if (server_cert != NULL && (slash = strrchr(server_cert, '/')) != NULL) {
		*slash = '\0';
		if (asprintf(&cmd, "rm -rf '%s'", server_cert) != -1 && system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", server_cert);
		free(cmd);
	}
	free(server_cert);
	free(other_cert);
	free(yaml);
}

TestSuite(crpd_pg_tls, .init = setup, .fini = teardown, .timeout = 60);

/* crpd with the store over TCP to host (hostaddr 127.0.0.1). */
static void
node(const char *host, const char *sslmode, const char *rootcert)
{
	char *pw = pg_h_password_file(pg, "crpd.password", PASSWORD, 0600);

	free(yaml);
	cr_assert_neq(asprintf(&yaml, "store:\n  backend: postgresql\n"
	    "  conninfo: \"host=%s hostaddr=127.0.0.1 port=%d dbname=crpd user=crpd\"\n"
	    "  password_file: %s\n  sslmode: %s\n%s%s%s", host, pg->port, pw, sslmode,
	    rootcert != NULL ? "  sslrootcert: " : "", rootcert != NULL ? rootcert : "",
	    rootcert != NULL ? "\n" : ""), -1);
	free(pw);
	h = crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = yaml });
}

static void
expect_exit(int status, const char *log_has)
{
	char *log;
	int st;

	crpd_h_spawn(h);
	st = crpd_h_wait_exit(h, 20000);
	log = crpd_h_log(h);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == status,
	    "status 0x%x, want exit %d:\n%s", st, status, log);
	cr_assert_not_null(strstr(log, log_has), "no \"%s\" in:\n%s", log_has, log);
	free(log);
}

Test(crpd_pg_tls, verify_full_with_the_servers_ca_connects_over_tls)
{
	EVP_PKEY *key = testpki_key("ec-p256");
	struct crpd_h_reply r;

	node("localhost", "verify-full", server_cert);
	crpd_h_start(h);
	crpd_h_verify_default(h, "0000715c-0000-4000-8000-000000000001", key, "tls-1", &r);
	cr_assert(r.verified, "%u 0x%08X %s", r.event_id, r.code, r.reason);
	cr_assert_eq(pg_h_sql_long(pg, "postgres", "SELECT count(*) FROM pg_stat_ssl JOIN "
	    "pg_stat_activity USING (pid) WHERE application_name = 'ndes-crpd' AND ssl"), 1);
	EVP_PKEY_free(key);
}

Test(crpd_pg_tls, a_certificate_from_another_ca_is_refused)
{
	node("localhost", "verify-full", other_cert);
	expect_exit(EX_UNAVAILABLE, "certificate verify failed");
}

Test(crpd_pg_tls, a_name_that_is_not_the_certificates_is_refused)
{
	node("db.example.com", "verify-full", server_cert);
	expect_exit(EX_UNAVAILABLE, "does not match host name \"db.example.com\"");
}

Test(crpd_pg_tls, without_tls_the_server_does_not_let_crpd_in)
{
	node("localhost", "disable", NULL);
	expect_exit(EX_NOPERM, "no encryption");
}
