/* connector.sock (d_ipc.h). */
#include "d_ipc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "conn_outbox.h"
#include "d_crpd.h"
#include "d_note.h"
#include "events.h"
#include "ipc_config.h"
#include "ipc_peer.h"
#include "log.h"
#include "resources.h"

struct connd_ipc {
	const struct connd_env	*env;
	struct connd_hook	 stored;
	struct connd_hook	 work;
	struct ndes_ipc_server	*server;
	struct ndes_ipc_peer	*crpd;			/* RELOAD fallback */
	bool			 write_failed_reported;	/* outbox cannot be written */
};

/* 20302 with code, an error of activity a. */
static void
ipc_report(struct connd_ipc *ipc, enum connd_activity a, uint32_t code, json_t *body,
    const char *detail)
{
	struct ndes_event_ctx ctx = { .detail = detail, .transaction_id =
	    json_string_value(json_object_get(body, "transactionId")) };

	ndes_event_emit(NDES_EV_UPLOAD_FAILURE, code, &ctx);
	connd_note_error(ipc->env->notes, a, "%s", detail);
}

/* Once until there is room again (d_note.h). */
static void
ipc_report_full(struct connd_ipc *ipc, const char *id, json_t *body)
{
	char detail[512];

	if (!connd_note_full(ipc->env->notes))
		return;
	snprintf(detail, sizeof(detail), "the outbox is full (%lld items, outbox.max_items): "
	    "notification %s refused until uploads make room",
	    (long long)conn_outbox_count(ipc->env->ob), id);
	ipc_report(ipc, CONND_OUTBOX_FULL, NDES_DIAG_OUTBOX_FULL, body, detail);
}

/* Once until a notification is stored again. */
static void
ipc_report_write_failed(struct connd_ipc *ipc, const char *id, json_t *body)
{
	char detail[768];

	if (ipc->write_failed_reported)
		return;
	ipc->write_failed_reported = true;
	snprintf(detail, sizeof(detail), "the outbox cannot be written (%s): notification %s "
	    "refused, ndes-crpd keeps it and tries again", conn_outbox_errmsg(ipc->env->ob), id);
	ipc_report(ipc, CONND_OUTBOX, NDES_DIAG_OUTBOX_WRITE_FAILED, body, detail);
}

static int
ipc_send_ack(struct ndes_ipc_peer *peer, uint32_t request_id, const char *id)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_ACK, request_id);

	ndes_ipc_msg_add_str(m, id);
	ndes_ipc_peer_send(peer, m);
	ndes_ipc_msg_free(m);
	return 0;
}

/* A successNotification whose ndesConformance asks for it (crpd's
 * conformance: revoke, docs/crpd.md "Conformance") becomes revocation work
 * for our CA, as a downloaded revocation request would, with the request
 * context "conformance:<challenge ID>" (docs/connector.md).  Idempotent by
 * that key; DUPLICATE when there is nothing to do. */
static enum conn_outbox_add
ipc_conformance_revocation(struct connd_ipc *ipc, const char *kind, json_t *obj)
{
	json_t *conf = json_object_get(obj, "ndesConformance"), *item;
	const char *id = json_string_value(json_object_get(conf, "challengeId"));
	const char *serial = json_string_value(json_object_get(obj, "certificateSerialNumber"));
	enum conn_outbox_add res = CONN_OUTBOX_ERROR;
	char key[128], context[100], *text;

	if (strcmp(kind, "successNotification") != 0 ||
	    !json_is_true(json_object_get(conf, "revoke")))
		return CONN_OUTBOX_DUPLICATE;
	if (id == NULL || serial == NULL || strlen(id) > 64) {
		log_warnx("a notification asks for its certificate's revocation without a "
		    "challenge ID or serial number: not revoked");
		return CONN_OUTBOX_DUPLICATE;
	}
	snprintf(context, sizeof(context), "conformance:%s", id);
	snprintf(key, sizeof(key), "r:%s", context);
	item = json_pack("{s:s, s:s, s:s, s:s}", "requestContext", context, "serialNumber",
	    serial, "issuerName", json_string_value(json_object_get(obj,
	    "issuingCertificateAuthority")) ?: "", "caConfiguration", "");
	if (item != NULL && (text = json_dumps(item, JSON_COMPACT)) != NULL) {
		if ((res = conn_outbox_work_add(ipc->env->ob, "revocation", key, text)) ==
		    CONN_OUTBOX_ADDED)
			log_info("certificate %s differs from its profile: revoking it (%s)", serial,
			    context);
		free(text);
	}
	json_decref(item);
	return res;
}

