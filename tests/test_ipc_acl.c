/* IPC peer admission: authorisation by SO_PEERCRED, the caps on connected
 * peers (in all, per uid), the accept backoff when descriptors run out.
 * Children switch to other uids and gids (the tests run as root) and
 * connect with the blocking client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_client.h"
#include "ipc_peer.h"
#include "log.h"
#include "lib/procstat.h"
#include "test_ipc_util.h"

#define NOBODY 65534
#define GID_A 4242
#define GID_B 4243

enum { CHILD_PONG = 0, CHILD_REFUSED = 10, CHILD_OTHER = 20, CHILD_SETUP = 30 };

static struct event_base *base;
static struct ndes_ipc_server *srv;
static char *dir;
static char *sock;
static int dispatched;
static struct ndes_ipc_cred seen;

static int
dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	dispatched++;
	seen = *ndes_ipc_peer_cred(peer);
	return ipc_test_echo_dispatch(peer, hdr, r, arg);
}

static void
setup(void)
{
	dispatched = 0;
	memset(&seen, 0, sizeof(seen));
	base = event_base_new();
	dir = ipc_test_tmpdir();
	sock = ipc_test_path(dir, "crp.sock");
}

static void
teardown(void)
{
	ndes_ipc_server_free(srv);
	srv = NULL;
	event_base_free(base);
	free(sock);
	tmpdir_remove(dir);
}

TestSuite(ipc_acl, .init = setup, .fini = teardown);

static void
start_server(const uid_t *uids, size_t nu, const gid_t *gids, size_t ng)
{
	struct ndes_ipc_acl acl = { uids, nu, gids, ng };

	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	/* 0666: the test's other uids must be able to connect at all. */
	srv = ndes_ipc_server_new(base, sock, 0666, &acl, dispatch, NULL);
	cr_assert_not_null(srv);
}

/* In the child: become uid/gid with supplementary groups, then PING. */
static void __attribute__((noreturn))
child_ping(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	struct ndes_ipc_client *c;
	struct ndes_ipc_msg *req;
	struct ndes_ipc_frame *reply = NULL;
	char err[256];

	if (setgroups(ngroups, groups) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		_exit(CHILD_SETUP);
	if ((c = ndes_ipc_client_connect(sock, 500, err, sizeof(err))) == NULL)
		_exit(CHILD_OTHER);
	req = ndes_ipc_msg_new(NDES_IPC_MSG_PING, 1);
	ndes_ipc_msg_add_u32(req, 5);
	if (ndes_ipc_client_call(c, req, &reply, 500, err, sizeof(err)) == -1)
		/* told why first: EACCES the ACL, EAGAIN a cap (ipc_peer.h) */
		_exit(errno == EACCES || errno == EAGAIN ? CHILD_REFUSED : CHILD_OTHER);
	_exit(ndes_ipc_frame_type(reply) == NDES_IPC_MSG_PONG ? CHILD_PONG : CHILD_OTHER);
}

/* Fork a child as uid/gid(+groups) that PINGs; its exit code. */
static int
run_child(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, pid_t *pidp)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0)
		child_ping(uid, gid, groups, ngroups);
	if (pidp != NULL)
		*pidp = pid;
	return ipc_test_pump_until_exit(base, pid, 2000);
}

Test(ipc_acl, allows_checks_uids_then_gids)
{
	uid_t uids[] = { 1000, 1001 };
	gid_t gids[] = { 50 };
	struct ndes_ipc_acl acl = { uids, 2, gids, 1 };
	struct ndes_ipc_acl empty = { NULL, 0, NULL, 0 };

	cr_assert(ndes_ipc_acl_allows(&acl, 1001, 7));
	cr_assert(ndes_ipc_acl_allows(&acl, 7, 50));
	cr_assert_not(ndes_ipc_acl_allows(&acl, 7, 7));
	cr_assert_not(ndes_ipc_acl_allows(&acl, 0, 0), "root has no special right");
	cr_assert_not(ndes_ipc_acl_allows(&empty, 1000, 50));
	cr_assert_not(ndes_ipc_acl_allows(NULL, 1000, 50));
}

