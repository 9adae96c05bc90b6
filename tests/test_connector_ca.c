/* The CA folder backend against real openssl-made CA folders, checked with
 * the openssl command (verify, crl, ca). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "crypto.h"
#include "csr.h"
#include "dn.h"
#include "events.h"
#include "test_connector_util.h"
#include "lib/testpki.h"

TestSuite(ca, .init = tc_setup, .fini = workdir_leave);

static X509 *
issue(struct conn_ca *ca, const char *subject, int64_t template_s, int64_t req_s)
{
	struct conn_ca_profile p;
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = NULL;
	char err[512] = "";
	enum conn_ca_status st;

	tc_profile(&p, subject, template_s, req_s);
	st = conn_ca_issue(ca, key, &p, &cert, err, sizeof(err));
	cr_assert_eq(st, CONN_CA_OK, "issue: %s", err);
	X509_NAME_free(p.subject);
	EVP_PKEY_free(key);
	return cert;
}

static void
write_pem(const char *name, X509 *cert)
{
	char err[256];

	cr_assert_eq(ndes_crypto_write_cert(workdir_path(name), cert, err, sizeof(err)), 0, "%s", err);
}

static long
days_valid(X509 *cert)
{
	int days, secs;

	cr_assert_eq(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)), 1);
	return days + (secs > 43200 ? 1 : 0);
}

Test(ca, issues_records_index_and_bumps_serial)
{
	struct conn_ca *ca = tc_new_ca("ca", 365, NULL);
	X509 *cert;
	char serial[64], *index, *next, line[256], expiry[32];
	struct tm tm;

	cert = issue(ca, "CN=alice,OU=Sales,O=Contoso,C=US", 30 * 86400, 0);
	cr_assert_eq(ndes_crypto_serial_hex(cert, serial, sizeof(serial)), 0);
	cr_assert_str_eq(serial, "01");
	next = tc_read(workdir_path("ca/serial"));
	cr_assert_str_eq(next, "02\n");
	ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
	strftime(expiry, sizeof(expiry), "%Y%m%d%H%M%SZ", &tm);
	snprintf(line, sizeof(line), "V\t%s\t\t01\tunknown\t/C=US/O=Contoso/OU=Sales/CN=alice\n",
	    expiry + 2);	/* UTCTime: two-digit year */
	index = tc_read(workdir_path("ca/index.txt"));
	cr_assert_str_eq(index, line);
	write_pem("alice.pem", cert);
	cr_assert_eq(tc_sh("\"$OPENSSL\" verify -CAfile ca/ca.pem alice.pem >/dev/null"), 0);
	cr_assert_eq(days_valid(cert), 30);
	free(next);
	free(index);
	X509_free(cert);
	conn_ca_free(ca);
}

Test(ca, fresh_micromdm_depot_without_serial_starts_at_2)
{
	struct conn_ca *ca;
	X509 *cert;
	char serial[64];

	tc_make_ca("depot", 365, NULL);
	cr_assert_eq(tc_sh("rm depot/serial depot/index.txt"), 0);
	ca = tc_open_ca("depot", NULL);
	cert = issue(ca, "CN=bob", 86400 * 10, 0);
	ndes_crypto_serial_hex(cert, serial, sizeof(serial));
	cr_assert_str_eq(serial, "02");
	X509_free(cert);
	cert = issue(ca, "CN=carol", 86400 * 10, 0);
	ndes_crypto_serial_hex(cert, serial, sizeof(serial));
	cr_assert_str_eq(serial, "03");
	X509_free(cert);
	conn_ca_free(ca);
}

Test(ca, validity_follows_request_template_and_ca)
{
	struct conn_ca_profile p = { .template_s = 365 * 86400, .requested_s = 30 * 86400,
	    .attribute_end_date = true };
	time_t now = 1800000000, ca_end = now + 1000 * 86400;

	cr_assert_eq(conn_ca_not_after(now, &p, ca_end), now + 30 * 86400);
	p.requested_s = 400 * 86400;	/* longer than the template: never */
	cr_assert_eq(conn_ca_not_after(now, &p, ca_end), now + 365 * 86400);
	p.requested_s = 30 * 86400;
	p.attribute_end_date = false;	/* EDITF_ATTRIBUTEENDDATE off */
	cr_assert_eq(conn_ca_not_after(now, &p, ca_end), now + 365 * 86400);
	p.attribute_end_date = true;
	cr_assert_eq(conn_ca_not_after(now, &p, now + 10 * 86400), now + 10 * 86400);
	cr_assert_eq(conn_ca_not_after(now, &p, now), 0);
}