/* Store one notification (and the revocation it may ask for) and answer it. */
static void
ipc_store(struct connd_ipc *ipc, struct ndes_ipc_peer *peer, uint32_t request_id,
    const char *id, const char *kind, const char *body, json_t *obj)
{
	char key[300];
	enum conn_outbox_add res, work = CONN_OUTBOX_DUPLICATE;

	snprintf(key, sizeof(key), "n:%s", id);
	res = conn_outbox_add(ipc->env->ob, kind, key, body);
	if (res == CONN_OUTBOX_ADDED || res == CONN_OUTBOX_DUPLICATE) {
		/* acknowledged only once the revocation it asks for is stored too */
		if ((work = ipc_conformance_revocation(ipc, kind, obj)) == CONN_OUTBOX_ADDED)
			connd_hook_call(&ipc->work);
		else if (work != CONN_OUTBOX_DUPLICATE)
			res = work;
	}
	if (res == CONN_OUTBOX_ADDED || res == CONN_OUTBOX_DUPLICATE) {
		if (res == CONN_OUTBOX_ADDED && ipc->write_failed_reported) {
			ipc->write_failed_reported = false;
			log_info("the outbox can be written again");
		}
		if (res == CONN_OUTBOX_ADDED)
			connd_note_success(ipc->env->notes, CONND_OUTBOX, true, NULL);
		log_debug("notification %s (%s) %s", id, kind, res == CONN_OUTBOX_ADDED ?
		    "stored" : "already stored");
		ipc_send_ack(peer, request_id, id);
		connd_hook_call(&ipc->stored);
	} else if (res == CONN_OUTBOX_FULL) {
		ipc_report_full(ipc, id, obj);
		ndes_ipc_peer_send_error(peer, request_id, NDES_IPC_ERR_UNAVAILABLE,
		    "the connector's outbox is full: try again later");
	} else {
		ipc_report_write_failed(ipc, id, obj);
		ndes_ipc_peer_send_error(peer, request_id, NDES_IPC_ERR_INTERNAL,
		    "the connector cannot write its outbox");
	}
}

static int
ipc_on_notification(struct connd_ipc *ipc, struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r)
{
	const char *id = NULL, *kind = NULL, *body = NULL;
	json_t *obj;

	ndes_ipc_get_str(r, &id, NULL);
	ndes_ipc_get_str(r, &kind, NULL);
	ndes_ipc_get_str(r, &body, NULL);
	if (ndes_ipc_reader_end(r) == -1)
		return -1;
	if (strcmp(kind, "successNotification") != 0 &&
	    strcmp(kind, "failureNotification") != 0) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    "kind must be successNotification or failureNotification");
		return 0;
	}
	if (id[0] == '\0' || strlen(id) > 256 ||
	    (obj = json_loads(body, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(obj)) {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    id[0] == '\0' || strlen(id) > 256 ? "notification_id must be 1 to 256 bytes" :
		    "the body is not a JSON object");
		return 0;
	}
	ipc_store(ipc, peer, hdr->request_id, id, kind, body, obj);
	json_decref(obj);
	return 0;
}

/* What a peer said it is: its data in the peer layer (set at accept, freed
 * at close). */
struct ipc_who {
	char	role[NDES_IPC_ROLE_MAX + 1];		/* "" until HELLO */
	char	version[NDES_IPC_VERSION_MAX + 1];
	bool	logged;					/* "peer connected ..." */
};

