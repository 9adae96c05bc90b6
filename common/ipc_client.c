/* Blocking IPC client: see ipc_client.h. */
#include "ipc_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errmsg.h"
#include "ipc_int.h"

struct ndes_ipc_client {
	pthread_mutex_t lock;
	int fd;
	bool spent;
	uint32_t next_id;
};

static void __attribute__((format(printf, 3, 4)))
client_err(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(err, errlen, fmt, ap);
	va_end(ap);
	errno = saved;
}

struct ndes_ipc_client *
ndes_ipc_client_connect(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct ndes_ipc_client *client;
	int fd;

	fd = ndes_ipc_io_connect(path, ndes_ipc_deadline(timeout_ms));
	if (fd == -1) {
		client_err(err, errlen, "connect %s: %s", path != NULL ? path : "(null)",
		    strerror(errno));
		return NULL;
	}
	if ((client = calloc(1, sizeof(*client))) == NULL) {
		close(fd);
		errno = ENOMEM;
		client_err(err, errlen, "connect %s: out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&client->lock, NULL);
	client->fd = fd;
	client->next_id = 1;
	return client;
}

void
ndes_ipc_client_free(struct ndes_ipc_client *client)
{
	if (client == NULL)
		return;
	close(client->fd);
	pthread_mutex_destroy(&client->lock);
	free(client);
}

uint32_t
ndes_ipc_client_next_id(struct ndes_ipc_client *client)
{
	uint32_t id;

	pthread_mutex_lock(&client->lock);
	id = client->next_id++;
	if (client->next_id == 0)
		client->next_id = 1;
	pthread_mutex_unlock(&client->lock);
	return id;
}

/* Lock the handle, waiting no longer than the call's deadline. */
static int
client_lock(struct ndes_ipc_client *client, int timeout_ms)
{
	struct timespec ts;
	int rc;

	if (timeout_ms < 0)
		rc = pthread_mutex_lock(&client->lock);
	else {
		ts = ndes_clock_after(CLOCK_REALTIME, (int64_t)timeout_ms * 1000000);
		rc = pthread_mutex_timedlock(&client->lock, &ts);
	}
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

/* Read one whole frame; the caller checks the request id. */
static struct ndes_ipc_frame *
client_read_frame(struct ndes_ipc_client *client, int64_t deadline, char *err, size_t errlen)
{
	uint8_t hbuf[NDES_IPC_HEADER_LEN];
	struct ndes_ipc_header hdr;
	struct ndes_ipc_frame *frame;
	enum ndes_ipc_parse_result res;
	size_t flen;

	if (ndes_ipc_io_read_exact(client->fd, hbuf, sizeof(hbuf), deadline) == -1)
		goto io_fail;
	res = ndes_ipc_frame_parse(hbuf, sizeof(hbuf), &hdr, &flen);
	if (res < 0) {
		errno = EPROTO;
		client_err(err, errlen, "bad reply: %s", ndes_ipc_parse_result_str(res));
		return NULL;
	}
	if ((frame = ndes_ipc_frame_alloc(&hdr)) == NULL) {
		client_err(err, errlen, "reply: out of memory");
		return NULL;
	}
	if (ndes_ipc_io_read_exact(client->fd, frame->payload, hdr.payload_len, deadline) == 0)
		return frame;
	ndes_ipc_frame_free(frame);
io_fail:
	if (errno == ECONNRESET)
		client_err(err, errlen, "reading reply: connection closed by the server");
	else
		client_err(err, errlen, "reading reply: %s", strerror(errno));
	return NULL;
}

/* Whether frame is a refusal: an ERROR with request id 0, the server's
 * reason for closing before any request was read (ipc_peer.h); its text
 * goes to err, errno EACCES (the ACL) or EAGAIN (the caps). */
static bool
client_refusal(struct ndes_ipc_frame *frame, char *err, size_t errlen)
{
	struct ndes_ipc_reader r;
	const char *why;
	uint32_t code;

	if (frame->hdr.request_id != 0 || frame->hdr.type != NDES_IPC_MSG_ERROR)
		return false;
	ndes_ipc_frame_reader(frame, &r);
	if (ndes_ipc_get_error(&r, &code, &why) == -1)
		return false;
	client_err(err, errlen, "%s", why);
	errno = code == NDES_IPC_ERR_NOT_ALLOWED ? EACCES : EAGAIN;
	return true;
}

/* The request could not be sent: a server that refused the connection
 * said why first (already queued: a short wait). */
static void
client_send_failed(struct ndes_ipc_client *client, char *err, size_t errlen)
{
	int saved = errno;
	struct ndes_ipc_frame *frame;

	client_err(err, errlen, "sending request: %s", strerror(saved));
	if (saved != EPIPE && saved != ECONNRESET)
		return;
	frame = client_read_frame(client, ndes_ipc_deadline(100), NULL, 0);
	if (frame == NULL || !client_refusal(frame, err, errlen)) {
		client_err(err, errlen, "sending request: %s", strerror(saved));
		errno = saved;
	}
	ndes_ipc_frame_free(frame);
}

static int
client_exchange(struct ndes_ipc_client *client, const struct ndes_ipc_msg *req,
    struct ndes_ipc_frame **reply, int64_t deadline, char *err, size_t errlen)
{
	const uint8_t *buf;
	struct ndes_ipc_frame *frame;
	size_t len;

	if ((buf = ndes_ipc_msg_frame(req, &len)) == NULL) {
		errno = EINVAL;
		client_err(err, errlen, "request message is invalid (a field failed to encode)");
		return -1;
	}
	if (ndes_ipc_io_write_all(client->fd, buf, len, deadline) == -1) {
		client_send_failed(client, err, errlen);
		return -1;
	}
	if ((frame = client_read_frame(client, deadline, err, errlen)) == NULL)
		return -1;
	if (frame->hdr.request_id != ndes_ipc_msg_request_id(req)) {
		if (!client_refusal(frame, err, errlen)) {
			client_err(err, errlen, "reply request id %u does not match request %u",
			    frame->hdr.request_id, ndes_ipc_msg_request_id(req));
			errno = EPROTO;
		}
		ndes_ipc_frame_free(frame);
		return -1;
	}
	*reply = frame;
	return 0;
}

int
ndes_ipc_client_call(struct ndes_ipc_client *client, const struct ndes_ipc_msg *req,
    struct ndes_ipc_frame **reply, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = ndes_ipc_deadline(timeout_ms);
	int rc, saved;

	*reply = NULL;
	if (client_lock(client, timeout_ms) == -1) {
		client_err(err, errlen, "waiting for the connection: %s", strerror(errno));
		return -1;
	}
	if (client->spent) {
		errno = ENOTCONN;
		client_err(err, errlen, "connection unusable after an earlier failure");
		rc = -1;
	} else if ((rc = client_exchange(client, req, reply, deadline, err, errlen)) == -1 &&
	    errno == ETIMEDOUT) {
		client_err(err, errlen, "timed out after %d ms waiting for the server", timeout_ms);
	}
	saved = errno;
	if (rc == -1 && saved != EINVAL && saved != ENOTCONN)
		client->spent = true; /* the stream may be mid-frame */
	pthread_mutex_unlock(&client->lock);
	errno = saved;
	return rc;
}