Test(ca, issued_certificate_stops_at_ca_expiry)
{
	struct conn_ca *ca = tc_new_ca("short", 10, NULL);
	X509 *cert, *ca_cert;
	char err[256];

	cert = issue(ca, "CN=dave", 365 * 86400, 0);
	ca_cert = conn_ca_cert(ca, err, sizeof(err));
	cr_assert_not_null(ca_cert, "%s", err);
	cr_assert_eq(ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(ca_cert)), 0);
	X509_free(cert);
	X509_free(ca_cert);
	conn_ca_free(ca);
}

Test(ca, extensions_from_profile)
{
	struct conn_ca *ca = tc_new_ca("ca", 365, NULL);
	struct conn_ca_profile p;
	EVP_PKEY *key = testpki_key("rsa-2048");
	X509 *cert = NULL;
	GENERAL_NAME *gn;
	char err[256], *out;

	tc_profile(&p, "CN=erin", 86400, 0);
	p.key_usage = NDES_KU_DIGITAL_SIGNATURE | NDES_KU_KEY_ENCIPHERMENT;
	p.ekus = sk_ASN1_OBJECT_new_null();
	sk_ASN1_OBJECT_push(p.ekus, OBJ_txt2obj("1.3.6.1.5.5.7.3.2", 1));
	p.sans = GENERAL_NAMES_new();
	gn = GENERAL_NAME_new();
	ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
	ASN1_STRING_set(dns, "erin.contoso.com", -1);
	GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	sk_GENERAL_NAME_push(p.sans, gn);
	p.md = EVP_sha384();
	cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_OK, "%s", err);
	write_pem("erin.pem", cert);
	cr_assert_eq(tc_sh("\"$OPENSSL\" x509 -in erin.pem -noout -ext keyUsage,extendedKeyUsage,"
	    "subjectAltName,basicConstraints | tr -d ' ' > ext.txt"), 0);
	out = tc_read(workdir_path("ext.txt"));
	cr_assert_str_eq(out, "X509v3BasicConstraints:critical\nCA:FALSE\n"
	    "X509v3KeyUsage:critical\nDigitalSignature,KeyEncipherment\n"
	    "X509v3ExtendedKeyUsage:\nTLSWebClientAuthentication\n"
	    "X509v3SubjectAlternativeName:\nDNS:erin.contoso.com\n");
	cr_assert_eq(X509_get_signature_nid(cert), NID_sha384WithRSAEncryption);
	free(out);
	X509_NAME_free(p.subject);
	GENERAL_NAMES_free(p.sans);
	sk_ASN1_OBJECT_pop_free(p.ekus, ASN1_OBJECT_free);
	EVP_PKEY_free(key);
	X509_free(cert);
	conn_ca_free(ca);
}

Test(ca, revocation_marks_index_and_publishes_crl)
{
	struct conn_ca *ca = tc_new_ca("ca", 365, NULL);
	X509 *cert;
	char err[256], *index, *crl;

	cert = issue(ca, "CN=frank", 86400 * 5, 0);
	write_pem("frank.pem", cert);
	cr_assert_eq(conn_ca_revoke(ca, "0001", err, sizeof(err)), CONN_CA_OK, "%s", err);
	index = tc_read(workdir_path("ca/index.txt"));
	cr_assert_eq(index[0], 'R');
	cr_assert_not_null(strstr(index, "\t01\tunknown\t/CN=frank\n"));
	/* the CRL: signed by the CA, lists serial 01, number 01, next number 02 */
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -CAfile ca/ca.pem -noout 2>&1 | "
	    "grep -q 'verify OK'"), 0);
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -noout -text | "
	    "grep -q 'Serial Number: 01'"), 0);
	crl = tc_read(workdir_path("ca/crlnumber"));
	cr_assert_str_eq(crl, "02\n");
	cr_assert_eq(tc_sh("\"$OPENSSL\" verify -crl_check -CAfile ca/ca.pem -CRLfile ca/crl.pem "
	    "frank.pem 2>&1 | grep -q 'certificate revoked'"), 0);
	cr_assert_eq(conn_ca_revoke(ca, "01", err, sizeof(err)), CONN_CA_ALREADY_REVOKED);
	cr_assert_eq(conn_ca_revoke(ca, "7F", err, sizeof(err)), CONN_CA_NOT_FOUND);
	cr_assert_str_eq(err, "no certificate with serial number 7F in the CA's index");
	cr_assert_eq(conn_ca_revoke(ca, "xyz", err, sizeof(err)), CONN_CA_BAD_REQUEST);
	free(index);
	free(crl);
	X509_free(cert);
	conn_ca_free(ca);
}

