/* IPC peer authorisation by SO_PEERCRED: children switch to other uids and
 * gids (the tests run as root) and connect with the blocking client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_client.h"
#include "ipc_peer.h"
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
	ipc_test_rmdir(dir);
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
		_exit(errno == ECONNRESET || errno == EPIPE ? CHILD_REFUSED : CHILD_OTHER);
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
