/* ndes-crpd's crp.sock: authorisation by uid/gid, socket mode, malformed,
 * oversized and unknown frames, pipelined requests, bad values, config
 * checking. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_client.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

#define NOBODY 65534
#define GID_A 4242

static struct crpd_h *h;

static void
setup(void)
{
	h = crpd_h_launch(NULL);
}

static void
teardown(void)
{
	crpd_h_finish(&h);
}

TestSuite(crpd_ipc, .init = setup, .fini = teardown, .timeout = 60);

static int
raw_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", h->sock);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void
raw_send(int fd, const struct ndes_ipc_msg *m)
{
	size_t len;
	const uint8_t *f = ndes_ipc_msg_frame(m, &len);

	cr_assert_not_null(f);
	cr_assert_eq(write(fd, f, len), (ssize_t)len);
}

/* Read one frame (NULL at EOF), waiting up to 10 s. */
static struct ndes_ipc_frame *
raw_read(int fd)
{
	uint8_t *buf = malloc(NDES_IPC_MAX_FRAME);
	struct ndes_ipc_header hdr;
	struct ndes_ipc_frame *f = NULL;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = 0, need;
	ssize_t n;

	for (;;) {
		enum ndes_ipc_parse_result res = ndes_ipc_frame_parse(buf, len, &hdr, &need);

		if (res == NDES_IPC_PARSE_OK) {
			f = ndes_ipc_frame_new(&hdr, buf + NDES_IPC_HEADER_LEN, hdr.payload_len);
			break;
		}
		cr_assert_eq(res, NDES_IPC_PARSE_NEED_MORE);
		cr_assert_eq(poll(&pfd, 1, 10000), 1, "no reply within 10 s");
		n = read(fd, buf + len, need - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	free(buf);
	return f;
}

static void
expect_closed(int fd)
{
	struct ndes_ipc_frame *f = raw_read(fd);

	cr_assert_null(f, "expected the connection to be closed, got type 0x%04x",
	    ndes_ipc_frame_type(f));
	close(fd);
}

static void
expect_alive(void)
{
	struct crpd_h_reply r;
	static const uint8_t junk[] = { 0x30, 0x00 };

	crpd_h_verify(h, junk, sizeof(junk), "txn-alive", &r);
	cr_assert_eq(r.code, 0x100D);
}

Test(crpd_ipc, socket_mode_is_0660)
{
	struct stat st;

	cr_assert_eq(stat(h->sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0660, "mode %o", st.st_mode & 07777);
}

Test(crpd_ipc, malformed_verify_request_drops_that_peer_only)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 1);
	int fd = raw_connect(), other = raw_connect();

	ndes_ipc_msg_add_bytes(m, "x", 1);	/* the other three fields are missing */
	raw_send(fd, m);
	expect_closed(fd);
	ndes_ipc_msg_free(m);
	/* a connection made before is unaffected */
	m = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 2);
	raw_send(other, m);
	ndes_ipc_msg_free(m);
	cr_assert_eq(ndes_ipc_frame_type(raw_read(other)), NDES_IPC_MSG_PONG);
	close(other);
	expect_alive();
}

Test(crpd_ipc, oversized_frame_is_refused_from_its_header)
{
	struct ndes_ipc_header hdr = { NDES_IPC_VERSION, NDES_IPC_MSG_VERIFY_REQUEST, 1,
	    NDES_IPC_MAX_PAYLOAD + 1 };
	uint8_t raw[NDES_IPC_HEADER_LEN];
	int fd = raw_connect();

	ndes_ipc_header_encode(&hdr, raw);
	cr_assert_eq(write(fd, raw, sizeof(raw)), (ssize_t)sizeof(raw));
	expect_closed(fd);	/* no payload was sent: refused from the header alone */
	expect_alive();
}