Test(ca, openssl_ca_reads_our_index_and_agrees)
{
	struct conn_ca *ca = tc_new_ca("ca", 365, NULL);
	X509 *a, *b;
	char err[256];

	a = issue(ca, "CN=gina", 86400 * 5, 0);
	b = issue(ca, "CN=hank", 86400 * 5, 0);
	write_pem("gina.pem", a);
	write_pem("hank.pem", b);
	cr_assert_eq(conn_ca_revoke(ca, "02", err, sizeof(err)), CONN_CA_OK, "%s", err);
	/* openssl ca makes its own CRL from the index we wrote */
	cr_assert_eq(tc_sh("printf '[ca]\\ndefault_ca=d\\n[d]\\ndir=ca\\ndatabase=ca/index.txt\\n"
	    "certificate=ca/ca.pem\\nprivate_key=ca/ca.key\\ncrlnumber=ca/crlnumber\\n"
	    "default_md=sha256\\ndefault_crl_days=1\\n' > ca.cnf && "
	    "\"$OPENSSL\" ca -config ca.cnf -gencrl -out openssl-crl.pem 2>/dev/null"), 0);
	cr_assert_eq(tc_sh("\"$OPENSSL\" verify -crl_check -CAfile ca/ca.pem "
	    "-CRLfile openssl-crl.pem gina.pem >/dev/null 2>&1"), 0);
	cr_assert_neq(tc_sh("\"$OPENSSL\" verify -crl_check -CAfile ca/ca.pem "
	    "-CRLfile openssl-crl.pem hank.pem >/dev/null 2>&1"), 0);
	cr_assert_eq(tc_sh("\"$OPENSSL\" verify -crl_check -CAfile ca/ca.pem "
	    "-CRLfile ca/crl.pem gina.pem >/dev/null 2>&1"), 0);
	cr_assert_neq(tc_sh("\"$OPENSSL\" verify -crl_check -CAfile ca/ca.pem "
	    "-CRLfile ca/crl.pem hank.pem >/dev/null 2>&1"), 0);
	/* openssl ca revokes in the same index afterwards */
	cr_assert_eq(tc_sh("\"$OPENSSL\" ca -config ca.cnf -revoke gina.pem 2>/dev/null"), 0);
	cr_assert_eq(conn_ca_revoke(ca, "01", err, sizeof(err)), CONN_CA_ALREADY_REVOKED);
	X509_free(a);
	X509_free(b);
	conn_ca_free(ca);
}

Test(ca, encrypted_3des_key_with_passphrase)
{
	struct conn_ca *ca;
	X509 *cert;
	char err[256];

	tc_make_ca("enc", 365, "s3cret");
	cr_assert_eq(tc_sh("grep -q 'DEK-Info: DES-EDE3-CBC' enc/ca.key"), 0);
	ca = tc_open_ca("enc", "s3cret");
	cert = issue(ca, "CN=ivy", 86400, 0);
	X509_free(cert);
	conn_ca_free(ca);
	ca = tc_open_ca("enc", "wrong");
	cr_assert_eq(conn_ca_check(ca, err, sizeof(err)), CONN_CA_UNAVAILABLE);
	cr_assert_not_null(strstr(err, "cannot decrypt private key (wrong passphrase?)"), "%s", err);
	conn_ca_free(ca);
}

