/* A stand-in for ndes-crpd on crp.sock, for the policy module's tests: it
 * speaks the VERIFY/NOTIFY layouts of docs/crpd.md and answers as told.
 * It tests protocol behaviour (timeouts, errors, reconnects, concurrency);
 * the end-to-end tests use the real ndes-crpd.
 *
 *   policy_host_peer SOCKET LOGFILE
 *
 * VERIFY_REQUEST: the behaviour is the template name, or, when that is
 * empty, the request's challengePassword:
 *   ok            verified, event 20500, reason "verified txn=<t> csr=<n>
 *                 signer=<n> template=<t>", ids "ch-<txn>", "dev-1",
 *                 "user@contoso.example"
 *   subject       not verified, 20502, 0x00001003 "subject mismatch"
 *   expired       not verified, 20501, 0x00000411 "challenge expired"
 *   delay:<ms>    like ok, answered after <ms> milliseconds
 *   slow          never answered
 *   busy          ERROR UNAVAILABLE "busy"
 *   unsupported   ERROR UNSUPPORTED "unsupported message type"
 *   garbage       a VERIFY_REPLY missing its last fields
 *   wrong-type    a NOTIFY_REPLY instead
 *   close         the connection is closed
 *   long          verified, with a 601-byte reason: "x" then 200 3-byte
 *                 characters
 *   anything else not verified, 20502, 0x00000410 "cannot deserialize"
 * Every VERIFY_REPLY ends with the transaction ID, as ndes-crpd's: the
 * request's, else $POLICY_PEER_TXN (ndes-crpd names it by the key), else
 * "named-by-crpd".
 * NOTIFY: accepted, unless the challenge is "reject" (not accepted,
 * 0x0FFFFFFF "no verification record") or "slow" (never answered), or it
 * is a Success without a certificate (ERROR BAD_REQUEST, as ndes-crpd).
 * Every request is appended to LOGFILE as one line:
 *   VERIFY template=<t> txn=<t> csr=<n> signer=<n>
 *   NOTIFY challenge=<c> txn=<t> disposition=<d> hresult=0x%08X cert=<n>
 *          pubkey=<sha256 or -> desc=<description>
 * SIGTERM/SIGINT: stop, removing the socket. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "crypto.h"
#include "csr.h"
#include "ipc.h"
#include "ipc_peer.h"

struct delayed {
	struct ndes_ipc_peer *peer;
	struct ndes_ipc_msg *msg;
	struct event *ev;
	struct delayed *next, **prevp;
};

struct peer_ctx {
	struct event_base *base;
	const char *logfile;
	struct delayed *pending;	/* delayed replies not sent yet */
};

static void __attribute__((format(printf, 2, 3)))
peer_log(struct peer_ctx *ctx, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if ((fd = open(ctx->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return;
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "policy_host_peer: write %s failed\n", ctx->logfile);
	close(fd);
}

static void
send_free(struct ndes_ipc_peer *peer, struct ndes_ipc_msg *msg)
{
	ndes_ipc_peer_send(peer, msg);
	ndes_ipc_msg_free(msg);
}

static struct ndes_ipc_msg *
verify_reply(uint32_t id, bool ok, uint32_t event, uint32_t code, const char *reason,
    const char *txn)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REPLY, id);
	char cid[300];

	snprintf(cid, sizeof(cid), "ch-%s", txn);
	ndes_ipc_msg_add_bool(m, ok);
	ndes_ipc_msg_add_u32(m, event);
	ndes_ipc_msg_add_u32(m, code);
	ndes_ipc_msg_add_str(m, reason);
	ndes_ipc_msg_add_str(m, ok ? cid : "");
	ndes_ipc_msg_add_str(m, ok ? "dev-1" : "");
	ndes_ipc_msg_add_str(m, ok ? "user@contoso.example" : "");
	if (txn[0] == '\0')
		txn = getenv("POLICY_PEER_TXN") != NULL ? getenv("POLICY_PEER_TXN") :
		    "named-by-crpd";
	ndes_ipc_msg_add_str(m, txn);
	return m;
}