Test(ipc_acl, uid_not_allowed_is_refused)
{
	uid_t uids[] = { 1000 };
	gid_t gids[] = { GID_A };
	char *log, want[128];
	pid_t pid;

	start_server(uids, 1, gids, 1);
	ipc_test_stderr_begin();
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, &pid), CHILD_REFUSED);
	log = ipc_test_stderr_end();
	snprintf(want, sizeof(want), "refused peer uid 65534 gid 65534 pid %d: not allowed\n",
	    (int)pid);
	cr_assert_not_null(strstr(log, want), "want \"%s\" in: %s", want, log);
	cr_assert_eq(dispatched, 0);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 0);
	free(log);
}

Test(ipc_acl, allowed_uid_is_served)
{
	uid_t uids[] = { 1000, NOBODY };
	pid_t pid;

	start_server(uids, 2, NULL, 0);
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, &pid), CHILD_PONG);
	cr_assert_eq(dispatched, 1);
	cr_assert_eq(seen.uid, NOBODY);
	cr_assert_eq(seen.pid, pid);
}

Test(ipc_acl, allowed_primary_gid_is_served)
{
	gid_t gids[] = { GID_A };

	start_server(NULL, 0, gids, 1);
	cr_assert_eq(run_child(NOBODY, GID_A, NULL, 0, NULL), CHILD_PONG);
	cr_assert_eq(seen.uid, NOBODY);
	cr_assert_eq(seen.gid, GID_A);
}

Test(ipc_acl, allowed_supplementary_group_is_served)
{
	gid_t gids[] = { GID_B }, groups[] = { 100, GID_B };

	start_server(NULL, 0, gids, 1);
	cr_assert_eq(run_child(NOBODY, NOBODY, groups, 2, NULL), CHILD_PONG);
	cr_assert_eq(seen.gid, NOBODY);
	cr_assert_eq(run_child(NOBODY, NOBODY, groups, 1, NULL), CHILD_REFUSED);
}

Test(ipc_acl, own_uid_is_implicitly_allowed)
{
	start_server(NULL, 0, NULL, 0);
	cr_assert_eq(run_child(0, NOBODY, NULL, 0, NULL), CHILD_PONG);
	cr_assert_eq(seen.uid, 0);
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, NULL), CHILD_REFUSED);
}

Test(ipc_acl, reloaded_acl_applies_to_new_peers)
{
	uid_t uids[] = { NOBODY };
	struct ndes_ipc_acl acl = { uids, 1, NULL, 0 };

	start_server(NULL, 0, NULL, 0);
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, NULL), CHILD_REFUSED);
	cr_assert_eq(ndes_ipc_server_set_acl(srv, &acl), 0);
	uids[0] = 1; /* the server keeps its own copy */
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, NULL), CHILD_PONG);
	cr_assert_eq(ndes_ipc_server_set_acl(srv, NULL), 0);
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, NULL), CHILD_REFUSED);
}

/* ---- caps and backoff ---- */

TestSuite(ipc_caps, .init = setup, .fini = teardown);

static void
start_capped(size_t max_peers, size_t max_per_uid)
{
	uid_t nobody = NOBODY;
	struct ndes_ipc_acl acl = { &nobody, 1, NULL, 0 };

	srv = ndes_ipc_server_new(base, sock, 0666, &acl, dispatch, NULL);
	cr_assert_not_null(srv);
	ndes_ipc_server_set_limits(srv, max_peers, max_per_uid);
}

/* In a child (as uid when not 0): open n connections, hold them for ms,
 * exit with the number the server closed. */