Test(ca, unreadable_or_loose_key_is_unavailable)
{
	struct conn_ca *ca;
	struct conn_ca_profile p;
	EVP_PKEY *key = testpki_key("ec-p256");
	X509 *cert = NULL;
	char err[512], want[600];

	tc_make_ca("ca", 365, NULL);
	cr_assert_eq(tc_sh("chmod 644 ca/ca.key"), 0);
	ca = tc_open_ca("ca", NULL);
	tc_profile(&p, "CN=jack", 86400, 0);
	cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_UNAVAILABLE);
	snprintf(want, sizeof(want), "%s: private key file is readable by group or others "
	    "(mode 0644); chmod 600 it", workdir_path("ca/ca.key"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(conn_ca_pkcs_diag(CONN_CA_UNAVAILABLE), NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE);
	cr_assert_eq(tc_sh("chmod 600 ca/ca.key && mv ca/ca.key ca/gone.key"), 0);
	cr_assert_eq(conn_ca_issue(ca, key, &p, &cert, err, sizeof(err)), CONN_CA_UNAVAILABLE);
	cr_assert_not_null(strstr(err, "No such file or directory"), "%s", err);
	cr_assert_null(cert);
	/* nothing was recorded */
	cr_assert_eq(tc_sh("test ! -s ca/index.txt && grep -qx 01 ca/serial"), 0);
	X509_NAME_free(p.subject);
	EVP_PKEY_free(key);
	conn_ca_free(ca);
}

Test(ca, access_denied_and_client_auth_missing)
{
	struct conn_ca_folder_opts o = { .name = "ca01", .folder = workdir_path("ca"),
	    .crl_days = 7, .may_revoke = false };
	struct conn_ca *ca;
	char err[256];

	tc_make_ca("ca", 365, NULL);
	ca = conn_ca_folder_new(&o);
	cr_assert_eq(conn_ca_revoke(ca, "01", err, sizeof(err)), CONN_CA_DENIED);
	cr_assert_str_eq(err, "this connector may not revoke on CA ca01 (ca.may_revoke is false)");
	cr_assert_eq(conn_ca_revoke_diag(CONN_CA_DENIED), 0x402);
	conn_ca_free(ca);
	o.may_revoke = true;
	o.client_auth_cert = workdir_path("ra.pem");
	ca = conn_ca_folder_new(&o);
	cr_assert_eq(conn_ca_check(ca, err, sizeof(err)), CONN_CA_CLIENT_AUTH_MISSING);
	cr_assert_eq(conn_ca_pkcs_diag(CONN_CA_CLIENT_AUTH_MISSING), 0x401);
	conn_ca_free(ca);
}

Test(ca, status_maps_to_revocation_error_codes)
{
	cr_assert_eq(conn_ca_request_error(CONN_CA_OK), 0);
	cr_assert_eq(conn_ca_request_error(CONN_CA_NOT_FOUND), 4004);
	cr_assert_eq(conn_ca_request_error(CONN_CA_ALREADY_REVOKED), 4005);
	cr_assert_eq(conn_ca_request_error(CONN_CA_BAD_REQUEST), 4002);
	cr_assert_eq(conn_ca_request_error(CONN_CA_UNAVAILABLE), 4101);
	cr_assert_eq(conn_ca_revoke_diag(CONN_CA_NOT_FOUND), 0x1301);
	cr_assert_eq(conn_ca_revoke_diag(CONN_CA_ALREADY_REVOKED), 0x1302);
	cr_assert_eq(conn_ca_revoke_diag(CONN_CA_UNAVAILABLE), 0x1303);
	cr_assert_eq(conn_ca_pkcs_diag(CONN_CA_BAD_REQUEST), 0x1304);
}

Test(ca, micromdm_depot_made_by_scepserver)
{
	struct conn_ca *ca;
	X509 *cert;
	char serial[64], *index;

	if (tc_sh("command -v scepserver >/dev/null") != 0)
		cr_skip_test("scepserver (Debian package scep) is not installed");
	cr_assert_eq(tc_sh("scepserver ca -init -depot depot >/dev/null 2>&1"), 0);
	/* scepserver encrypts ca.key with 3DES under an empty password */
	cr_assert_eq(tc_sh("grep -q 'DEK-Info: DES-EDE3-CBC' depot/ca.key"), 0);
	ca = tc_open_ca("depot", "");
	cert = issue(ca, "CN=kim,OU=MDM,O=Org,C=US", 86400 * 10, 0);
	ndes_crypto_serial_hex(cert, serial, sizeof(serial));
	cr_assert_str_eq(serial, "02");
	index = tc_read(workdir_path("depot/index.txt"));
	cr_assert_not_null(strstr(index, "\t\t02\tunknown\t/C=US/O=Org/OU=MDM/CN=kim\n"), "%s", index);
	cr_assert_eq(tc_sh("grep -qx 03 depot/serial"), 0);
	free(index);
	X509_free(cert);
	conn_ca_free(ca);
}

/* Publish ca/crl.pem with openssl ca -gencrl for the CA folder "name"
 * (its own index), valid for `hours`. */
static void
openssl_gencrl(const char *name, int hours)
{
	cr_assert_eq(tc_sh("printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=%s/index.txt\\n"
	    "certificate=%s/ca.pem\\nprivate_key=%s/ca.key\\ncrlnumber=ossl-crlnumber\\n"
	    "default_md=sha256\\n' > gencrl.cnf && echo 01 > ossl-crlnumber && "
	    "\"$OPENSSL\" ca -config gencrl.cnf -gencrl -crlhours %d -out ca/crl.pem 2>/dev/null",
	    name, name, name, hours), 0);
}

static void
refresh_ok(struct conn_ca *ca, struct conn_ca_crl_info *info, bool published)
{
	char err[512] = "";

	cr_assert_eq(conn_ca_crl_refresh(ca, info, err, sizeof(err)), CONN_CA_OK, "%s", err);
	cr_assert_eq(info->published, published, "%s", info->reason);
}

Test(ca, crl_refresh_publishes_a_due_crl_with_the_same_serials)
{
	struct conn_ca *ca = tc_new_ca("ca", 365, NULL);
	struct conn_ca_crl_info info;
	char err[256], want[600];
	X509 *a, *b;
	time_t now = time(NULL);

	a = issue(ca, "CN=ivy", 86400 * 5, 0);
	b = issue(ca, "CN=jack", 86400 * 5, 0);
	cr_assert_eq(conn_ca_revoke(ca, "01", err, sizeof(err)), CONN_CA_OK, "%s", err);
	/* the CRL of the revocation is fresh: left alone */
	refresh_ok(ca, &info, false);
	cr_assert_str_eq(info.reason, "");
	cr_assert(info.next_update >= now + 7 * 86400 - 5 && info.next_update <= now + 7 * 86400 + 5);
	/* one by openssl due in an hour (less than half of 7 days) */
	openssl_gencrl("ca", 1);
	refresh_ok(ca, &info, true);
	cr_assert_not_null(strstr(info.reason, "is less than half of ca.crl_days (7 days) away"),
	    "%s", info.reason);
	snprintf(want, sizeof(want), "of %s is less", workdir_path("ca/crl.pem"));
	cr_assert_not_null(strstr(info.reason, want), "%s", info.reason);
	cr_assert_eq(info.revoked, 1);
	cr_assert(info.next_update >= now + 7 * 86400 - 5 && info.next_update <= now + 7 * 86400 + 60);
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -CAfile ca/ca.pem -noout 2>&1 | "
	    "grep -qx 'verify OK'"), 0);
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -noout -text | grep 'Serial Number' | "
	    "tr -d ' ' | tr '\\n' ' ' | grep -qx 'SerialNumber:01 '"), 0);
	/* crlnumber went on from the connector's own: 02 after the revocation's 01 */
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -noout -crlnumber | "
	    "grep -qx 'crlNumber=0x02'"), 0);
	refresh_ok(ca, &info, false);
	X509_free(a);
	X509_free(b);
	conn_ca_free(ca);
}

