/* Planned subjects in the forms devices use: the RFC 4514 string of
 * claims.subject must be exactly what ndes_crypto_name_to_string() reads
 * from a request built with `openssl req -subj` (or micromdm's scepclient)
 * from cloudsim_subject_to_openssl_subj() / cloudsim_subject_to_json(), or
 * with `openssl req -config` from cloudsim_openssl_cnf() (which also carries
 * a challengePassword with every character openssl's configuration treats
 * specially). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "test_cloudsim_util.h"

extern char **environ;

static char dir[512];

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/ndes-cloudsim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static int
run(char *const argv[], const char *cwd)
{
	posix_spawn_file_actions_t fa;
	char old[1024];
	pid_t pid;
	int status;

	/* quiet: stdout carries the TAP report */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_not_null(getcwd(old, sizeof(old)));
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0,
	    "cannot run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(chdir(old), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *
openssl_bin(void)
{
	const char *o = getenv("OPENSSL");

	return o != NULL && *o != '\0' ? o : "openssl";
}

/* The subject of the CSR at path, as the CRP reads it. */
static char *
csr_subject(const char *path)
{
	FILE *f = fopen(path, "r");
	X509_REQ *req;
	char *s;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(req);
	s = ndes_crypto_name_to_string(X509_REQ_get_subject_name(req));
	X509_REQ_free(req);
	cr_assert_not_null(s);
	return s;
}

/* The challengePassword of the CSR at path, malloc'd ("" when none). */
static char *
csr_password(const char *path)
{
	FILE *f = fopen(path, "r");
	X509_REQ *req;
	ASN1_TYPE *t;
	char *s;
	int i;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(req);
	i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
	t = i < 0 ? NULL : X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(req, i), 0);
	s = strdup(t != NULL && t->value.asn1_string != NULL ?
	    (const char *)ASN1_STRING_get0_data(t->value.asn1_string) : "");
	X509_REQ_free(req);
	return s;
}

/* ---- the string conversions ---- */

static void
expect_subj(const char *subject, const char *subj)
{
	char *s = cloudsim_subject_to_openssl_subj(subject);

	if (subj == NULL) {
		cr_expect_null(s, "%s gave %s", subject, s);
	} else {
		cr_assert_not_null(s, "%s", subject);
		cr_expect_str_eq(s, subj);
	}
	free(s);
}

Test(openssl_subj, reverses_the_rdns)
{
	expect_subj("CN=alice,O=Contoso,C=US", "/C=US/O=Contoso/CN=alice");
}

Test(openssl_subj, empty_subject)
{
	expect_subj("", "/");
}

Test(openssl_subj, rfc4514_escapes_become_openssl_escapes)
{
	expect_subj("CN=CN=Jane\\, Doe,O=a/b\\+c \\\\ d", "/O=a\\/b\\+c \\\\ d/CN=CN=Jane, Doe");
	expect_subj("CN=\\#1\\0Ax", "/CN=#1\nx");
}

Test(openssl_subj, refuses_what_it_cannot_write)
{
	expect_subj("CN=a+UID=b", NULL);
	expect_subj("CN", NULL);
	expect_subj("CN=a,", NULL);
	expect_subj("=a", NULL);
	expect_subj(NULL, NULL);
}

Test(subject_json, rdns_in_request_order_and_scepclient_flags)
{
	json_t *j = cloudsim_subject_to_json("CN=WS042,OU=Workstations,O=Contoso,C=US");
	char *text;

	cr_assert_not_null(j);
	text = json_dumps(j, JSON_COMPACT);
	cr_expect_str_eq(text, "{\"subject\":\"CN=WS042,OU=Workstations,O=Contoso,C=US\","
	    "\"openssl_subj\":\"/C=US/O=Contoso/OU=Workstations/CN=WS042\","
	    "\"rdns\":[{\"type\":\"C\",\"value\":\"US\"},{\"type\":\"O\",\"value\":"
	    "\"Contoso\"},{\"type\":\"OU\",\"value\":\"Workstations\"},{\"type\":\"CN\","
	    "\"value\":\"WS042\"}],\"scepclient\":[\"-cn\",\"WS042\",\"-ou\","
	    "\"Workstations\",\"-organization\",\"Contoso\",\"-locality\",\"\","
	    "\"-province\",\"\",\"-country\",\"US\"]}");
	free(text);
	json_decref(j);
}

Test(subject_json, no_scepclient_flags_for_email_or_other_orders)
{
	json_t *j = cloudsim_subject_to_json("CN=alice,emailAddress=a@contoso.com");

	cr_assert_not_null(j);
	cr_expect(json_is_null(json_object_get(j, "scepclient")));
	json_decref(j);
	j = cloudsim_subject_to_json("O=Contoso,CN=alice");
	cr_expect(json_is_null(json_object_get(j, "scepclient")));
	json_decref(j);
	j = cloudsim_subject_to_json("CN=a,OU=x,OU=y");
	cr_expect(json_is_null(json_object_get(j, "scepclient")));
	json_decref(j);
	cr_expect_null(cloudsim_subject_to_json("CN=a+UID=b"));
}