static void __attribute__((noreturn))
child_hold(uid_t uid, int n, int ms)
{
	int fds[16], closed = 0;
	char buf[1024];
	ssize_t got;

	if (uid != 0 && (setgroups(0, NULL) == -1 || setresgid(uid, uid, uid) == -1 ||
	    setresuid(uid, uid, uid) == -1))
		_exit(100);
	for (int i = 0; i < n; i++)
		if ((fds[i] = ipc_test_connect_raw(sock)) == -1)
			_exit(101);
	usleep((useconds_t)ms * 1000);
	for (int i = 0; i < n; i++) {
		/* a refused one holds the server's reason, then its end */
		while ((got = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			continue;
		closed += got == 0;
	}
	_exit(closed);
}

/* How many of n connections from uid the server closed (the loop runs
 * meanwhile); the child keeps its connections until it exits. */
static int
closed_of(uid_t uid, int n)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0)
		child_hold(uid, n, 300);
	return ipc_test_pump_until_exit(base, pid, 3000);
}

Test(ipc_caps, the_per_uid_cap_refuses_only_that_uids_excess)
{
	pid_t holder;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch uids");
	start_capped(0, 3);
	cr_assert_eq(closed_of(NOBODY, 5), 2, "5 connections from one uid, 3 allowed");
	/* while nobody holds 3, nobody is refused and another uid is not */
	cr_assert_neq(holder = fork(), -1);
	if (holder == 0)
		child_hold(NOBODY, 3, 3000);
	for (int i = 0; i < 200 && ndes_ipc_server_peer_count(srv) < 3; i++)
		ipc_test_pump(base, 10);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 3);
	cr_assert_eq(run_child(NOBODY, NOBODY, NULL, 0, NULL), CHILD_REFUSED,
	    "a 4th connection of uid %u is closed", NOBODY);
	cr_assert_eq(run_child(0, 0, NULL, 0, NULL), CHILD_PONG, "another uid still gets in");
	cr_assert_eq(ipc_test_pump_until_exit(base, holder, 5000), 0);
}

Test(ipc_caps, the_total_cap_refuses_the_excess)
{
	start_capped(2, 0);
	cr_assert_eq(closed_of(0, 4), 2, "4 connections, 2 allowed");
	ipc_test_pump(base, 50);
	cr_assert_eq(ndes_ipc_server_peer_count(srv), 0);
	cr_assert_eq(run_child(0, 0, NULL, 0, NULL), CHILD_PONG, "room again once they closed");
}

/* In a child with 24 descriptors: an IPC server that runs out of them. */
static void __attribute__((noreturn))
starved_server(const char *log)
{
	struct rlimit rl = { 24, 24 };
	struct timeval run = { 4, 0 };
	struct event_base *b;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || dup2(fd, 2) == -1 || close(fd) == -1 ||
	    setrlimit(RLIMIT_NOFILE, &rl) == -1)
		_exit(100);
	log_init("starved", LOG_LEVEL_INFO);
	b = event_base_new();
	srv = ndes_ipc_server_new(b, sock, 0666, NULL, ipc_test_echo_dispatch, NULL);
	if (srv == NULL)
		_exit(101);
	ndes_ipc_server_set_limits(srv, 0, 0);
	event_base_loopexit(b, &run);
	event_base_dispatch(b);
	_exit(0);
}

Test(ipc_caps, accept_failures_back_off_instead_of_spinning)
{
	char *log = ipc_test_path(dir, "server.log");
	int fds[60];
	pid_t pid;

	cr_assert_neq(pid = fork(), -1);
	if (pid == 0)
		starved_server(log);
	for (int i = 0; i < 50 && access(sock, F_OK) != 0; i++)
		usleep(20000);
	for (int i = 0; i < 60; i++)
		fds[i] = ipc_test_connect_raw(sock);
	procstat_expect_backoff(pid, log);
	for (int i = 0; i < 60; i++)
		close(fds[i]);
	free(log);
}