static void
delayed_free(struct delayed *d)
{
	if ((*d->prevp = d->next) != NULL)
		d->next->prevp = d->prevp;
	ndes_ipc_peer_unref(d->peer);
	ndes_ipc_msg_free(d->msg);
	event_free(d->ev);
	free(d);
}

static void
delayed_fire(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;

	if (ndes_ipc_peer_is_open(d->peer))
		ndes_ipc_peer_send(d->peer, d->msg);
	delayed_free(d);
}

static void
send_later(struct peer_ctx *ctx, struct ndes_ipc_peer *peer, struct ndes_ipc_msg *m, long ms)
{
	struct delayed *d = calloc(1, sizeof(*d));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	d->peer = ndes_ipc_peer_ref(peer);
	d->msg = m;
	d->ev = evtimer_new(ctx->base, delayed_fire, d);
	if ((d->next = ctx->pending) != NULL)
		d->next->prevp = &d->next;
	d->prevp = &ctx->pending;
	ctx->pending = d;
	evtimer_add(d->ev, &tv);
}

/* The challengePassword of the request, or "" (copied into buf). */
static const char *
csr_challenge(const uint8_t *csr, size_t len, char *buf, size_t buflen)
{
	X509_REQ *req = ndes_csr_from_der(csr, len);
	struct ndes_csr_info *info = req != NULL ? ndes_csr_inspect(req, NULL, 0) : NULL;

	snprintf(buf, buflen, "%s", info != NULL && info->challenge_password != NULL ?
	    info->challenge_password : "");
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	return buf;
}

static char *
long_reason(void)
{
	static char buf[602];
	int i;

	buf[0] = 'x';
	for (i = 0; i < 200; i++)
		memcpy(buf + 1 + 3 * i, "\xe6\xa4\x9c", 3); /* U+691C */
	buf[601] = '\0';
	return buf;
}

static int
peer_verify(struct peer_ctx *ctx, struct ndes_ipc_peer *peer, uint32_t id,
    struct ndes_ipc_reader *r)
{
	const uint8_t *csr, *signer;
	size_t csr_len, signer_len;
	const char *tmpl, *txn, *how;
	char reason[1024], chbuf[512];
	struct ndes_ipc_msg *m;

	if (ndes_ipc_get_bytes(r, &csr, &csr_len) == -1 ||
	    ndes_ipc_get_bytes(r, &signer, &signer_len) == -1 ||
	    ndes_ipc_get_str(r, &tmpl, NULL) == -1 || ndes_ipc_get_str(r, &txn, NULL) == -1 ||
	    ndes_ipc_reader_end(r) == -1)
		return -1;
	peer_log(ctx, "VERIFY template=%s txn=%s csr=%zu signer=%zu", tmpl, txn, csr_len,
	    signer_len);
	how = tmpl[0] != '\0' ? tmpl : csr_challenge(csr, csr_len, chbuf, sizeof(chbuf));
	snprintf(reason, sizeof(reason), "verified txn=%s csr=%zu signer=%zu template=%s", txn,
	    csr_len, signer_len, tmpl);
	if (strcmp(how, "ok") == 0)
		m = verify_reply(id, true, 20500, 0, reason, txn);
	else if (strcmp(how, "subject") == 0)
		m = verify_reply(id, false, 20502, 0x1003, "subject mismatch", txn);
	else if (strcmp(how, "expired") == 0)
		m = verify_reply(id, false, 20501, 0x411, "challenge expired", txn);
	else if (strncmp(how, "delay:", 6) == 0) {
		send_later(ctx, peer, verify_reply(id, true, 20500, 0, reason, txn),
		    atol(how + 6));
		return 0;
	} else if (strcmp(how, "slow") == 0)
		return 0;
	else if (strcmp(how, "busy") == 0) {
		ndes_ipc_peer_send_error(peer, id, NDES_IPC_ERR_UNAVAILABLE, "busy");
		return 0;
	} else if (strcmp(how, "unsupported") == 0) {
		ndes_ipc_peer_send_error(peer, id, NDES_IPC_ERR_UNSUPPORTED,
		    "unsupported message type");
		return 0;
	} else if (strcmp(how, "garbage") == 0) {
		m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REPLY, id);
		ndes_ipc_msg_add_bool(m, true);
		ndes_ipc_msg_add_u32(m, 20500);
	} else if (strcmp(how, "wrong-type") == 0) {
		m = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY_REPLY, id);
		ndes_ipc_msg_add_bool(m, true);
		ndes_ipc_msg_add_u32(m, 0);
		ndes_ipc_msg_add_str(m, "");
	} else if (strcmp(how, "close") == 0) {
		ndes_ipc_peer_close(peer);
		return 0;
	} else if (strcmp(how, "long") == 0)
		m = verify_reply(id, true, 20500, 0, long_reason(), txn);
	else
		m = verify_reply(id, false, 20502, 0x410, "cannot deserialize", txn);
	send_free(peer, m);
	return 0;
}

