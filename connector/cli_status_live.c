/* ndes-connector status: whether ndes-connectord and ndes-crpd answer, with
 * the pid, start time, version and current errors they say (STATUS,
 * docs/ipc.md). */
#include "cli_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "crpd_config.h"
#include "errmsg.h"
#include "ipc_client.h"

struct live {
	const char		*state;		/* "answers", ... */
	char			 reason[NDES_ERR_MAX];
	struct ndes_ipc_status	 st;
	bool			 said;		/* st is set */
	char			 version[NDES_IPC_VERSION_MAX + 1];
	json_t			*errors;	/* NULL: the reply had none */
};

static int64_t
live_now_ms(void)
{
	return ndes_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* What a failed call's errno says about the daemon. */
static void
live_failed(struct live *l, int eno)
{
	if (eno == ENOENT || eno == ECONNREFUSED)
		l->state = "not running";
	else if (eno == EACCES || eno == EPERM || eno == EAGAIN)
		l->state = "refused";	/* the reason the daemon sent, or the socket's mode */
	else if (eno == ECONNRESET || eno == EPIPE) {
		l->state = "refused";
		snprintf(l->reason, sizeof(l->reason), "it closed the connection without a "
		    "reason (its ACL, ipc.allowed_uids / allowed_gids, in an older version?)");
	} else
		l->state = "no answer";
}

/* One call within what is left of the deadline: the reply, or NULL with the
 * state set. */
static struct ndes_ipc_frame *
live_call(struct ndes_ipc_client *ipc, struct ndes_ipc_msg *m, int64_t deadline,
    struct live *l)
{
	struct ndes_ipc_frame *reply = NULL;
	int64_t left = deadline - live_now_ms();

	if (m == NULL || left <= 0 || ndes_ipc_client_call(ipc, m, &reply, (int)left, l->reason,
	    sizeof(l->reason)) == -1) {
		live_failed(l, m == NULL ? ENOMEM : left <= 0 ? ETIMEDOUT : errno);
		if (left <= 0 || errno == ETIMEDOUT)
			snprintf(l->reason, sizeof(l->reason), "no answer within %d ms",
			    CLI_STATUS_TIMEOUT_MS);
	}
	ndes_ipc_msg_free(m);
	return reply;
}

static json_t *
live_time(int64_t t)
{
	char when[32];

	return ndes_clock_iso8601((time_t)t, when, sizeof(when)) == 0 ? json_string(when) :
	    json_null();
}

/* The errors the daemon said, as connectord's (cli_status.c): {activity:
 * {message, since, last}}. */
static json_t *
live_errors(const struct ndes_ipc_status *st)
{
	json_t *o = json_object();

	for (size_t i = 0; i < st->nerrors; i++)
		json_object_set_new(o, st->errors[i].activity, json_pack("{s:s, s:o, s:o}",
		    "message", st->errors[i].message, "since", live_time(st->errors[i].since),
		    "last", live_time(st->errors[i].last)));
	return o;
}

/* HELLO as cli (connectord then knows this is no crpd), then STATUS. */
static void
live_ask(struct ndes_ipc_client *ipc, bool hello, int64_t deadline, struct live *l)
{
	struct ndes_ipc_frame *f;
	struct ndes_ipc_reader r;

	if (hello) {
		if ((f = live_call(ipc, ndes_ipc_msg_new_hello(NDES_IPC_MSG_HELLO,
		    ndes_ipc_client_next_id(ipc), NDES_IPC_ROLE_CLI), deadline, l)) == NULL)
			return;
		ndes_ipc_frame_free(f);
	}
	if ((f = live_call(ipc, ndes_ipc_msg_new(NDES_IPC_MSG_STATUS,
	    ndes_ipc_client_next_id(ipc)), deadline, l)) == NULL)
		return;
	l->state = "answers";	/* an older daemon answers ERROR UNSUPPORTED */
	ndes_ipc_frame_reader(f, &r);
	if (ndes_ipc_frame_type(f) == NDES_IPC_MSG_STATUS_REPLY &&
	    ndes_ipc_get_status_reply(&r, &l->st) == 0) {
		l->said = true;
		snprintf(l->version, sizeof(l->version), "%s", l->st.version);
		if (l->st.has_errors)
			l->errors = live_errors(&l->st);
	}
	ndes_ipc_frame_free(f);
}

static json_t *
live_json(const char *path, struct live *l)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "socket", path, "state", l->state,
	    "reason", l->reason[0] != '\0' && strcmp(l->state, "answers") != 0 ?
	    json_string(l->reason) : json_null());
	json_t *errors = l->errors;	/* o takes it, or nobody */

	l->errors = NULL;
	if (o == NULL || !l->said) {
		json_decref(errors);
		return o;
	}
	json_object_set_new(o, "pid", json_integer(l->st.pid));
	json_object_set_new(o, "version", json_string(l->version));
	json_object_set_new(o, "startedAt", live_time(l->st.started));
	json_object_set_new(o, "uptimeSeconds", json_integer((int64_t)time(NULL) -
	    l->st.started));
	if (errors != NULL)
		json_object_set_new(o, "errors", errors);
	return o;
}

static json_t *
live_probe(const char *path, bool hello, int *down)
{
	int64_t deadline = live_now_ms() + CLI_STATUS_TIMEOUT_MS;
	struct live l = { .state = "no answer" };
	struct ndes_ipc_client *ipc;

	if (path == NULL || path[0] == '\0') {
		l.state = "not running";
		snprintf(l.reason, sizeof(l.reason), "no socket configured");
	} else if ((ipc = ndes_ipc_client_connect(path, CLI_STATUS_TIMEOUT_MS, l.reason,
	    sizeof(l.reason))) == NULL)
		live_failed(&l, errno);
	else {
		live_ask(ipc, hello, deadline, &l);
		ndes_ipc_client_free(ipc);
	}
	*down += strcmp(l.state, "answers") != 0;
	return live_json(path != NULL ? path : "", &l);
}

/* crpd's socket as diagnose finds it. */
static char *
live_crpd_socket(struct cli *c)
{
	const char *path = cli_crpd_config_path(c);
	struct crpd_cfg cfg = { 0 };
	char err[NDES_ERR_MAX], *sock = NULL;

	if (path != NULL && crpd_config_load(path, &cfg, err, sizeof(err)) == 0 &&
	    cfg.ipc.socket != NULL)
		sock = strdup(cfg.ipc.socket);
	if (path != NULL)
		crpd_config_free(&cfg);
	return sock != NULL ? sock : c->cfg.crp_socket != NULL ? strdup(c->cfg.crp_socket) :
	    NULL;
}

json_t *
cli_status_daemons(struct cli *c, int *down)
{
	char *crp = live_crpd_socket(c);
	json_t *o = json_object();

	*down = 0;
	json_object_set_new(o, "ndes-connectord", live_probe(c->cfg.ipc.socket, true, down));
	json_object_set_new(o, "ndes-crpd", live_probe(crp, false, down));
	free(crp);
	return o;
}
