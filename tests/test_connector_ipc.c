/* The connector.sock part (connector/d_ipc.c) and RELOAD to crpd
 * (connector/d_crpd.c) over real sockets: peers in this process connect
 * with the peer layer.  A PING peer (as `ndes-connector diagnose`) never
 * becomes the RELOAD target, whether it says HELLO as cli or nothing;
 * crpd's HELLO makes its connection the target; a second crpd replaces the
 * first; a peer that hands over notifications without HELLO is served but
 * never the target; a second HELLO is refused, a malformed one drops the
 * peer.  crp.sock points nowhere, so RELOAD can only take the fallback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "conn_outbox.h"
#include "d_crpd.h"
#include "d_ipc.h"
#include "ipc_peer.h"
#include "test_connd_util.h"
#include "test_connector_util.h"
#include "test_ipc_util.h"

static struct tcd t;
static struct connd_ipc *ipc;
static int stored, worked;

/* A peer of the test: what it received. */
struct client {
	struct ndes_ipc_peer	*peer;
	bool			 pong, hello_reply, ack, error, reload, closed;
	uint32_t		 error_code;
	char			 role[NDES_IPC_ROLE_MAX + 1];
};

static void
on_stored(void *arg)
{
	stored++;
}

static void
on_work(void *arg)
{
	worked++;
}

static void
setup(void)
{
	char err[256];

	tc_setup();
	tcd_setup(&t, NULL);
	ipc = connd_ipc_new(&t.env, (struct connd_hook){ on_stored, NULL },
	    (struct connd_hook){ on_work, NULL });
	cr_assert_not_null(ipc);
	cr_assert_eq(connd_ipc_start(ipc, err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	connd_ipc_free(ipc);
	tcd_teardown(&t);
	workdir_leave();
}

TestSuite(ipc_hello, .init = setup, .fini = teardown);

static int
client_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct client *c = arg;
	const char *role, *version, *msg;

	switch (hdr->type) {
	case NDES_IPC_MSG_PONG:
		c->pong = true;
		break;
	case NDES_IPC_MSG_HELLO_REPLY:
		cr_assert_eq(ndes_ipc_get_hello(r, &role, &version), 0);
		snprintf(c->role, sizeof(c->role), "%s", role);
		c->hello_reply = true;
		break;
	case NDES_IPC_MSG_CONNECTOR_ACK:
		c->ack = true;
		break;
	case NDES_IPC_MSG_ERROR:
		cr_assert_eq(ndes_ipc_get_error(r, &c->error_code, &msg), 0);
		c->error = true;
		break;
	case NDES_IPC_MSG_RELOAD:
		c->reload = true;
		break;
	}
	return 0;
}

static void
client_closed(struct ndes_ipc_peer *peer, void *arg)
{
	struct client *c = arg;

	c->closed = true;
}

static void
client_connect(struct client *c)
{
	memset(c, 0, sizeof(*c));
	c->peer = ndes_ipc_peer_connect(t.env.base, t.cfg.ipc.socket, client_dispatch, c);
	cr_assert_not_null(c->peer);
	ndes_ipc_peer_set_close_cb(c->peer, client_closed);
}

static void
client_send(struct client *c, uint16_t type)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(type, 7);

	cr_assert_eq(ndes_ipc_peer_send(c->peer, m), 0);
	ndes_ipc_msg_free(m);
}

static void
client_hello(struct client *c, const char *role)
{
	cr_assert_eq(ndes_ipc_peer_send_hello(c->peer, NDES_IPC_MSG_HELLO, 0, role), 0);
	cr_assert(ipc_test_pump_until(t.env.base, &c->hello_reply, 2000), "no HELLO_REPLY");
	cr_assert_str_eq(c->role, NDES_IPC_ROLE_CONNECTORD);
}

static void
client_ping(struct client *c)
{
	client_send(c, NDES_IPC_MSG_PING);
	cr_assert(ipc_test_pump_until(t.env.base, &c->pong, 2000), "no PONG");
}

/* RELOAD (crp.sock cannot be reached), then the loop run for a while. */
static void
reload(void)
{
	connd_crpd_reload(&t.env, ipc, "a test");
	ipc_test_pump(t.env.base, 200);
}

static void
client_close(struct client *c)
{
	ndes_ipc_peer_close(c->peer);
	ipc_test_pump(t.env.base, 100);
}

Test(ipc_hello, a_ping_peer_never_becomes_the_reload_target)
{
	struct client diag, old;

	client_connect(&diag);
	client_hello(&diag, NDES_IPC_ROLE_CLI);
	client_ping(&diag);
	client_connect(&old);	/* an older diagnose: PING without HELLO */
	client_ping(&old);
	cr_assert_null(connd_ipc_crpd(ipc));
	reload();
	cr_assert_not(diag.reload);
	cr_assert_not(old.reload);
	client_close(&diag);
	client_close(&old);
}

Test(ipc_hello, crpds_hello_makes_it_the_target_and_a_diagnose_after_it_does_not_take_over)
{
	struct client crpd, diag;

	client_connect(&crpd);
	client_hello(&crpd, NDES_IPC_ROLE_CRPD);
	cr_assert_not_null(connd_ipc_crpd(ipc));
	client_connect(&diag);	/* before HELLO, the newest peer took over */
	client_ping(&diag);
	reload();
	cr_assert(crpd.reload, "crpd got no RELOAD");
	cr_assert_not(diag.reload);
	client_close(&diag);
	cr_assert_not_null(connd_ipc_crpd(ipc), "diagnose's end took the target away");
	client_close(&crpd);
	cr_assert_null(connd_ipc_crpd(ipc));
	reload();	/* nobody to send it to: only a warning */
}