static int
peer_notify(struct peer_ctx *ctx, struct ndes_ipc_peer *peer, uint32_t id,
    struct ndes_ipc_reader *r)
{
	const char *ch, *txn, *desc;
	int64_t disp;
	uint32_t hr;
	const uint8_t *cert;
	size_t cert_len;
	char hex[NDES_CRYPTO_HEX_MAX] = "-";
	X509 *x;
	struct ndes_ipc_msg *m;
	bool reject;

	if (ndes_ipc_get_str(r, &ch, NULL) == -1 || ndes_ipc_get_str(r, &txn, NULL) == -1 ||
	    ndes_ipc_get_i64(r, &disp) == -1 || ndes_ipc_get_u32(r, &hr) == -1 ||
	    ndes_ipc_get_bytes(r, &cert, &cert_len) == -1 ||
	    ndes_ipc_get_str(r, &desc, NULL) == -1 || ndes_ipc_reader_end(r) == -1)
		return -1;
	if (cert_len > 0 && (x = ndes_crypto_cert_from_der(cert, cert_len)) != NULL) {
		ndes_crypto_pubkey_sha256(X509_get0_pubkey(x), hex, sizeof(hex));
		X509_free(x);
	}
	peer_log(ctx, "NOTIFY challenge=%s txn=%s disposition=%lld hresult=0x%08X cert=%zu "
	    "pubkey=%s desc=%s", ch, txn, (long long)disp, hr, cert_len, hex, desc);
	if (strcmp(ch, "slow") == 0)
		return 0;
	if (disp == 0 && cert_len == 0) {
		ndes_ipc_peer_send_error(peer, id, NDES_IPC_ERR_BAD_REQUEST,
		    "a Success notification needs the issued certificate");
		return 0;
	}
	reject = strcmp(ch, "reject") == 0;
	m = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY_REPLY, id);
	ndes_ipc_msg_add_bool(m, !reject);
	ndes_ipc_msg_add_u32(m, reject ? 0x0FFFFFFF : 0);
	ndes_ipc_msg_add_str(m, reject ? "no verification record" : "recorded");
	send_free(peer, m);
	return 0;
}

static int
peer_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	switch (hdr->type) {
	case NDES_IPC_MSG_VERIFY_REQUEST:
		return peer_verify(arg, peer, hdr->request_id, r);
	case NDES_IPC_MSG_NOTIFY:
		return peer_notify(arg, peer, hdr->request_id, r);
	}
	return ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNSUPPORTED,
	    "unsupported message type");
}

static void
peer_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct peer_ctx ctx;
	struct ndes_ipc_acl acl = { 0 };
	struct ndes_ipc_server *srv;
	struct event *term, *intr;

	if (argc != 3) {
		fprintf(stderr, "usage: policy_host_peer SOCKET LOGFILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ctx.base = event_base_new();
	ctx.pending = NULL;
	ctx.logfile = argv[2];
	srv = ndes_ipc_server_new(ctx.base, argv[1], 0600, &acl, peer_dispatch, &ctx);
	if (srv == NULL)
		return 1;
	term = evsignal_new(ctx.base, SIGTERM, peer_stop, ctx.base);
	intr = evsignal_new(ctx.base, SIGINT, peer_stop, ctx.base);
	evsignal_add(term, NULL);
	evsignal_add(intr, NULL);
	event_base_dispatch(ctx.base);
	while (ctx.pending != NULL)
		delayed_free(ctx.pending);
	ndes_ipc_server_free(srv);
	event_free(term);
	event_free(intr);
	event_base_free(ctx.base);
	return 0;
}