Test(crpd_ipc, bad_magic_is_refused)
{
	int fd = raw_connect();

	cr_assert_eq(write(fd, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	expect_closed(fd);
	expect_alive();
}

/* Send a message of type with request id id (no fields), read the answer:
 * of type want, with that id; r over its payload. */
static struct ndes_ipc_frame *
raw_ask(int fd, uint16_t type, uint32_t id, uint16_t want, struct ndes_ipc_reader *r)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(type, id);
	struct ndes_ipc_frame *f;

	raw_send(fd, m);
	ndes_ipc_msg_free(m);
	f = raw_read(fd);
	cr_assert_not_null(f);
	cr_assert_eq(ndes_ipc_frame_type(f), want);
	cr_assert_eq(ndes_ipc_frame_header(f)->request_id, id);
	ndes_ipc_frame_reader(f, r);
	return f;
}

/* STATUS: crpd's pid, when it started (before this test connected), its
 * version, its current errors (crp_errors.h: no connector runs on
 * connector.sock here, so the link's error, and only it); malformed replies
 * are refused by the reader. */
Test(crpd_ipc, status_says_pid_start_and_version)
{
	struct ndes_ipc_msg *m;
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	int fd = raw_connect();
	struct ndes_ipc_frame *f = raw_ask(fd, NDES_IPC_MSG_STATUS, 5, NDES_IPC_MSG_STATUS_REPLY,
	    &r);

	cr_assert_eq(ndes_ipc_get_status_reply(&r, &st), 0);
	cr_assert_eq((pid_t)st.pid, h->pid);
	cr_assert(st.started > time(NULL) - 60 && st.started <= time(NULL),
	    "started %lld", (long long)st.started);
	cr_assert_str_eq(st.version, PACKAGE_VERSION);
	cr_assert(st.has_errors, "crpd says its errors, even none");
	cr_assert_eq(st.nerrors, 1);
	cr_assert_str_eq(st.errors[0].activity, "link");
	cr_assert(strstr(st.errors[0].message, h->connector_sock) != NULL &&
	    strstr(st.errors[0].message, "No such file") != NULL, "%s", st.errors[0].message);
	cr_assert(st.errors[0].since >= st.started && st.errors[0].since <= st.errors[0].last &&
	    st.errors[0].last <= time(NULL));
	ndes_ipc_frame_free(f);
	close(fd);
	m = ndes_ipc_msg_new(NDES_IPC_MSG_STATUS_REPLY, 1);
	ndes_ipc_msg_add_u32(m, 1);
	ndes_ipc_msg_add_i64(m, 0);
	ndes_ipc_msg_add_str(m, "has space");
	ndes_ipc_reader_init(&r, (const uint8_t *)ndes_ipc_msg_frame(m, &(size_t){ 0 }) +
	    NDES_IPC_HEADER_LEN, ndes_ipc_msg_payload_len(m));
	cr_assert_eq(ndes_ipc_get_status_reply(&r, &st), -1, "a version with a space");
	ndes_ipc_msg_free(m);
}

Test(crpd_ipc, unknown_type_gets_unsupported_and_the_peer_stays)
{
	struct ndes_ipc_reader r;
	const char *msg;
	uint32_t code;
	int fd = raw_connect();
	struct ndes_ipc_frame *f = raw_ask(fd, 0x0999, 7, NDES_IPC_MSG_ERROR, &r);

	cr_assert_eq(ndes_ipc_get_error(&r, &code, &msg), 0);
	cr_assert_eq(code, NDES_IPC_ERR_UNSUPPORTED);
	ndes_ipc_frame_free(f);
	ndes_ipc_frame_free(raw_ask(fd, NDES_IPC_MSG_PING, 8, NDES_IPC_MSG_PONG, &r));
	close(fd);
}

Test(crpd_ipc, pipelined_requests_are_all_answered_with_their_ids)
{
	static const uint8_t junk[] = { 0x30, 0x00 };
	bool seen[6] = { false };
	int fd = raw_connect();

	for (uint32_t id = 1; id <= 5; id++) {
		struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, id);

		ndes_ipc_msg_add_bytes(m, junk, sizeof(junk));
		ndes_ipc_msg_add_bytes(m, NULL, 0);
		ndes_ipc_msg_add_str(m, "");
		ndes_ipc_msg_add_str(m, "txn-pipelined");
		raw_send(fd, m);
		ndes_ipc_msg_free(m);
	}
	for (int i = 0; i < 5; i++) {
		struct ndes_ipc_frame *f = raw_read(fd);
		uint32_t id;

		cr_assert_not_null(f);
		cr_assert_eq(ndes_ipc_frame_type(f), NDES_IPC_MSG_VERIFY_REPLY);
		id = ndes_ipc_frame_header(f)->request_id;
		cr_assert(id >= 1 && id <= 5 && !seen[id], "reply id %u", id);
		seen[id] = true;
		ndes_ipc_frame_free(f);
	}
	close(fd);
}