static void
ipc_log_first(struct ndes_ipc_peer *peer, struct ipc_who *who, uint16_t type)
{
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);
	long pid = (long)cred->pid;
	unsigned long uid = (unsigned long)cred->uid;

	who->logged = true;
	if (type == NDES_IPC_MSG_CONNECTOR_NOTIFICATION && who->role[0] == '\0')
		log_info("peer connected on connector.sock (pid %ld, uid %lu): ndes-crpd, it "
		    "hands over notifications (it said no HELLO: RELOAD never goes to it)", pid,
		    uid);
	else if (type == NDES_IPC_MSG_PING && who->role[0] == '\0')
		log_debug("peer connected on connector.sock (pid %ld, uid %lu): PING only so far "
		    "(no HELLO; a check such as an older ndes-connector diagnose)", pid, uid);
	else if (type == NDES_IPC_MSG_PING)
		log_debug("peer connected on connector.sock (pid %ld, uid %lu): PING only so far "
		    "(HELLO as %s, version %s: a check such as ndes-connector diagnose)", pid, uid,
		    who->role, who->version);
	else
		log_info("peer connected on connector.sock (pid %ld, uid %lu): first message %s%s%s",
		    pid, uid, ndes_ipc_type_name(type), who->role[0] != '\0' ? ", HELLO as " : "",
		    who->role);
}

/* HELLO as crpd: the RELOAD target from now on, the latest such peer wins
 * (a restarted crpd may connect before its old connection's end is seen). */
static void
ipc_hello_crpd(struct connd_ipc *ipc, struct ndes_ipc_peer *peer, struct ipc_who *who)
{
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);

	if (ipc->crpd != NULL)
		log_warnx("peer on connector.sock (pid %ld, uid %lu) says it is ndes-crpd too: "
		    "RELOAD goes to it, no longer to pid %ld", (long)cred->pid,
		    (unsigned long)cred->uid, (long)ndes_ipc_peer_cred(ipc->crpd)->pid);
	ipc->crpd = peer;
	who->logged = true;
	log_info("peer connected on connector.sock (pid %ld, uid %lu): ndes-crpd %s, it said "
	    "HELLO: RELOAD goes to it when crp.sock cannot be reached", (long)cred->pid,
	    (unsigned long)cred->uid, who->version);
}

static int
ipc_on_hello(struct connd_ipc *ipc, struct ndes_ipc_peer *peer,
    const struct ndes_ipc_header *hdr, struct ndes_ipc_reader *r)
{
	struct ipc_who *who = ndes_ipc_peer_data(peer);
	const char *role, *version;

	if (ndes_ipc_get_hello(r, &role, &version) == -1)
		return -1;
	if (who->role[0] != '\0') {
		ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_BAD_REQUEST,
		    "HELLO was said already on this connection");
		return 0;
	}
	snprintf(who->role, sizeof(who->role), "%s", role);
	snprintf(who->version, sizeof(who->version), "%s", version);
	if (strcmp(role, NDES_IPC_ROLE_CRPD) == 0)
		ipc_hello_crpd(ipc, peer, who);
	ndes_ipc_peer_send_hello(peer, NDES_IPC_MSG_HELLO_REPLY, hdr->request_id,
	    NDES_IPC_ROLE_CONNECTORD);
	/* a RELOAD that did not reach crpd (the "crpd" error): sent again to the
	 * crpd that has just come, its reply clears the error */
	if (strcmp(role, NDES_IPC_ROLE_CRPD) == 0 &&
	    connd_note_failing(ipc->env->notes, CONND_CRPD) && connd_crpd_send_reload(peer) == 0)
		log_info("asked ndes-crpd to reload over its new connection (the last RELOAD "
		    "did not reach it)");
	return 0;
}

static int
ipc_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct connd_ipc *ipc = arg;
	struct ipc_who *who = ndes_ipc_peer_data(peer);
	const char *msg;
	uint32_t code;

	if (hdr->type == NDES_IPC_MSG_HELLO)
		return ipc_on_hello(ipc, peer, hdr, r);
	if (!who->logged)
		ipc_log_first(peer, who, hdr->type);
	switch (hdr->type) {
	case NDES_IPC_MSG_CONNECTOR_NOTIFICATION:
		return ipc_on_notification(ipc, peer, hdr, r);
	case NDES_IPC_MSG_RELOAD_REPLY:
		if (ndes_ipc_get_status_message(r, &code, &msg) == -1)
			return -1;
		connd_crpd_reloaded(ipc->env, code, msg);
		return 0;
	case NDES_IPC_MSG_ERROR:
		if (ndes_ipc_get_error(r, &code, &msg) == -1)
			return -1;
		log_warnx("ndes-crpd answered error %u: %s", code, msg);
		return 0;
	}
	ndes_ipc_peer_answer_default(peer, hdr);
	return 0;
}

