/* The CA folder's line-based files read strictly (common/lines.h):
 * index.txt, serial and crlnumber with a NUL byte, an over-long line, text
 * that is not UTF-8, a last line without newline or a second line are
 * refused with CONN_CA_FILE_MALFORMED (0x1305), naming file and line, and
 * the folder is left exactly as it was (an index.txt used to be rewritten
 * without the bytes after a NUL). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "test_connector_util.h"
#include "lib/testpki.h"

TestSuite(ca_files, .init = tc_setup, .fini = workdir_leave);

/* A CA folder with two issued certificates (serials 01, 02) and a CRL. */
static struct conn_ca *
two_issued(void)
{
	struct conn_ca_profile p;
	struct conn_ca *ca;
	EVP_PKEY *key = testpki_key("ec-p256");
	char err[512] = "";
	X509 *cert;

	ca = tc_new_ca("ca", 365, NULL);
	for (int i = 0; i < 2; i++) {
		tc_profile(&p, i ? "CN=bob" : "CN=alice", 86400, 0);
		cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_OK, "%s",
		    err);
		X509_NAME_free(p.subject);
		X509_free(cert);
	}
	EVP_PKEY_free(key);
	return ca;
}

/* Revoking 01 is refused with 0x1305 and err naming the folder's file
 * and line (want); index.txt (kept as index.before) and crlnumber stay as
 * they were. */
static void
revoke_refused(struct conn_ca *ca, const char *want)
{
	char err[512], full[600], *crl = tc_read(workdir_path("ca/crlnumber")), *after;

	cr_assert_eq(conn_ca_revoke(ca, "01", err, sizeof(err)), CONN_CA_FILE_MALFORMED, "%s",
	    err);
	snprintf(full, sizeof(full), "%s%s", workdir_path("ca/"), want);
	cr_assert_str_eq(err, full);
	cr_assert_eq(conn_ca_revoke_diag(CONN_CA_FILE_MALFORMED), 0x1305);
	cr_assert_eq(tc_sh("cmp -s ca/index.txt ca/index.before"), 0, "index.txt changed");
	after = tc_read(workdir_path("ca/crlnumber"));
	cr_assert(crl == NULL ? after == NULL : after != NULL && strcmp(crl, after) == 0);
	free(after);
	free(crl);
}

/* Line 2 of index.txt (serial 02) spoiled in each way: refused, not cut. */
Test(ca_files, index_lines_are_refused_not_cut)
{
	static const char *const cases[][2] = {
		{ "V\\t301231000000Z\\t\\t02\\tunknown\\t/CN=bob\\000/CN=mallory\\n",
		  "index.txt:2: a NUL byte at column 36" },
		{ "V\\t301231000000Z\\t\\t02\\tunknown\\t/CN=Caf\\351\\n",
		  "index.txt:2: not UTF-8 (byte 0xE9 at column 36)" },
		{ "V\\t301231000000Z\\t\\t02\\tunknown\\t/CN=b",
		  "index.txt:2: the last line has no newline (being written?)" },
		{ "V\\t301231000000Z\\t02\\n", "index.txt:2: malformed index line" },
	};
	struct conn_ca *ca = two_issued();

	cr_assert_eq(tc_sh("cp ca/index.txt ca/good"), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(tc_sh("{ head -n 1 ca/good; printf '%s'; } > ca/index.txt && "
		    "cp ca/index.txt ca/index.before", cases[i][0]), 0);
		revoke_refused(ca, cases[i][1]);
	}
	conn_ca_free(ca);
}

Test(ca_files, index_line_too_long_is_refused)
{
	struct conn_ca *ca = two_issued();

	cr_assert_eq(tc_sh("head -c 20000 /dev/zero | tr '\\0' A > ca/long && "
	    "{ head -n 1 ca/index.txt; printf 'V\\t301231000000Z\\t\\t02\\tunknown\\t/CN='; "
	    "cat ca/long; echo; } > ca/i && mv ca/i ca/index.txt && "
	    "cp ca/index.txt ca/index.before"), 0);
	revoke_refused(ca, "index.txt:2: longer than 16384 bytes");
	conn_ca_free(ca);
}

/* The serial file: issuing is refused, serial and index.txt untouched. */
static void
issue_refused(struct conn_ca *ca, const char *serial_printf, const char *want)
{
	struct conn_ca_profile p;
	EVP_PKEY *key = testpki_key("ec-p256");
	char err[512], full[600];
	X509 *cert = NULL;

	cr_assert_eq(tc_sh("printf '%s' > ca/serial && cp ca/serial ca/serial.before && "
	    "cp ca/index.txt ca/index.before", serial_printf), 0);
	tc_profile(&p, "CN=carol", 86400, 0);
	cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_FILE_MALFORMED,
	    "%s", err);
	cr_assert_null(cert);
	snprintf(full, sizeof(full), "%s%s", workdir_path("ca/"), want);
	cr_assert_str_eq(err, full);
	cr_assert_eq(conn_ca_pkcs_diag(CONN_CA_FILE_MALFORMED), 0x1305);
	cr_assert_eq(tc_sh("cmp -s ca/serial ca/serial.before && "
	    "cmp -s ca/index.txt ca/index.before"), 0, "the folder changed");
	X509_NAME_free(p.subject);
	EVP_PKEY_free(key);
}

Test(ca_files, serial_file_read_strictly)
{
	struct conn_ca *ca = two_issued();

	issue_refused(ca, "03\\000ff\\n", "serial:1: a NUL byte at column 3");
	issue_refused(ca, "03\\n04\\n", "serial:2: more than one line");
	issue_refused(ca, "0x03\\n", "serial: not a hexadecimal number");
	issue_refused(ca, "\\n", "serial: not a hexadecimal number");
	conn_ca_free(ca);
}

Test(ca_files, serial_without_newline_is_still_a_number)
{
	struct conn_ca_profile p;
	struct conn_ca *ca = two_issued();
	EVP_PKEY *key = testpki_key("ec-p256");
	char err[512], *serial;
	X509 *cert = NULL;

	cr_assert_eq(tc_sh("printf 0A > ca/serial"), 0);
	tc_profile(&p, "CN=carol", 86400, 0);
	cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_OK, "%s", err);
	serial = tc_read(workdir_path("ca/serial"));
	cr_assert_str_eq(serial, "0B\n");
	free(serial);
	X509_free(cert);
	X509_NAME_free(p.subject);
	EVP_PKEY_free(key);
	conn_ca_free(ca);
}

Test(ca_files, crlnumber_with_a_nul_refuses_the_revocation_crl)
{
	struct conn_ca *ca = two_issued();
	struct conn_ca_crl_info info;
	char err[512], full[600];

	cr_assert_eq(tc_sh("printf '05\\000\\n' > ca/crlnumber"), 0);
	cr_assert_eq(conn_ca_crl_refresh(ca, &info, err, sizeof(err)), CONN_CA_FILE_MALFORMED,
	    "%s", err);
	snprintf(full, sizeof(full), "%scrlnumber:1: a NUL byte at column 3", workdir_path("ca/"));
	cr_assert_str_eq(err, full);
	cr_assert(!info.published);
	conn_ca_free(ca);
}
