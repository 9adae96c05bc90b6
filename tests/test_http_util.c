#include "test_http_util.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <event2/thread.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/testpki.h"

struct tpki tpki;

static void
tpki_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

X509 *
tpki_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
    const char *san)
{
	X509 *cert = testpki_cert(key, cn, issuer, issuer_key, -60, 1);

	tpki_ext(cert, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (san != NULL)
		tpki_ext(cert, issuer, NID_subject_alt_name, san);
	X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
	return cert;
}

void
tpki_setup(void)
{
	evthread_use_pthreads();
	tpki.ca_key = testpki_key("ec-p256");
	tpki.ca = tpki_cert(tpki.ca_key, "Test CA", NULL, NULL, true, NULL);
	tpki.srv_key = testpki_key("ec-p256");
	tpki.srv = tpki_cert(tpki.srv_key, "localhost", tpki.ca, tpki.ca_key, false,
	    "DNS:localhost,IP:127.0.0.1");
	tpki.other_key = testpki_key("ec-p256");
	tpki.other = tpki_cert(tpki.other_key, "other.example", tpki.ca, tpki.ca_key, false,
	    "DNS:other.example");
	tpki.rogue_key = testpki_key("ec-p256");
	tpki.rogue = tpki_cert(tpki.rogue_key, "rogue", NULL, NULL, false,
	    "DNS:localhost,IP:127.0.0.1");
	tpki.client_key = testpki_key("ec-p256");
	tpki.client = tpki_cert(tpki.client_key, "connector-1", tpki.ca, tpki.ca_key, false, NULL);
	tpki.cas = sk_X509_new_null();
	sk_X509_push(tpki.cas, tpki.ca);
}

void
tpki_teardown(void)
{
	EVP_PKEY *keys[] = { tpki.ca_key, tpki.srv_key, tpki.other_key, tpki.rogue_key,
	    tpki.client_key };
	X509 *certs[] = { tpki.ca, tpki.srv, tpki.other, tpki.rogue, tpki.client };

	for (size_t i = 0; i < 5; i++) {
		EVP_PKEY_free(keys[i]);
		X509_free(certs[i]);
	}
	sk_X509_free(tpki.cas);
	memset(&tpki, 0, sizeof(tpki));
}

/* ---- server thread ---- */

/* Free the server on its own loop, then give the loop a moment to run the
 * deferred callbacks and finalizers of the closed connections. */
static void
tserver_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tserver *ts = arg;
	struct timeval tv = { 0, 20000 };

	ndes_http_server_free(ts->srv);
	ts->srv = NULL;
	event_base_loopexit(ts->base, &tv);
}

