/* HELLO and HELLO_REPLY: a peer says who it is; STATUS_REPLY: a daemon says
 * its pid, start time and version (ipc.h, docs/ipc.md). */
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

int
ndes_ipc_get_status_reply(struct ndes_ipc_reader *r, struct ndes_ipc_status *st)
{
	struct ndes_ipc_reader save = *r;
	size_t vlen;

	if (ndes_ipc_get_u32(r, &st->pid) == -1 || ndes_ipc_get_i64(r, &st->started) == -1 ||
	    ndes_ipc_get_str(r, &st->version, &vlen) == -1 || ndes_ipc_reader_end(r) == -1 ||
	    !hello_version_ok(st->version, vlen)) {
		*r = save;
		return -1;
	}
	return 0;
}
