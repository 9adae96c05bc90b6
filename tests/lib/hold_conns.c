/* hold_conns: connections an attacker holds open, for the shell tests of
 * the daemons' limits (docs/security.md, "Resource exhaustion").
 *
 *   hold_conns unix PATH COUNT UID HOLD_MS
 *	As UID (0: stay), connect COUNT times to the Unix socket PATH and send
 *	nothing.  After a second print "connected C refused R" (R: closed by
 *	the server meanwhile), then hold them until HOLD_MS have passed.
 *
 *   hold_conns tcp PORT COUNT GAP_MS HOLD_MS tls|http
 *	Connect COUNT times to 127.0.0.1:PORT; once a connection is up send the
 *	start of a request that never ends (tls: the header of a 512-byte
 *	handshake record; http: "POST / HTTP/1.1\r\nHost: x\r\n") and then one
 *	more byte every GAP_MS, so that no idle timeout fires.  After HOLD_MS
 *	print "connected C closed K min MIN max MAX open O": K connections the
 *	server closed, held by it between MIN and MAX ms from their start
 *	(-1 -1 when none), O still open.
 * Exit 0, or 2 on usage errors. */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096

struct conn {
	int	fd;
	bool	up;		/* connected */
	int64_t	since;		/* when it came up */
};

static struct conn conns[MAX_CONNS];
static struct pollfd pfds[MAX_CONNS];

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether the server closed fd (after the reason it sent, docs/ipc.md). */
static bool
closed_by_server(int fd)
{
	char buf[1024];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		continue;
	return n == 0;
}

static int
hold_unix(const char *path, int count, uid_t uid, int hold_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t end = now_ms() + hold_ms;
	int connected = 0, refused = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (uid != 0 && (setgroups(0, NULL) == -1 || setresgid(uid, uid, uid) == -1 ||
	    setresuid(uid, uid, uid) == -1)) {
		perror("hold_conns: setresuid");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		conns[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (conns[i].fd != -1 &&
		    connect(conns[i].fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			connected++;
	}
	usleep(1000000);
	for (int i = 0; i < count; i++)
		refused += conns[i].fd != -1 && closed_by_server(conns[i].fd);
	printf("connected %d refused %d\n", connected, refused);
	fflush(stdout);
	while (now_ms() < end)
		usleep(50000);
	return 0;
}

static int
tcp_start(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd != -1 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	return fd;
}

struct tcp_stats {
	int	connected, closed, open;
	int64_t	min, max;
};

/* One poll round: connections coming up get the request's start, closed
 * ones are counted. */
static void
tcp_poll(int count, const char *start, size_t start_len, struct tcp_stats *st)
{
	char buf[512];
	int err = 0;
	socklen_t len = sizeof(err);

	for (int i = 0; i < count; i++)
		pfds[i] = (struct pollfd){ .fd = conns[i].fd,
		    .events = conns[i].up ? POLLIN : POLLOUT };
	if (poll(pfds, (nfds_t)count, 50) <= 0)
		return;
	for (int i = 0; i < count; i++) {
		struct conn *c = &conns[i];
		int64_t held;

		if (c->fd == -1 || pfds[i].revents == 0)
			continue;
		if (!c->up) {
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err != 0) {
				close(c->fd);	/* refused: not counted */
				c->fd = -1;
				continue;
			}
			c->up = true;
			c->since = now_ms();
			st->connected++;
			(void)send(c->fd, start, start_len, MSG_NOSIGNAL);
		} else if (recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
			held = now_ms() - c->since;
			st->min = st->closed == 0 || held < st->min ? held : st->min;
			st->max = st->closed == 0 || held > st->max ? held : st->max;
			st->closed++;
			close(c->fd);
			c->fd = -1;
		}
	}
}

static int
hold_tcp(int port, int count, int gap_ms, int hold_ms, bool tls)
{
	static const char tls_start[] = "\x16\x03\x01\x02\x00";
	static const char http_start[] = "POST / HTTP/1.1\r\nHost: x\r\n";
	static const char zero = 0, x = 'X';
	const char *start = tls ? tls_start : http_start, *more = tls ? &zero : &x;
	size_t start_len = tls ? sizeof(tls_start) - 1 : sizeof(http_start) - 1;
	struct tcp_stats st = { 0 };
	int64_t end = now_ms() + hold_ms, next = now_ms() + gap_ms;

	for (int i = 0; i < count; i++)
		conns[i].fd = tcp_start(port);
	while (now_ms() < end) {
		tcp_poll(count, start, start_len, &st);
		if (now_ms() < next)
			continue;
		next += gap_ms;
		for (int i = 0; i < count; i++)
			if (conns[i].fd != -1 && conns[i].up)
				(void)send(conns[i].fd, more, 1, MSG_NOSIGNAL);
	}
	for (int i = 0; i < count; i++)
		st.open += conns[i].fd != -1 && conns[i].up;
	printf("connected %d closed %d min %lld max %lld open %d\n", st.connected, st.closed,
	    (long long)(st.closed ? st.min : -1), (long long)(st.closed ? st.max : -1),
	    st.open);
	return 0;
}

int
main(int argc, char **argv)
{
	int count = argc > 3 ? atoi(argv[3]) : 0;

	if (count < 1 || count > MAX_CONNS)
		goto usage;
	if (argc == 6 && strcmp(argv[1], "unix") == 0)
		return hold_unix(argv[2], count, (uid_t)atoi(argv[4]), atoi(argv[5]));
	if (argc == 7 && strcmp(argv[1], "tcp") == 0)
		return hold_tcp(atoi(argv[2]), count, atoi(argv[4]), atoi(argv[5]),
		    strcmp(argv[6], "tls") == 0);
usage:
	fprintf(stderr, "usage: hold_conns unix PATH COUNT UID HOLD_MS\n"
	    "       hold_conns tcp PORT COUNT GAP_MS HOLD_MS tls|http\n");
	return 2;
}