Test(crpd_ipc, notify_with_a_bad_disposition_is_a_bad_request)
{
	struct crpd_h_notify_reply nr;

	crpd_h_notify(h, "", "txn-bad-disp", 5, 0, NULL, 0, "", &nr);
	cr_assert_eq(nr.error_code, NDES_IPC_ERR_BAD_REQUEST);
	cr_assert_str_eq(nr.message, "disposition must be -1, 0, 2, 3 or 11");
}

Test(crpd_ipc, success_notify_without_certificate_is_a_bad_request)
{
	struct crpd_h_notify_reply nr;

	crpd_h_notify(h, "", "txn-no-cert", 0, 0, NULL, 0, "", &nr);
	cr_assert_eq(nr.error_code, NDES_IPC_ERR_BAD_REQUEST);
	cr_assert_str_eq(nr.message, "a Success notification needs the issued certificate");
}

/* What the client said when verify_as() was refused (the server's reason). */
static char refusal[512];

/* In a child: become uid/gid, then verify; exit 0 answered, 10 refused by
 * the ACL (EACCES, the reason in refusal), 11 refused by a cap (EAGAIN). */
static int
verify_as(uid_t uid, gid_t gid)
{
	int status, fds[2];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		static const uint8_t junk[] = { 0x30, 0x00 };
		struct ndes_ipc_client *c;
		struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 1);
		struct ndes_ipc_frame *reply = NULL;
		char err[512] = "";

		close(fds[0]);
		if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1)
			_exit(30);
		ndes_ipc_msg_add_bytes(m, junk, sizeof(junk));
		ndes_ipc_msg_add_bytes(m, NULL, 0);
		ndes_ipc_msg_add_str(m, "");
		ndes_ipc_msg_add_str(m, "txn-uid");
		if ((c = ndes_ipc_client_connect(h->sock, 2000, NULL, 0)) == NULL)
			_exit(20);
		if (ndes_ipc_client_call(c, m, &reply, 5000, err, sizeof(err)) == -1) {
			int saved = errno;

			(void)!write(fds[1], err, strlen(err));
			_exit(saved == EACCES ? 10 : saved == EAGAIN ? 11 : 21);
		}
		_exit(ndes_ipc_frame_type(reply) == NDES_IPC_MSG_VERIFY_REPLY ? 0 : 22);
	}
	close(fds[1]);
	n = read(fds[0], refusal, sizeof(refusal) - 1);
	refusal[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status), "child status 0x%x", status);
	return WEXITSTATUS(status);
}

static char *
grep_log(const char *needle)
{
	char *cmd, *line = NULL;
	size_t cap = 0;
	FILE *p;

	cr_assert_neq(asprintf(&cmd, "grep -F '%s' '%s'", needle, h->log), -1);
	for (int i = 0; i < 50; i++) {
		p = popen(cmd, "r");
		if (getline(&line, &cap, p) > 0) {
			pclose(p);
			free(cmd);
			return line;
		}
		pclose(p);
		usleep(50000);
	}
	free(cmd);
	return NULL;
}

Test(crpd_ipc, unauthorised_uid_is_refused)
{
	char *line;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	teardown();
	h = crpd_h_launch(&(struct crpd_h_opts){ .socket_mode = "0666" });
	cr_assert_eq(verify_as(NOBODY, NOBODY), 10, "uid %d was not refused", NOBODY);
	cr_assert_neq(asprintf(&line, "uid 65534 is not allowed: add it to ipc.allowed_uids "
	    "(or its group 65534 to ipc.allowed_gids) in %s", h->config), -1);
	cr_assert_str_eq(refusal, line, "the caller was told: %s", refusal);
	free(line);
	line = grep_log("refused peer uid 65534 gid 65534");
	cr_assert_not_null(line, "no refusal in the log");
	free(line);
}

/* ndes-policy-exec run by a uid crpd does not allow prints crpd's reason
 * (not "Broken pipe"). */