Test(ca, crl_refresh_missing_foreign_or_broken_crl)
{
	struct conn_ca *ca;
	struct conn_ca_crl_info info;
	char want[600], err[512];
	char *before, *after;

	tc_make_ca("ca", 365, NULL);
	tc_make_ca("other", 365, NULL);
	ca = tc_open_ca("ca", NULL);
	refresh_ok(ca, &info, true);
	snprintf(want, sizeof(want), "there is no %s", workdir_path("ca/crl.pem"));
	cr_assert_str_eq(info.reason, want);
	cr_assert_eq(info.revoked, 0);
	openssl_gencrl("other", 24 * 30);
	refresh_ok(ca, &info, true);
	snprintf(want, sizeof(want), "%s is not signed by the CA certificate",
	    workdir_path("ca/crl.pem"));
	cr_assert_str_eq(info.reason, want);
	cr_assert_eq(tc_sh("\"$OPENSSL\" crl -in ca/crl.pem -CAfile ca/ca.pem -noout 2>&1 | "
	    "grep -qx 'verify OK'"), 0);
	cr_assert_eq(tc_sh("echo junk > ca/crl.pem"), 0);
	refresh_ok(ca, &info, true);
	snprintf(want, sizeof(want), "%s is not a PEM CRL", workdir_path("ca/crl.pem"));
	cr_assert_str_eq(info.reason, want);
	/* due, but the CRL number cannot be read: nothing written */
	openssl_gencrl("ca", 1);
	cr_assert_eq(tc_sh("echo zz > ca/crlnumber"), 0);
	before = tc_read(workdir_path("ca/crl.pem"));
	cr_assert_eq(conn_ca_crl_refresh(ca, &info, err, sizeof(err)), CONN_CA_FILE_MALFORMED);
	snprintf(want, sizeof(want), "%s: not a hexadecimal number", workdir_path("ca/crlnumber"));
	cr_assert_str_eq(err, want);
	cr_assert(!info.published);
	after = tc_read(workdir_path("ca/crl.pem"));
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
	/* no usable CA key: unavailable as for issuing */
	cr_assert_eq(tc_sh("chmod 644 ca/ca.key"), 0);
	cr_assert_eq(conn_ca_crl_refresh(ca, &info, err, sizeof(err)), CONN_CA_UNAVAILABLE);
	cr_assert_not_null(strstr(err, "readable by group or others"), "%s", err);
	conn_ca_free(ca);
}
