/* drop_server CERT KEY PORTFILE MODE: a stand-in for a cloud whose
 * connections break in the middle of a call.  HTTPS on 127.0.0.1
 * (ephemeral port, written to PORTFILE), one connection at a time; each
 * request is read whole (head and Content-Length body), then, by MODE:
 *   reset  the first bytes of an answer ("HTTP/1.1 200 OK\r\nContent-Le"),
 *          then the connection is reset (SO_LINGER 0: a TCP RST)
 *   eof    a head announcing 100 bytes of body and 10 of them, then TLS
 *          close_notify and FIN: a truncated body
 *   close  no answer at all, TLS close_notify and FIN
 * Each request is logged on stdout as "MODE METHOD PATH".  No client
 * certificate is asked for.  Stops on SIGTERM. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "tls.h"

/* The request head and its Content-Length body; the request line in line. */
static int
drop_read_request(SSL *ssl, char *line, size_t linelen)
{
	char buf[16384], *end, *cl;
	size_t n = 0, want;
	int r;

	while (n + 1 < sizeof(buf) && (r = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n))) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		want = (size_t)(end + 4 - buf) + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
		while (n < want && n + 1 < sizeof(buf) &&
		    (r = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n))) > 0)
			n += (size_t)r;
		snprintf(line, linelen, "%.*s", (int)strcspn(buf, "\r\n"), buf);
		return 0;
	}
	return -1;
}

static void
drop_answer(SSL *ssl, int fd, const char *mode)
{
	static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Le";
	static const char shortbody[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 100\r\n\r\n{\"value\":";
	struct linger lg = { 1, 0 };

	if (strcmp(mode, "reset") == 0) {
		SSL_write(ssl, cut, (int)strlen(cut));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		return;
	}
	if (strcmp(mode, "eof") == 0)
		SSL_write(ssl, shortbody, (int)strlen(shortbody));
	SSL_shutdown(ssl);
}

static void
drop_serve(SSL_CTX *ctx, int lfd, const char *mode)
{
	char line[512];
	SSL *ssl;
	int fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if ((ssl = SSL_new(ctx)) != NULL && SSL_set_fd(ssl, fd) == 1 &&
		    SSL_accept(ssl) == 1 && drop_read_request(ssl, line, sizeof(line)) == 0) {
			printf("%s %s\n", mode, line);
			fflush(stdout);
			drop_answer(ssl, fd, mode);
		}
		SSL_free(ssl);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	char err[512] = "";
	SSL_CTX *ctx;
	FILE *fp;
	int lfd;

	if (argc != 5 || (strcmp(argv[4], "reset") != 0 && strcmp(argv[4], "eof") != 0 &&
	    strcmp(argv[4], "close") != 0)) {
		fprintf(stderr, "usage: drop_server CERT KEY PORTFILE reset|eof|close\n");
		return 2;
	}
	if ((ctx = ndes_tls_server_ctx(argv[1], argv[2], NULL, NDES_TLS_CLIENT_AUTH_NONE, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "drop_server: %s\n", err);
		return 1;
	}
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1) {
		perror("drop_server: listen");
		return 1;
	}
	if ((fp = fopen(argv[3], "w")) == NULL || fprintf(fp, "%u\n", ntohs(sin.sin_port)) < 0 ||
	    fclose(fp) != 0) {
		perror(argv[3]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	drop_serve(ctx, lfd, argv[4]);
	return 0;
}
