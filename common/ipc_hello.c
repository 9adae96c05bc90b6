/* HELLO and HELLO_REPLY: a peer says who it is; STATUS_REPLY: a daemon says
 * its pid, start time, version and, when it keeps them, its current errors
 * (ipc.h, docs/ipc.md). */
#include "config.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_peer.h"

static bool
hello_role_ok(const char *role, size_t len)
{
	if (len == 0 || len > NDES_IPC_ROLE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((role[i] >= 'a' && role[i] <= 'z') || (role[i] >= '0' && role[i] <= '9') ||
		    role[i] == '-'))
			return false;
	return true;
}

static bool
hello_version_ok(const char *version, size_t len)
{
	if (len == 0 || len > NDES_IPC_VERSION_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (version[i] < 0x21 || version[i] > 0x7e)
			return false;
	return true;
}

/* The version, the last field of HELLO and STATUS_REPLY: msg, or NULL
 * (freed) when a field failed. */
static struct ndes_ipc_msg *
hello_add_version(struct ndes_ipc_msg *msg)
{
	ndes_ipc_msg_add_str(msg, PACKAGE_VERSION);
	if (ndes_ipc_msg_failed(msg)) {
		ndes_ipc_msg_free(msg);
		return NULL;
	}
	return msg;
}

struct ndes_ipc_msg *
ndes_ipc_msg_new_hello(uint16_t type, uint32_t request_id, const char *role)
{
	struct ndes_ipc_msg *msg;

	if (role == NULL || !hello_role_ok(role, strlen(role)) ||
	    (msg = ndes_ipc_msg_new(type, request_id)) == NULL)
		return NULL;
	ndes_ipc_msg_add_str(msg, role);
	return hello_add_version(msg);
}

int
ndes_ipc_get_hello(struct ndes_ipc_reader *r, const char **role, const char **version)
{
	struct ndes_ipc_reader save = *r;
	const char *ro, *v;
	size_t rlen, vlen;

	if (ndes_ipc_get_str(r, &ro, &rlen) == -1 || ndes_ipc_get_str(r, &v, &vlen) == -1 ||
	    ndes_ipc_reader_end(r) == -1 || !hello_role_ok(ro, rlen) ||
	    !hello_version_ok(v, vlen)) {
		*r = save;
		return -1;
	}
	*role = ro;
	*version = v;
	return 0;
}

int
ndes_ipc_peer_send_hello(struct ndes_ipc_peer *peer, uint16_t type, uint32_t request_id,
    const char *role)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new_hello(type, request_id, role);
	int rc = msg != NULL ? ndes_ipc_peer_send(peer, msg) : -1;

	ndes_ipc_msg_free(msg);
	return rc;
}

/* When this program started: before main(), so before any STATUS. */
static time_t hello_started;

__attribute__((constructor)) static void
hello_record_start(void)
{
	hello_started = time(NULL);
}

struct ndes_ipc_msg *
ndes_ipc_msg_new_status_reply(uint32_t request_id)
{
	struct ndes_ipc_msg *msg = ndes_ipc_msg_new(NDES_IPC_MSG_STATUS_REPLY, request_id);

	if (msg == NULL)
		return NULL;
	ndes_ipc_msg_add_u32(msg, (uint32_t)getpid());
	ndes_ipc_msg_add_i64(msg, (int64_t)hello_started);
	return hello_add_version(msg);
}

static bool
status_error_ok(const struct ndes_ipc_status_error *e, size_t alen, size_t mlen)
{
	return hello_role_ok(e->activity, alen) && mlen <= NDES_IPC_STATUS_MESSAGE_MAX &&
	    e->since > 0 && e->since <= e->last;
}

struct ndes_ipc_msg *
ndes_ipc_msg_new_status_reply_errors(uint32_t request_id,
    const struct ndes_ipc_status_error *errors, size_t n)
{
	struct ndes_ipc_msg *msg;

	if (n > NDES_IPC_STATUS_ERRORS_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (errors[i].activity == NULL || errors[i].message == NULL ||
		    !status_error_ok(&errors[i], strlen(errors[i].activity),
		    strlen(errors[i].message)))
			return NULL;
	if ((msg = ndes_ipc_msg_new_status_reply(request_id)) == NULL)
		return NULL;
	ndes_ipc_msg_add_u32(msg, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		ndes_ipc_msg_add_str(msg, errors[i].activity);
		ndes_ipc_msg_add_i64(msg, errors[i].since);
		ndes_ipc_msg_add_i64(msg, errors[i].last);
		ndes_ipc_msg_add_str(msg, errors[i].message);
	}
	if (ndes_ipc_msg_failed(msg)) {
		ndes_ipc_msg_free(msg);
		return NULL;
	}
	return msg;
}

static int
status_get_error(struct ndes_ipc_reader *r, struct ndes_ipc_status_error *e)
{
	size_t alen, mlen;

	if (ndes_ipc_get_str(r, &e->activity, &alen) == -1 ||
	    ndes_ipc_get_i64(r, &e->since) == -1 || ndes_ipc_get_i64(r, &e->last) == -1 ||
	    ndes_ipc_get_str(r, &e->message, &mlen) == -1)
		return -1;
	return status_error_ok(e, alen, mlen) ? 0 : -1;
}

/* The errors after the version, when a field follows it. */
static int
status_get_errors(struct ndes_ipc_reader *r, struct ndes_ipc_status *st)
{
	uint32_t n;

	st->has_errors = false;
	st->nerrors = 0;
	if (ndes_ipc_reader_peek(r) == 0)
		return 0;
	if (ndes_ipc_get_u32(r, &n) == -1 || n > NDES_IPC_STATUS_ERRORS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (status_get_error(r, &st->errors[i]) == -1)
			return -1;
	st->has_errors = true;
	st->nerrors = n;
	return 0;
}

int
ndes_ipc_get_status_reply(struct ndes_ipc_reader *r, struct ndes_ipc_status *st)
{
	struct ndes_ipc_reader save = *r;
	size_t vlen;

	if (ndes_ipc_get_u32(r, &st->pid) == -1 || ndes_ipc_get_i64(r, &st->started) == -1 ||
	    ndes_ipc_get_str(r, &st->version, &vlen) == -1 || !hello_version_ok(st->version, vlen) ||
	    status_get_errors(r, st) == -1 || ndes_ipc_reader_end(r) == -1) {
		*r = save;
		return -1;
	}
	return 0;
}
