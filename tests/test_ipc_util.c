/* Helpers shared by the IPC tests. */
#include "test_ipc_util.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc_int.h"
#include "ipc_peer.h"

char *
ipc_test_tmpdir(void)
{
	char *dir = tmpdir_make("ndes-ipc");

	cr_assert_not_null(dir, "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(dir, 0711), 0);
	return dir;
}

char *
ipc_test_path(const char *dir, const char *name)
{
	char *p = tmpdir_path(dir, name);

	cr_assert_not_null(p);
	return p;
}

void
ipc_test_pump(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* One short loop turn: handle what is ready, wait at most 1 ms. */
static void
pump_once(struct event_base *base)
{
	struct timeval tv = { 0, 1000 };

	event_base_loopexit(base, &tv);
	event_base_loop(base, EVLOOP_ONCE);
}

bool
ipc_test_pump_until(struct event_base *base, const bool *flag, int ms)
{
	int64_t deadline = ndes_ipc_deadline(ms);

	while (!*flag && ndes_ipc_remaining_ms(deadline) > 0)
		pump_once(base);
	return *flag;
}

bool
ipc_test_pump_until_readable(struct event_base *base, int fd, int ms)
{
	int64_t deadline = ndes_ipc_deadline(ms);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (ndes_ipc_remaining_ms(deadline) > 0) {
		if (poll(&pfd, 1, 0) == 1)
			return true;
		pump_once(base);
	}
	return false;
}

int
ipc_test_pump_until_exit(struct event_base *base, pid_t pid, int ms)
{
	int64_t deadline = ndes_ipc_deadline(ms);
	int status;

	while (ndes_ipc_remaining_ms(deadline) > 0) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		pump_once(base);
	}
	ipc_test_kill(pid);
	return -1;
}

int
ipc_test_connect_raw(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	cr_assert_eq(ndes_ipc_io_sockaddr(&sun, path), 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(fd, -1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

struct ndes_ipc_frame *
ipc_test_read_frame(int fd, int ms)
{
	int64_t deadline = ndes_ipc_deadline(ms);
	uint8_t hbuf[NDES_IPC_HEADER_LEN];
	struct ndes_ipc_header hdr;
	struct ndes_ipc_frame *frame;
	size_t flen;

	if (ndes_ipc_io_read_exact(fd, hbuf, sizeof(hbuf), deadline) == -1)
		return NULL;
	if (ndes_ipc_frame_parse(hbuf, sizeof(hbuf), &hdr, &flen) < 0)
		return NULL;
	frame = ndes_ipc_frame_alloc(&hdr);
	cr_assert_not_null(frame);
	if (ndes_ipc_io_read_exact(fd, frame->payload, hdr.payload_len, deadline) == -1) {
		ndes_ipc_frame_free(frame);
		return NULL;
	}
	return frame;
}

void
ipc_test_send_msg(int fd, const struct ndes_ipc_msg *msg)
{
	const uint8_t *buf;
	size_t len;

	buf = ndes_ipc_msg_frame(msg, &len);
	cr_assert_not_null(buf);
	cr_assert_eq(ndes_ipc_io_write_all(fd, buf, len, ndes_ipc_deadline(2000)), 0);
}

static int
echo_fields(struct ndes_ipc_reader *r, struct ndes_ipc_msg *out)
{
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	bool b;
	const char *s;
	const uint8_t *p;
	size_t len;
	int rc = 0;

	while (rc == 0 && ndes_ipc_reader_peek(r) != 0) {
		switch (ndes_ipc_reader_peek(r)) {
		case NDES_IPC_F_U32:
			rc = ndes_ipc_get_u32(r, &u32) ?: ndes_ipc_msg_add_u32(out, u32);
			break;
		case NDES_IPC_F_U64:
			rc = ndes_ipc_get_u64(r, &u64) ?: ndes_ipc_msg_add_u64(out, u64);
			break;
		case NDES_IPC_F_I64:
			rc = ndes_ipc_get_i64(r, &i64) ?: ndes_ipc_msg_add_i64(out, i64);
			break;
		case NDES_IPC_F_BOOL:
			rc = ndes_ipc_get_bool(r, &b) ?: ndes_ipc_msg_add_bool(out, b);
			break;
		case NDES_IPC_F_STR:
			rc = ndes_ipc_get_str(r, &s, NULL) ?: ndes_ipc_msg_add_str(out, s);
			break;
		case NDES_IPC_F_BYTES:
			rc = ndes_ipc_get_bytes(r, &p, &len) ?: ndes_ipc_msg_add_bytes(out, p, len);
			break;
		default:
			rc = -1;
		}
	}
	return rc == 0 ? ndes_ipc_reader_end(r) : -1;
}

int
ipc_test_echo_dispatch(struct ndes_ipc_peer *peer, const struct ndes_ipc_header *hdr,
    struct ndes_ipc_reader *r, void *arg)
{
	struct ndes_ipc_msg *out;
	int rc;

	switch (hdr->type) {
	case NDES_IPC_MSG_PING:
		out = ndes_ipc_msg_new(NDES_IPC_MSG_PONG, hdr->request_id);
		if ((rc = echo_fields(r, out)) == 0)
			rc = ndes_ipc_peer_send(peer, out);
		ndes_ipc_msg_free(out);
		return rc;
	case NDES_IPC_MSG_VERIFY_REQUEST:
		return 0; /* never answered */
	case NDES_IPC_MSG_NOTIFY:
		return -1;
	default:
		return ndes_ipc_peer_send_error(peer, hdr->request_id, NDES_IPC_ERR_UNSUPPORTED,
		    "unsupported message type");
	}
}

static void __attribute__((noreturn))
echo_server_child(const char *path, int ready)
{
	struct event_base *base = event_base_new();
	struct ndes_ipc_server *srv;

	srv = ndes_ipc_server_new(base, path, 0600, NULL, ipc_test_echo_dispatch, NULL);
	if (base == NULL || srv == NULL)
		_exit(2);
	if (write(ready, "R", 1) != 1)
		_exit(3);
	close(ready);
	event_base_dispatch(base);
	_exit(0);
}

pid_t
ipc_test_spawn_echo_server(const char *path)
{
	int fds[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		echo_server_child(path, fds[1]);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "echo server did not start");
	close(fds[0]);
	return pid;
}

void
ipc_test_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int stderr_saved = -1;
static FILE *stderr_file;

void
ipc_test_stderr_begin(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	cr_assert_not_null(stderr_file);
	stderr_saved = dup(2);
	cr_assert_neq(dup2(fileno(stderr_file), 2), -1);
}

char *
ipc_test_stderr_end(void)
{
	char *text;
	long len;

	fflush(stderr);
	dup2(stderr_saved, 2);
	close(stderr_saved);
	len = lseek(fileno(stderr_file), 0, SEEK_END);
	text = calloc(1, (size_t)len + 1);
	cr_assert_not_null(text);
	if (len > 0)
		cr_assert_eq(pread(fileno(stderr_file), text, (size_t)len, 0), len);
	fclose(stderr_file);
	return text;
}
