/* ndes-connector diagnose: the sockets of ndes-connectord and ndes-crpd
 * (PING -> PONG; to ndes-connectord after HELLO as cli), the cloud (reachable, trusted, our certificate accepted)
 * and the clock against the cloud's Date header. */
#include "cli_diagnose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "cloud.h"
#include "errmsg.h"
#include "events.h"
#include "ipc_client.h"

/* HELLO as cli first (its answer, HELLO_REPLY or an older daemon's ERROR,
 * is not looked at), so that the daemon knows this peer is no ndes-crpd. */
static int
diag_hello(struct ndes_ipc_client *ipc, char *err, size_t errlen)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_hello(NDES_IPC_MSG_HELLO,
	    ndes_ipc_client_next_id(ipc), NDES_IPC_ROLE_CLI);
	struct ndes_ipc_frame *reply = NULL;
	int r = ndes_ipc_client_call(ipc, m, &reply, 5000, err, errlen);

	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	return r;
}

/* PING on path (after HELLO when hello): 0 when PONG came back, else -1
 * with the reason (and the errno of the failure in *eno). */
static int
diag_ping(const char *path, bool hello, int *eno, char *err, size_t errlen)
{
	struct ndes_ipc_client *ipc;
	struct ndes_ipc_frame *reply = NULL;
	struct ndes_ipc_msg *m = NULL;
	int r = -1;

	*eno = 0;
	if ((ipc = ndes_ipc_client_connect(path, 3000, err, errlen)) == NULL) {
		*eno = errno;
		return -1;
	}
	if ((hello && diag_hello(ipc, err, errlen) == -1) ||
	    (m = ndes_ipc_msg_new(NDES_IPC_MSG_PING, ndes_ipc_client_next_id(ipc))) == NULL ||
	    ndes_ipc_client_call(ipc, m, &reply, 5000, err, errlen) == -1)
		*eno = errno;
	else {
		if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_PONG)
			r = 0;
		else
			snprintf(err, errlen, "answered %s instead of PONG",
			    ndes_ipc_type_name(ndes_ipc_frame_type(reply)) ?
			    ndes_ipc_type_name(ndes_ipc_frame_type(reply)) : "an unknown message");
	}
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	ndes_ipc_client_free(ipc);
	return r;
}

/* A daemon's socket: there, a socket, the mode its daemon sets, answering
 * (ndes-connectord after a HELLO: hello). */
static void
diag_socket(const char *path, mode_t mode, const char *daemon, uint32_t down, bool hello,
    struct diag_result *r)
{
	char err[NDES_ERR_MAX];
	struct stat sb;
	int eno;

	diag_fix(r, "start %s (systemctl start %s)", daemon, daemon);
	if (lstat(path, &sb) == -1)
		diag_fail(r, down, "%s: %s (%s is not running?)", path, strerror(errno), daemon);
	else if (!S_ISSOCK(sb.st_mode))
		diag_fail(r, down, "%s is not a socket", path);
	else if ((sb.st_mode & 07777) != mode) {
		diag_fail(r, NDES_DIAG_FILE_PERMISSIONS, "%s: mode %04o, %04o configured", path,
		    (unsigned)(sb.st_mode & 07777), (unsigned)mode);
		diag_fix(r, "restart %s (it sets the mode), or correct ipc.mode", daemon);
	} else if (diag_ping(path, hello, &eno, err, sizeof(err)) == -1) {
		diag_fail(r, down, "%s: no answer to PING: %s", path, err);
		if (eno == ECONNRESET || eno == EPIPE)
			diag_fix(r, "add this user to %s's ipc.allowed_uids (or allowed_gids), or "
			    "run diagnose as the service user", daemon);
	} else
		diag_ok(r, "%s: mode %04o, %s answers PING", path, (unsigned)mode, daemon);
}

void
diag_connector_socket(struct diag *d, struct diag_result *r)
{
	const struct ndes_ipc_listen_cfg *ipc = &d->c->cfg.ipc;

	diag_socket(ipc->socket, ipc->mode, "ndes-connectord", NDES_DIAG_CONNECTOR_UNAVAILABLE,
	    true, r);
}