static int
ipc_accept(struct ndes_ipc_peer *peer, void *arg)
{
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);
	struct ipc_who *who = calloc(1, sizeof(*who));

	if (who == NULL)
		return -1;
	ndes_ipc_peer_set_data(peer, who);
	log_debug("peer connected on connector.sock (pid %ld, uid %lu)", (long)cred->pid,
	    (unsigned long)cred->uid);
	return 0;
}

static void
ipc_close(struct ndes_ipc_peer *peer, void *arg)
{
	struct connd_ipc *ipc = arg;
	const struct ndes_ipc_cred *cred = ndes_ipc_peer_cred(peer);

	if (ipc->crpd == peer) {
		ipc->crpd = NULL;
		log_info("ndes-crpd (pid %ld) disconnected from connector.sock", (long)cred->pid);
	} else
		log_debug("peer (pid %ld, uid %lu) disconnected from connector.sock",
		    (long)cred->pid, (unsigned long)cred->uid);
	free(ndes_ipc_peer_data(peer));
	ndes_ipc_peer_set_data(peer, NULL);
}

struct connd_ipc *
connd_ipc_new(const struct connd_env *env, struct connd_hook stored, struct connd_hook work)
{
	struct connd_ipc *ipc = calloc(1, sizeof(*ipc));

	if (ipc == NULL)
		return NULL;
	ipc->env = env;
	ipc->stored = stored;
	ipc->work = work;
	return ipc;
}

/* Raise the descriptor limit and fit connector.sock's cap under it, so that
 * its peers can never take the descriptors the outbox, the CA folder and the
 * cloud calls need (common/resources.h).  The configuration keeps the value
 * written (a reload compares with it); the listener gets the fitted one. */
static int
ipc_fit_descriptors(struct connd_ipc *ipc, char *err, size_t errlen)
{
	const struct conn_cfg *cfg = ipc->env->cfg;
	int64_t cap = cfg->ipc.max_connections;
	struct ndes_fd_claim claim = { "ipc.max_connections", &cap };

	if (ndes_fd_budget_fit(ndes_nofile_raise(), NDES_FD_RESERVE, &claim, 1) == -1) {
		snprintf(err, errlen, "the descriptor limit is too low");
		return -1;
	}
	ndes_ipc_server_set_limits(ipc->server, (size_t)cap,
	    (size_t)cfg->ipc.max_connections_per_uid);
	return 0;
}

int
connd_ipc_start(struct connd_ipc *ipc, char *err, size_t errlen)
{
	ipc->server = ndes_ipc_server_from_cfg(ipc->env->base, &ipc->env->cfg->ipc,
	    ipc_dispatch, ipc);
	if (ipc->server == NULL) {
		snprintf(err, errlen, "cannot listen on %s", ipc->env->cfg->ipc.socket);
		return -1;
	}
	ndes_ipc_server_set_callbacks(ipc->server, ipc_accept, ipc_close);
	if (ndes_ipc_server_set_config_name(ipc->server, ipc->env->config_path) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return ipc_fit_descriptors(ipc, err, errlen);
}

void
connd_ipc_stop(struct connd_ipc *ipc)
{
	if (ipc == NULL || ipc->server == NULL)
		return;
	ndes_ipc_server_free(ipc->server);
	ipc->server = NULL;
	ipc->crpd = NULL;
}

void
connd_ipc_free(struct connd_ipc *ipc)
{
	connd_ipc_stop(ipc);
	free(ipc);
}

int
connd_ipc_set_acl(struct connd_ipc *ipc)
{
	if (ipc->server == NULL)
		return 0;
	return ndes_ipc_server_set_acl_from_cfg(ipc->server, &ipc->env->cfg->ipc);
}

struct ndes_ipc_peer *
connd_ipc_crpd(const struct connd_ipc *ipc)
{
	return ipc->crpd;
}