Test(crpd_ipc, policy_exec_of_a_refused_uid_prints_why)
{
	const char *top = getenv("top_builddir");
	char *cfg, *cmd, out[1024], *want;
	FILE *f;
	size_t n;

	if (geteuid() != 0 || system("command -v setpriv >/dev/null") != 0)
		cr_skip_test("needs root and setpriv to switch uids");
	teardown();
	h = crpd_h_launch(&(struct crpd_h_opts){ .socket_mode = "0666" });
	cfg = crpd_h_path(h, "policy.yaml");
	cr_assert_not_null(f = fopen(cfg, "w"));
	fprintf(f, "crp_socket: %s\ntimeout: 5s\n", h->sock);
	fclose(f);
	cr_assert_eq(chmod(cfg, 0644), 0);
	cr_assert_neq(asprintf(&cmd, "printf '\\060\\000' | setpriv --reuid=65534 "
	    "--regid=65534 --clear-groups '%s/policy/ndes-policy-exec' -c '%s' 2>&1",
	    top != NULL ? top : ".", cfg), -1);
	cr_assert_not_null(f = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	cr_assert_eq(WEXITSTATUS(pclose(f)), 1, "%s", out);
	cr_assert_neq(asprintf(&want, "ndes-policy-exec: refused: ndes-crpd: uid 65534 is not "
	    "allowed: add it to ipc.allowed_uids (or its group 65534 to ipc.allowed_gids) in "
	    "%s\n", h->config), -1);
	cr_assert_str_eq(out, want);
	free(want);
	free(cmd);
	free(cfg);
}

Test(crpd_ipc, allowed_uid_and_allowed_gid_pass)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	teardown();
	h = crpd_h_launch(&(struct crpd_h_opts){ .socket_mode = "0666",
	    .ipc_extra = "  allowed_uids: [65534]\n  allowed_gids: [4242]" });
	cr_assert_eq(verify_as(NOBODY, NOBODY), 0);
	cr_assert_eq(verify_as(4000, GID_A), 0);
	cr_assert_eq(verify_as(4000, 4001), 10);
}

/* Run a shell command on the config file ('%s' is its path). */
static void __attribute__((format(printf, 1, 2)))
edit_config(const char *fmt, ...)
{
	char *cmd;
	va_list ap;

	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&cmd, fmt, ap), -1);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
}

static int
count_log(const char *needle)
{
	char *cmd;
	int n = -1;
	FILE *p;

	cr_assert_neq(asprintf(&cmd, "grep -cF '%s' '%s'", needle, h->log), -1);
	p = popen(cmd, "r");
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static void __attribute__((format(printf, 1, 2)))
expect_log(const char *fmt, ...)
{
	char *want, *line;
	va_list ap;

	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&want, fmt, ap), -1);
	va_end(ap);
	line = grep_log(want);
	cr_assert_not_null(line, "not in the log: %s", want);
	free(line);
	free(want);
}

static int
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* SIGHUP reads crpd.yaml again: the ACL and log_level at once, a key bound
 * at start only reported, a broken file changes nothing. */
Test(crpd_ipc, sighup_reloads_the_configuration)
{
	char *at;
	int connected;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	teardown();
	h = crpd_h_launch(&(struct crpd_h_opts){ .socket_mode = "0666" });
	cr_assert_eq(verify_as(NOBODY, NOBODY), 10);
	edit_config("sed -i -e 's|^  mode: 0666$|&\\n  allowed_uids: [65534]|' "
	    "-e 's|^workers: 2$|workers: 3|' -e 's|^log_level: debug$|log_level: info|' '%s'", h->config);
	cr_assert_eq(kill(h->pid, SIGHUP), 0);
	expect_log("SIGHUP: reloaded %s (changed: log_level, ipc.allowed_uids)", h->config);
	expect_log("%s", "workers changed: restart ndes-crpd to apply");
	cr_assert_eq(count_log("changed: restart ndes-crpd"), 1, "only workers is bound at start");
	connected = count_log("connected (uid");
	cr_assert_eq(verify_as(NOBODY, NOBODY), 0, "allowed_uids did not apply: %s", refusal);
	cr_assert_eq(count_log("connected (uid"), connected, "log_level info did not apply");

	edit_config("echo 'bogus: 1' >> '%s'", h->config);
	cr_assert_neq(asprintf(&at, "%s:%d", h->config, count_lines(h->config)), -1);
	cr_assert_eq(kill(h->pid, SIGHUP), 0);
	expect_log("SIGHUP: the configuration was not reloaded, running on the one loaded "
	    "before: %s:1: unknown key \"bogus\"", at);
	free(at);
	cr_assert_eq(verify_as(NOBODY, NOBODY), 0, "the running ACL was not kept");
}

