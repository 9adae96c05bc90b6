/* Blocking I/O with deadlines on non-blocking Unix sockets: poll() for the
 * waiting, MSG_NOSIGNAL for writing, no signals or global state. */
#include "ipc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int64_t
ndes_ipc_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return ndes_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
}

int
ndes_ipc_remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - ndes_clock_ns(CLOCK_MONOTONIC);
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000; /* round up: never spin on < 1 ms */
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Wait until fd is ready for events; 0, or -1 with errno (ETIMEDOUT). */
static int
io_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int left, rc;

	for (;;) {
		left = ndes_ipc_remaining_ms(deadline);
		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, left);
		if (rc > 0)
			return 0; /* ready, or HUP/ERR: the next call reports it */
		if (rc == -1 && errno != EINTR)
			return -1;
	}
}

int
ndes_ipc_io_write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (io_wait(fd, POLLOUT, deadline) == -1)
				return -1;
		} else if (n == -1 && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

int
ndes_ipc_io_read_exact(int fd, void *buf, size_t len, int64_t deadline)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0) {
			errno = ECONNRESET;
			return -1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (io_wait(fd, POLLIN, deadline) == -1)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

int
ndes_ipc_io_sockaddr(struct sockaddr_un *sun, const char *path)
{
	size_t len;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path == NULL || (len = strlen(path)) == 0) {
		errno = EINVAL;
		return -1;
	}
	if (len >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* After connect() said EINPROGRESS: wait, then fetch the outcome. */
static int
connect_finish(int fd, int64_t deadline)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (io_wait(fd, POLLOUT, deadline) == -1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		return -1;
	errno = soerr;
	return soerr == 0 ? 0 : -1;
}

int
ndes_ipc_io_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sun;
	int fd, saved, rc;

	if (ndes_ipc_io_sockaddr(&sun, path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	for (;;) {
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (rc == 0 || errno == EISCONN)
			return fd;
		if (errno == EINPROGRESS) {
			rc = connect_finish(fd, deadline);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			break;
		/* Listen backlog full: Unix sockets want a retry, not a poll. */
		if (ndes_ipc_remaining_ms(deadline) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		poll(NULL, 0, 5);
	}
	if (rc == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
