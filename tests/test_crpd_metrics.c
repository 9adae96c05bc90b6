/* ndes-crpd's metrics listener (docs/metrics.md): scraped with curl over
 * TCP and a Unix socket, validated with promtool, the counters moving with
 * one verification each; a listen address that is not loopback refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static EVP_PKEY *dev_key;

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(dev_key);
}

TestSuite(crpd_metrics, .fini = teardown, .timeout = 60);

/* Run cmd, its stdout (malloc'd) and exit status. */
static char *
run(const char *cmd, int *status)
{
	char *out = NULL;
	size_t cap = 0, len;
	FILE *p = popen(cmd, "r");

	cr_assert_not_null(p);
	len = getdelim(&out, &cap, '\0', p);
	if (len == (size_t)-1) {
		free(out);
		out = strdup("");
	}
	*status = WEXITSTATUS(pclose(p));
	return out;
}

/* The port crpd logged ("metrics: listening on 127.0.0.1:N"). */
static int
metrics_port(void)
{
	const char *at;
	char *log;
	int port = -1;

	for (int i = 0; i < 100 && port == -1; i++, usleep(50000)) {
		log = crpd_h_log(h);
		if ((at = strstr(log, "metrics: listening on 127.0.0.1:")) != NULL)
			port = atoi(at + strlen("metrics: listening on 127.0.0.1:"));
		free(log);
	}
	cr_assert_gt(port, 0, "no metrics listener in the log");
	return port;
}

static char *
scrape(const char *curl_target)
{
	char *cmd, *out;
	int status;

	cr_assert_neq(asprintf(&cmd, "curl -sS --max-time 5 %s", curl_target), -1);
	out = run(cmd, &status);
	cr_assert_eq(status, 0, "%s failed", cmd);
	free(cmd);
	return out;
}

/* promtool check metrics on text: exit 0 and no lint line. */
static void
promtool_ok(const char *text)
{
	char path[] = "/tmp/ndes-metrics.XXXXXX", *cmd, *out;
	int fd = mkstemp(path), status;

	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_neq(asprintf(&cmd, "promtool check metrics < %s 2>&1", path), -1);
	out = run(cmd, &status);
	cr_assert_eq(status, 0, "promtool: %s\n%s", out, text);
	cr_assert_str_eq(out, "", "promtool: %s", out);
	unlink(path);
	free(out);
	free(cmd);
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

Test(crpd_metrics, scraped_validated_and_counting)
{
	struct ndes_challenge_claims c;
	struct crpd_h_reply r;
	char target[64], *text;

	if (system("command -v promtool >/dev/null") != 0)
		cr_skip_test("promtool is absent (Debian package prometheus, scripts/deps.sh)");
	dev_key = testpki_key("ec-p256");
	h = crpd_h_launch(&(struct crpd_h_opts){ .extra_yaml = "metrics:\n  listen: 127.0.0.1:0" });
	snprintf(target, sizeof(target), "http://127.0.0.1:%d/metrics", metrics_port());
	text = scrape(target);
	promtool_ok(text);
	cr_assert(has_line(text, "ndes_crpd_verification_duration_seconds_count 0"), "%s", text);
	free(text);

	crpd_h_verify_default(h, "c1c1c1c1-0000-4c55-9a7e-1b2c3d4e5f60", dev_key, "txn-m1", &r);
	cr_assert(r.verified);
	crpd_h_claims(&c, "c1c1c1c1-1111-4c55-9a7e-1b2c3d4e5f60");
	c.expires_at = (int64_t)time(NULL) - 5;
	crpd_h_verify_claims(h, &c, dev_key, "txn-m2", &r);
	cr_assert_eq(r.code, 0x411);
	text = scrape(target);
	promtool_ok(text);
	cr_assert(has_line(text,
	    "ndes_crpd_verifications_total{result=\"verified\",code=\"0x00000000\"} 1"), "%s", text);
	cr_assert(has_line(text,
	    "ndes_crpd_verifications_total{result=\"warning\",code=\"0x00000411\"} 1"), "%s", text);
	cr_assert(has_line(text, "ndes_crpd_verification_duration_seconds_count 2"), "%s", text);
	cr_assert(has_line(text,
	    "ndes_crpd_verification_duration_seconds_bucket{le=\"+Inf\"} 2"), "%s", text);
	free(text);
	snprintf(target, sizeof(target), "-o /dev/null -w '%%{http_code}' "
	    "http://127.0.0.1:%d/other", metrics_port());
	text = scrape(target);
	cr_assert_str_eq(text, "404");
	free(text);
}

Test(crpd_metrics, on_a_unix_socket)
{
	char sock[64], yaml[128], target[128], *text;

	if (system("command -v promtool >/dev/null") != 0)
		cr_skip_test("promtool is absent (Debian package prometheus, scripts/deps.sh)");
	snprintf(sock, sizeof(sock), "/tmp/ndes-crpd-metrics-%d.sock", (int)getpid());
	snprintf(yaml, sizeof(yaml), "metrics:\n  listen: %s", sock);
	h = crpd_h_launch(&(struct crpd_h_opts){ .extra_yaml = yaml });
	snprintf(target, sizeof(target), "--unix-socket %s http://localhost/metrics", sock);
	text = scrape(target);
	promtool_ok(text);
	cr_assert(has_line(text, "# TYPE ndes_crpd_verifications_total counter"), "%s", text);
	free(text);
	crpd_h_stop(h);
	cr_assert_neq(access(sock, F_OK), 0, "the socket stays after the stop");
}

/* Not loopback: refused when the file loads, with the reason. */
Test(crpd_metrics, a_public_address_is_refused)
{
	const char *top = getenv("top_builddir");
	char *cmd, *out, *want;
	int status;

	h = crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = "metrics:\n  listen: 0.0.0.0:9464" });
	cr_assert_neq(asprintf(&cmd, "'%s/crp/ndes-crpd' --check-config '%s' 2>&1",
	    top != NULL ? top : ".", h->config), -1);
	out = run(cmd, &status);
	cr_assert_eq(status, 1, "%s", out);
	cr_assert_neq(asprintf(&want, "\"0.0.0.0:9464\" is not a loopback HOST:PORT "
	    "(127.0.0.1:9464, [::1]:9464, localhost:9464) or a Unix socket path: the metrics "
	    "have no authentication"), -1);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_not_null(strstr(out, h->config), "%s", out);
	free(want);
	free(out);
	free(cmd);
}