Test(ipc_hello, a_second_crpd_replaces_the_first)
{
	struct client first, second;

	client_connect(&first);
	client_hello(&first, NDES_IPC_ROLE_CRPD);
	client_connect(&second);
	client_hello(&second, NDES_IPC_ROLE_CRPD);
	reload();
	cr_assert(second.reload);
	cr_assert_not(first.reload);
	client_close(&second);
	cr_assert_null(connd_ipc_crpd(ipc), "the replaced one is not the target again");
	client_close(&first);
}

Test(ipc_hello, notifications_without_hello_are_taken_but_never_make_a_target)
{
	struct client feed;
	struct ndes_ipc_msg *m;

	client_connect(&feed);
	m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_NOTIFICATION, 1);
	ndes_ipc_msg_add_str(m, "n-1");
	ndes_ipc_msg_add_str(m, "failureNotification");
	ndes_ipc_msg_add_str(m, "{\"transactionId\":\"n-1\"}");
	cr_assert_eq(ndes_ipc_peer_send(feed.peer, m), 0);
	ndes_ipc_msg_free(m);
	cr_assert(ipc_test_pump_until(t.env.base, &feed.ack, 2000), "no ACK");
	cr_assert_eq(conn_outbox_count(t.env.ob), 1);
	cr_assert_eq(stored, 1);
	cr_assert_null(connd_ipc_crpd(ipc));
	reload();
	cr_assert_not(feed.reload);
	client_close(&feed);
}

/* crpd's conformance: revoke (docs/crpd.md): the notification is stored
 * and its certificate becomes revocation work, once however often crpd sends
 * it; a notification that does not ask for it gives none. */
static void
feed_notification(struct client *c, const char *id, const char *body)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_NOTIFICATION, 1);

	ndes_ipc_msg_add_str(m, id);
	ndes_ipc_msg_add_str(m, "successNotification");
	ndes_ipc_msg_add_str(m, body);
	c->ack = false;
	cr_assert_eq(ndes_ipc_peer_send(c->peer, m), 0);
	ndes_ipc_msg_free(m);
	cr_assert(ipc_test_pump_until(t.env.base, &c->ack, 2000), "no ACK");
}

Test(ipc_hello, a_notification_asking_for_revocation_becomes_revocation_work)
{
	const char *revoke = "{\"transactionId\":\"n-2\",\"certificateSerialNumber\":\"0A\","
	    "\"issuingCertificateAuthority\":\"CN=CA\",\"ndesConformance\":{\"checked\":true,"
	    "\"conforms\":false,\"revoke\":true,\"challengeId\":\"c-2\",\"profile\":\"p\","
	    "\"differences\":[]}}";
	struct conn_outbox_item *items = NULL;
	struct client feed;
	size_t n = 0;

	client_connect(&feed);
	feed_notification(&feed, "n-1", "{\"transactionId\":\"n-1\",\"ndesConformance\":"
	    "{\"conforms\":false}}");
	cr_assert_eq(worked, 0);
	feed_notification(&feed, "n-2", revoke);
	feed_notification(&feed, "n-2", revoke);
	cr_assert_eq(worked, 1);
	cr_assert_eq(conn_outbox_work_fetch(t.env.ob, 10, &items, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(items[0].kind, "revocation");
	cr_assert_str_eq(items[0].key, "r:conformance:c-2");
	cr_assert_str_eq(items[0].body, "{\"requestContext\":\"conformance:c-2\","
	    "\"serialNumber\":\"0A\",\"issuerName\":\"CN=CA\",\"caConfiguration\":\"\"}");
	conn_outbox_items_free(items, n);
	client_close(&feed);
}

Test(ipc_hello, a_second_hello_is_refused_and_changes_nothing)
{
	struct client crpd;

	client_connect(&crpd);
	client_hello(&crpd, NDES_IPC_ROLE_CRPD);
	cr_assert_eq(ndes_ipc_peer_send_hello(crpd.peer, NDES_IPC_MSG_HELLO, 9,
	    NDES_IPC_ROLE_CLI), 0);
	cr_assert(ipc_test_pump_until(t.env.base, &crpd.error, 2000));
	cr_assert_eq(crpd.error_code, NDES_IPC_ERR_BAD_REQUEST);
	cr_assert_not(crpd.closed);
	reload();
	cr_assert(crpd.reload, "still the target");
	client_close(&crpd);
}

/* A HELLO whose fields break the rules: the peer is dropped. */
static void
dropped_for(const char *role, const char *version)
{
	struct client c;
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_HELLO, 1);

	client_connect(&c);
	ndes_ipc_msg_add_str(m, role);
	if (version != NULL)
		ndes_ipc_msg_add_str(m, version);
	cr_assert_eq(ndes_ipc_peer_send(c.peer, m), 0);
	ndes_ipc_msg_free(m);
	cr_assert(ipc_test_pump_until(t.env.base, &c.closed, 2000), "role \"%s\" version \"%s\"",
	    role, version != NULL ? version : "(none)");
	cr_assert_not(c.hello_reply);
	cr_assert_null(connd_ipc_crpd(ipc));
}

Test(ipc_hello, a_malformed_hello_drops_the_peer)
{
	char long_role[NDES_IPC_ROLE_MAX + 2];

	memset(long_role, 'a', sizeof(long_role) - 1);
	long_role[sizeof(long_role) - 1] = '\0';
	dropped_for("crpd", NULL);
	dropped_for("CRPD", "1.0");
	dropped_for("crpd\n", "1.0");
	dropped_for("", "1.0");
	dropped_for(long_role, "1.0");
	dropped_for("crpd", "");
	dropped_for("crpd", "1.0 beta");
}