void
diag_crpd_socket(struct diag *d, struct diag_result *r)
{
	mode_t mode = d->crpd_state == 1 ? d->crpd.ipc.mode : 0660;

	diag_socket(d->c->cfg.crp_socket, mode, "ndes-crpd", NDES_DIAG_CRPD_UNAVAILABLE, false,
	    r);
}

static void
diag_call_done(const struct ndes_http_result *res, void *arg)
{
	struct diag_call *call = arg;
	const char *date;

	call->tried = true;
	call->err = res->err;
	call->status = res->status;
	call->local = time(NULL);
	snprintf(call->errmsg, sizeof(call->errmsg), "%s", res->errmsg);
	if (res->err != NDES_HTTP_OK)
		return;
	if ((date = ndes_http_result_header(res, "Date")) != NULL)
		snprintf(call->date, sizeof(call->date), "%s", date);
	conn_cloud_error_text(res->status, res->body, res->len, call->text, sizeof(call->text));
	conn_cloud_error_code(res->body, res->len, call->code, sizeof(call->code));
}

/* GET DIAG_CLOUD_PATH on a private loop, with our certificate when mtls. */
static void
diag_call(struct diag *d, struct diag_call *call, bool mtls)
{
	const struct conn_state *st = &d->c->st;
	struct ndes_http_client *http = NULL;
	struct event_base *base = NULL;
	struct conn_cloud cloud;

	call->err = NDES_HTTP_ERR_USAGE;
	if (conn_cloud_init(&cloud, &d->c->cfg, d->cloud_url, d->cloud_ca,
	    mtls ? st->client_cert : NULL, mtls ? st->client_key : NULL, call->errmsg,
	    sizeof(call->errmsg)) == -1) {
		call->tried = true;
		return;
	}
	if ((base = event_base_new()) != NULL &&
	    (http = ndes_http_client_new(base, &cloud.opts, call->errmsg,
	    sizeof(call->errmsg))) != NULL &&
	    ndes_http_client_request(http, "GET", DIAG_CLOUD_PATH, NULL, NULL, 0, NULL,
	    diag_call_done, call) == 0)
		while (!call->tried && event_base_loop(base, EVLOOP_ONCE) == 0)
			;
	else if (call->errmsg[0] == '\0')
		snprintf(call->errmsg, sizeof(call->errmsg), "cannot start the request");
	ndes_http_client_free(http);
	if (base != NULL)
		event_base_free(base);
	conn_cloud_clear(&cloud);
	call->tried = true;
}

static bool
diag_unreachable(enum ndes_http_err e)
{
	return e == NDES_HTTP_ERR_UNREACHABLE || e == NDES_HTTP_ERR_TIMEOUT ||
	    e == NDES_HTTP_ERR_PROXY || e == NDES_HTTP_ERR_DROPPED;
}

/* The call without a client certificate, made once; NULL (r skipped) when
 * there is no cloud to call. */
static const struct diag_call *
diag_anon(struct diag *d, struct diag_result *r)
{
	if (d->cloud_url == NULL) {
		diag_skip(r, "no cloud URL (not registered and no cloud.url)");
		return NULL;
	}
	if (!d->anon.tried)
		diag_call(d, &d->anon, false);
	return &d->anon;
}

void
diag_cloud_reachable(struct diag *d, struct diag_result *r)
{
	const struct diag_call *a = diag_anon(d, r);

	if (a == NULL)
		return;
	if (diag_unreachable(a->err)) {
		diag_fail(r, conn_cloud_diag(a->err, 0), "cannot reach %s: %s", d->cloud_url,
		    a->errmsg);
		diag_fix(r, "check the URL (cloud.url or the registered one), name resolution, "
		    "the firewall and cloud.proxy");
	} else if (a->err == NDES_HTTP_ERR_USAGE || a->err == NDES_HTTP_ERR_PROTOCOL) {
		diag_fail(r, NDES_DIAG_UNKNOWN_ERROR, "%s: %s", d->cloud_url, a->errmsg);
		diag_fix(r, "check cloud.url, cloud.ca_cert and cloud.proxy");
	} else if (a->err == NDES_HTTP_OK)
		diag_ok(r, "%s answered (HTTP %d without a client certificate)", d->cloud_url,
		    a->status);
	else
		diag_ok(r, "%s accepts connections", d->cloud_url);
}