static void *
tserver_main(void *arg)
{
	struct tserver *ts = arg;

	event_base_loop(ts->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

struct tserver *
tserver_start(SSL_CTX *tls, const struct ndes_http_limits *limits,
    void (*routes)(struct ndes_http_server *, struct event_base *))
{
	struct tserver *ts = calloc(1, sizeof(*ts));
	char err[256] = "";

	ts->base = event_base_new();
	ts->srv = ndes_http_server_new(ts->base, "127.0.0.1", 0, tls, limits, err, sizeof(err));
	if (ts->srv == NULL) {
		fprintf(stderr, "server: %s\n", err);
		abort();
	}
	ts->port = ndes_http_server_port(ts->srv);
	if (routes != NULL)
		routes(ts->srv, ts->base);
	ts->stop = event_new(ts->base, -1, 0, tserver_stop_cb, ts);
	pthread_create(&ts->thread, NULL, tserver_main, ts);
	return ts;
}

void
tserver_stop(struct tserver *ts)
{
	/* Activated before the loop runs, it still runs once the loop does. */
	event_active(ts->stop, EV_TIMEOUT, 0);
	pthread_join(ts->thread, NULL);
	event_free(ts->stop);
	event_base_free(ts->base);
	free(ts);
}

/* ---- sockets ---- */

int
tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
tcp_listen(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 8) != 0 || getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		abort();
	*port = ntohs(sin.sin_port);
	return fd;
}

size_t
tcp_send(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return off;
}

char *
tcp_read_all(int fd, int timeout_ms)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (poll(&pfd, 1, timeout_ms) == 1) {
		ssize_t n;

		if (len + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		if ((n = recv(fd, buf + len, cap - len - 1, 0)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* Read a request head (up to the blank line) into buf. */
static int
read_head(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n = recv(fd, buf + len, 1, 0);

		if (n <= 0)
			return -1;
		len++;
		buf[len] = '\0';
		if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	return -1;
}

/* ---- CONNECT proxy ---- */

static void
relay(int a, int b)
{
	struct pollfd pfd[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	char buf[16384];

	while (poll(pfd, 2, 5000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((n = recv(pfd[i].fd, buf, sizeof(buf), 0)) <= 0 ||
			    tcp_send(pfd[1 - i].fd, buf, (size_t)n) != (size_t)n)
				return;
		}
	}
}

static void *
tproxy_main(void *arg)
{
	struct tproxy *p = arg;
	char head[4096], want[300], *auth;
	unsigned port = 0;
	struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };
	int fd = poll(&pfd, 1, 5000) == 1 ? accept(p->lfd, NULL, NULL) : -1, up;

	if (fd == -1 || read_head(fd, head, sizeof(head)) != 0)
		goto out;
	sscanf(head, "%255[^\r]", p->connect_line);
	snprintf(want, sizeof(want), "\r\nProxy-Authorization: %s\r\n", p->want_auth);
	auth = strstr(head, want);
	if (auth == NULL || sscanf(head, "CONNECT 127.0.0.1:%u HTTP/1.1", &port) != 1) {
		p->answered = 407;
		dprintf(fd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
		    "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
		goto out;
	}
	if ((up = tcp_connect((uint16_t)port)) == -1) {
		p->answered = 502;
		dprintf(fd, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
		goto out;
	}
	p->answered = 200;
	dprintf(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
	relay(fd, up);
	close(up);
out:
	if (fd != -1)
		close(fd);
	return NULL;
}

struct tproxy *
tproxy_start(const char *want_auth)
{
	struct tproxy *p = calloc(1, sizeof(*p));

	p->want_auth = want_auth;
	p->lfd = tcp_listen(&p->port);
	pthread_create(&p->thread, NULL, tproxy_main, p);
	return p;
}

void
tproxy_stop(struct tproxy *p)
{
	if (p->thread != 0)
		pthread_join(p->thread, NULL);
	close(p->lfd);
	free(p);
}

/* ---- raw server ---- */

static void *
traw_main(void *arg)
{
	struct traw *r = arg;
	int fd = accept(r->lfd, NULL, NULL);

	if (fd == -1)
		return NULL;
	if (r->silent) {
		char c;

		while (recv(fd, &c, 1, 0) > 0)
			;
	} else if (read_head(fd, r->request, sizeof(r->request)) == 0) {
		const char *cl = strstr(r->request, "\r\nContent-Length: ");
		char body[256];
		size_t want = cl ? strtoul(cl + 18, NULL, 10) : 0, got = 0;
		ssize_t n;

		while (got < want && got < sizeof(body) &&
		    (n = recv(fd, body, want - got, 0)) > 0)
			got += (size_t)n;
		tcp_send(fd, r->response, strlen(r->response));
	}
	if (r->reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
		    sizeof(struct linger));
	close(fd);
	return NULL;
}

static struct traw *
traw_run(const char *response, bool silent, bool reset)
{
	struct traw *r = calloc(1, sizeof(*r));

	r->response = response;
	r->silent = silent;
	r->reset = reset;
	r->lfd = tcp_listen(&r->port);
	pthread_create(&r->thread, NULL, traw_main, r);
	return r;
}

struct traw *
traw_start(const char *response, bool silent)
{
	return traw_run(response, silent, false);
}

struct traw *
traw_start_reset(const char *response)
{
	return traw_run(response, false, true);
}

void
traw_stop(struct traw *r)
{
	shutdown(r->lfd, SHUT_RDWR);
	pthread_join(r->thread, NULL);
	close(r->lfd);
	free(r);
}

/* ---- files ---- */

char *
write_file(const char *dir, const char *name, const char *text, int mode)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, (mode_t)mode) != 0)
		abort();
	close(fd);
	return path;
}

static char *
bio_text(BIO *bio)
{
	char *data, *out;
	long len = BIO_get_mem_data(bio, &data);

	out = strndup(data, (size_t)len);
	BIO_free(bio);
	return out;
}

char *
pem_key(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());

	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	return bio_text(bio);
}

char *
pem_cert(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());

	PEM_write_bio_X509(bio, cert);
	return bio_text(bio);
}