/* ---- a request built from the plan carries exactly claims.subject ---- */

#define ODD_PASSWORD " pa$s #w\"o'rd\\ "

/* The same through the recipe, with a password openssl could mangle. */
static void
round_trip_cnf(const struct ndes_challenge_claims *claims, char *key, char *csr)
{
	char cnf[600], *text, *got;
	FILE *f;

	snprintf(cnf, sizeof(cnf), "%s/req.cnf", dir);
	if (claims->subject[0] == '\0') {	/* openssl req -config cannot make it */
		cr_expect_null(cloudsim_openssl_cnf(claims, ODD_PASSWORD));
		return;
	}
	cr_assert_not_null(text = cloudsim_openssl_cnf(claims, ODD_PASSWORD));
	cr_assert_not_null(f = fopen(cnf, "w"));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(run((char *[]){ (char *)openssl_bin(), "req", "-new", "-key", key,
	    "-config", cnf, "-out", csr, NULL }, dir), 0, "%s", text);
	got = csr_subject(csr);
	cr_expect_str_eq(got, claims->subject, "%s", text);
	free(got);
	got = csr_password(csr);
	cr_expect_str_eq(got, ODD_PASSWORD, "%s", text);
	free(got);
	free(text);
}

static void
round_trip_openssl(const char *device, const char *profile, const char *user)
{
	struct cloudsim_config *c = cs_load_tenant();
	struct ndes_challenge_claims claims;
	char key[600], csr[600], *subj, *got;

	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(csr, sizeof(csr), "%s/csr.pem", dir);
	cr_assert_eq(run((char *[]){ (char *)openssl_bin(), "genpkey", "-algorithm", "EC",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key, NULL }, dir), 0);
	cs_plan_ok(c, device, profile, user, &claims);
	cr_assert_not_null(subj = cloudsim_subject_to_openssl_subj(claims.subject));
	cr_assert_eq(run((char *[]){ (char *)openssl_bin(), "req", "-new", "-utf8", "-key",
	    key, "-subj", subj, "-out", csr, NULL }, dir), 0, "-subj %s", subj);
	got = csr_subject(csr);
	cr_expect_str_eq(got, claims.subject, "-subj %s", subj);
	free(got);
	free(subj);
	round_trip_cnf(&claims, key, csr);
	ndes_challenge_claims_clear(&claims);
	cloudsim_config_free(c);
}

TestSuite(round_trip, .init = setup, .fini = teardown);

Test(round_trip, reference_custom_example)
{
	round_trip_openssl("ios-full", "wifi-user", "alice@contoso.com");
}

Test(round_trip, escaped_distinguished_name)
{
	round_trip_openssl("win-dj", "onprem-dn", "alice@contoso.com");
}

Test(round_trip, utf8_and_openssl_escapes)
{
	round_trip_openssl("ios-full", "utf8-user", "alice@contoso.com");
}

Test(round_trip, common_name_including_email)
{
	round_trip_openssl("and-pending", "android-user", "alice@contoso.com");
}

Test(round_trip, empty_subject)
{
	round_trip_openssl("ios-full", "long-validity", "alice@contoso.com");
}

Test(round_trip, scepclient_flags)
{
	struct cloudsim_config *c = cs_load_tenant();
	struct ndes_challenge_claims claims;
	char *argv[32] = { "scepclient", "-server-url", "http://127.0.0.1:9/scep",
	    "-private-key", "key.pem" }, csr[600], *got;
	json_t *j, *args;
	size_t n = 5, i;

	if (access("/usr/bin/scepclient", X_OK) != 0)
		cr_skip_test("scepclient is not installed");
	cs_plan_ok(c, "ios-full", "imei-device", NULL, &claims);
	cr_assert_not_null(j = cloudsim_subject_to_json(claims.subject));
	args = json_object_get(j, "scepclient");
	cr_assert(json_is_array(args));
	for (i = 0; i < json_array_size(args); i++)
		argv[n++] = (char *)json_string_value(json_array_get(args, i));
	argv[n] = NULL;
	/* no SCEP server there: scepclient writes csr.pem and fails */
	run(argv, dir);
	snprintf(csr, sizeof(csr), "%s/csr.pem", dir);
	got = csr_subject(csr);
	cr_expect_str_eq(got, claims.subject);
	cr_expect_str_eq(got, "CN=356938035643809,O=Contoso");
	free(got);
	json_decref(j);
	ndes_challenge_claims_clear(&claims);
	cloudsim_config_free(c);
}