void
diag_cloud_trusted(struct diag *d, struct diag_result *r)
{
	const char *ca = d->cloud_ca != NULL ? d->cloud_ca : CONN_SYSTEM_CA_BUNDLE;
	const struct diag_call *a = diag_anon(d, r);

	if (a == NULL)
		return;
	if (a->err == NDES_HTTP_ERR_TLS_UNTRUSTED || a->err == NDES_HTTP_ERR_TLS) {
		diag_fail(r, NDES_DIAG_CLOUD_UNTRUSTED, "%s (CA: %s)", a->errmsg, ca);
		diag_fix(r, "give the CA that issued the cloud's certificate in cloud.ca_cert "
		    "(or register again with --ca-cert)");
	} else if (a->err == NDES_HTTP_OK)
		diag_ok(r, "the cloud's certificate verifies against %s", ca);
	else
		diag_skip(r, "the cloud was not reached");
}

/* The mTLS call's answer: a refusal of our certificate, or OK. */
static void
diag_auth_answer(const struct diag_call *m, struct diag_result *r)
{
	diag_fix(r, "register again (ndes-connector register --force ...)");
	if (m->status == 200)
		diag_ok(r, "GET %s with the registration certificate: HTTP 200", DIAG_CLOUD_PATH);
	else if (m->status == 403 && strcmp(m->code, "connector_unregistered") == 0)
		diag_fail(r, NDES_DIAG_CERTIFICATE_NOT_FOUND, "the cloud refused us: %s", m->text);
	else if (m->status == 403)
		diag_fail(r, NDES_DIAG_CERT_THUMBPRINT_NOT_FOUND, "the cloud refused us: %s",
		    m->text);
	else if (m->status == 401)
		diag_fail(r, NDES_DIAG_CLOUD_UNTRUSTED, "the cloud did not get our certificate: %s",
		    m->text);
	else {
		diag_fail(r, NDES_DIAG_CLOUD_REJECTED, "GET %s: %s", DIAG_CLOUD_PATH, m->text);
		diag_fix(r, "look at the cloud's status; try again later");
	}
}

void
diag_cloud_auth(struct diag *d, struct diag_result *r)
{
	const struct diag_call *a = diag_anon(d, r);
	struct diag_call *m = &d->mtls;

	if (a == NULL)
		return;
	if (a->err != NDES_HTTP_OK) {
		diag_skip(r, "the cloud was not reached or not trusted");
		return;
	}
	if (d->reg_state != 0 || d->client == NULL || !d->key_ok) {
		diag_skip(r, "no usable registration certificate and key");
		return;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(d->client)) <= 0) {
		diag_skip(r, "the registration certificate expired");
		return;
	}
	diag_call(d, m, true);
	if (m->err == NDES_HTTP_OK)
		diag_auth_answer(m, r);
	else {
		diag_fail(r, conn_cloud_diag(m->err, 0), "the cloud refused the registration "
		    "certificate in the TLS handshake: %s", m->errmsg);
		diag_fix(r, "register again (ndes-connector register --force ...)");
	}
}

void
diag_clock(struct diag *d, struct diag_result *r)
{
	const struct diag_call *a = diag_anon(d, r);
	struct tm tm = { 0 };
	const char *end;
	long long skew;

	if (a == NULL)
		return;
	if (a->err != NDES_HTTP_OK) {
		diag_skip(r, "no answer from the cloud");
		return;
	}
	if (a->date[0] == '\0' || (end = strptime(a->date, "%a, %d %b %Y %H:%M:%S GMT",
	    &tm)) == NULL || *end != '\0') {
		diag_skip(r, "the cloud's answer has no usable Date header (\"%s\")", a->date);
		return;
	}
	skew = (long long)(a->local - timegm(&tm));
	if (llabs(skew) > DIAG_SKEW_MAX) {
		diag_fail(r, NDES_DIAG_CLOCK_SKEW, "this clock is %lld s %s the cloud's (Date: "
		    "%s)", llabs(skew), skew > 0 ? "ahead of" : "behind", a->date);
		diag_fix(r, "synchronise the clock (timedatectl set-ntp true, chrony or "
		    "systemd-timesyncd)");
	} else
		diag_ok(r, "within %lld s of the cloud's clock (at most %d s allowed)", llabs(skew),
		    DIAG_SKEW_MAX);
}
