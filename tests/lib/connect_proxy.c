/* connect_proxy PORTFILE [USER:PASSWORD]: a small HTTP CONNECT proxy for
 * the connector's tests.  Listens on 127.0.0.1 (ephemeral port, written to
 * PORTFILE), one process per connection; with credentials, a CONNECT
 * without the right "Proxy-Authorization: Basic" gets 407.  Each tunnel
 * opened is logged on stdout as "CONNECT host:port".  Loopback targets
 * only.  Stops on SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"

static int
proxy_reply(int fd, const char *status)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nContent-Length: 0\r\n"
	    "Proxy-Authenticate: Basic realm=\"test\"\r\n\r\n", status);

	return write(fd, buf, (size_t)n) == n ? 0 : -1;
}

/* The request head (up to the blank line), NUL-terminated. */
static int
proxy_read_head(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len) {
		if ((r = read(fd, buf + n, 1)) <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (n >= 4 && strcmp(buf + n - 4, "\r\n\r\n") == 0)
			return 0;
	}
	return -1;
}

static int
proxy_auth_ok(const char *head, const char *creds)
{
	static const char prefix[] = "\r\nProxy-Authorization: Basic ";
	const size_t off = sizeof(prefix) - 1;
	char *want, *line;
	int ok;

	if (creds == NULL)
		return 1;
	if ((want = ndes_b64_encode((const uint8_t *)creds, strlen(creds))) == NULL)
		return 0;
	line = strcasestr(head, prefix);
	ok = line != NULL && strncmp(line + off, want, strlen(want)) == 0 &&
	    line[off + strlen(want)] == '\r';
	free(want);
	return ok;
}

static int
proxy_connect_target(const char *head)
{
	char host[256];
	unsigned port;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	if (sscanf(head, "CONNECT %255[^:]:%u HTTP/1.", host, &port) != 2 || port > 65535)
		return -1;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 || (ntohl(sin.sin_addr.s_addr) >> 24) != 127)
		return -1;
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	printf("CONNECT %s:%u\n", host, port);
	fflush(stdout);
	return fd;
}

static void
proxy_relay(int a, int b)
{
	struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	char buf[16384];
	ssize_t n;

	while (poll(p, 2, 60000) > 0) {
		for (int i = 0; i < 2; i++) {
			if (p[i].revents == 0)
				continue;
			if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0 ||
			    write(p[1 - i].fd, buf, (size_t)n) != n)
				return;
		}
	}
}

static void
proxy_serve(int fd, const char *creds)
{
	char head[8192];
	int up;

	if (proxy_read_head(fd, head, sizeof(head)) == -1)
		return;
	if (strncmp(head, "CONNECT ", 8) != 0) {
		proxy_reply(fd, "405 Method Not Allowed");
		return;
	}
	if (!proxy_auth_ok(head, creds)) {
		printf("refused: no or wrong credentials\n");
		fflush(stdout);
		proxy_reply(fd, "407 Proxy Authentication Required");
		return;
	}
	if ((up = proxy_connect_target(head)) == -1) {
		proxy_reply(fd, "502 Bad Gateway");
		return;
	}
	if (write(fd, "HTTP/1.1 200 Connection established\r\n\r\n", 39) == 39)
		proxy_relay(fd, up);
	close(up);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	FILE *pf;
	int ls, fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: connect_proxy PORTFILE [USER:PASSWORD]\n");
		return 2;
	}
	signal(SIGCHLD, SIG_IGN);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(ls, 64) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sin, &slen) == -1 ||
	    (pf = fopen(argv[1], "w")) == NULL) {
		perror("connect_proxy");
		return 1;
	}
	fprintf(pf, "%u\n", ntohs(sin.sin_port));
	fclose(pf);
	for (;;) {
		if ((fd = accept(ls, NULL, NULL)) == -1)
			continue;
		if (fork() == 0) {
			close(ls);
			proxy_serve(fd, argc == 3 ? argv[2] : NULL);
			_exit(0);
		}
		close(fd);
	}
}