/* -v on the command line: one level above log_level (warn -> info), and
 * the level stays when SIGHUP reloads a new log_level (docs/crpd.md). */
Test(crpd_ipc, verbose_raises_log_level_and_sighup_keeps_it)
{
	int connected;

	teardown();
	h = crpd_h_new(&(struct crpd_h_opts){ .arg = "-v" });
	edit_config("sed -i -e 's|^log_level: debug$|log_level: warn|' '%s'", h->config);
	crpd_h_start(h);
	expect_alive();
	expect_log("listening on %s with", h->sock);
	cr_assert_eq(count_log("connected (uid"), 0, "warn + -v is info, not debug");

	edit_config("sed -i -e 's|^log_level: warn$|log_level: debug|' '%s'", h->config);
	cr_assert_eq(kill(h->pid, SIGHUP), 0);
	expect_log("SIGHUP: reloaded %s (changed: log_level)", h->config);
	connected = count_log("connected (uid");
	expect_alive();
	cr_assert_eq(count_log("connected (uid"), connected, "-v given: log_level not applied");
}

static int
run_check_config(const char *path, char *out, size_t outlen)
{
	const char *top = getenv("top_builddir");
	char *cmd;
	FILE *p;
	size_t n;
	int status;

	cr_assert_neq(asprintf(&cmd, "'%s/crp/ndes-crpd' --check-config '%s' 2>&1",
	    top != NULL ? top : ".", path), -1);
	p = popen(cmd, "r");
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	status = pclose(p);
	free(cmd);
	return WEXITSTATUS(status);
}

Test(crpd_ipc, check_config)
{
	char out[1024], *bad, *expect;
	FILE *f;

	cr_assert_eq(run_check_config(h->config, out, sizeof(out)), 0, "%s", out);
	cr_assert_neq(asprintf(&expect, "%s: OK\n", h->config), -1);
	cr_assert_str_eq(out, expect);
	free(expect);
	bad = crpd_h_path(h, "bad.yaml");
	f = fopen(bad, "w");
	fputs("tenant_id: x\nconnector:\n  retry_interval: soon\n", f);
	fclose(f);
	cr_assert_eq(run_check_config(bad, out, sizeof(out)), 1);
	cr_assert(strstr(out, "bad.yaml:3:19: connector.retry_interval: "), "%s", out);
	free(bad);
}

Test(crpd_ipc, example_config_is_valid)
{
	const char *src = getenv("top_srcdir");
	char out[1024], *path;

	cr_assert_neq(asprintf(&path, "%s/etc/crpd.example.yaml", src != NULL ? src : "."), -1);
	cr_assert_eq(run_check_config(path, out, sizeof(out)), 0, "%s", out);
	free(path);
}

/* Datagrams received on fd within ms, joined by '|'. */
static void
recv_notify(int fd, char *out, size_t outlen, int ms, const char *until)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[512];
	ssize_t n;

	while (strstr(out, until) == NULL && poll(&pfd, 1, ms) == 1 &&
	    (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		strncat(out, buf, outlen - strlen(out) - 2);
		strcat(out, "|");
	}
}

Test(crpd_ipc, sd_notify_ready_watchdog_stopping)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char got[4096] = "";
	int fd;

	teardown();
	h = crpd_h_new(NULL);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify.sock", h->dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	unsetenv("WATCHDOG_PID");
	crpd_h_start(h);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	recv_notify(fd, got, sizeof(got), 2000, "WATCHDOG=1");
	cr_assert(strstr(got, "READY=1\nSTATUS=verifying challenges on "), "%s", got);
	cr_assert(strstr(got, "WATCHDOG=1"), "no watchdog ping: %s", got);
	crpd_h_stop(h);
	recv_notify(fd, got, sizeof(got), 2000, "STOPPING=1");
	cr_assert(strstr(got, "STOPPING=1"), "%s", got);
	close(fd);
}
