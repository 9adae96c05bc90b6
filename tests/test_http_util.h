/* Helpers for the HTTP tests: a small PKI, a server on its own thread,
 * raw sockets, and a CONNECT proxy. */
#ifndef NDES_TEST_HTTP_UTIL_H
#define NDES_TEST_HTTP_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "http.h"

struct tpki {
	EVP_PKEY *ca_key, *srv_key, *other_key, *rogue_key, *client_key;
	X509 *ca, *srv, *other, *rogue, *client;
	STACK_OF(X509) *cas;   /* just ca */
};
extern struct tpki tpki;

void tpki_setup(void);
void tpki_teardown(void);
/* A certificate for key; ca adds CA:TRUE, san (e.g. "DNS:localhost,IP:127.0.0.1") may be NULL. */
X509 *tpki_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
    bool ca, const char *san);

/* An ndes_http_server running on its own thread and event loop. */
struct tserver {
	struct event_base *base;
	struct ndes_http_server *srv;
	pthread_t thread;
	uint16_t port;
	struct event *stop;
};
/* routes() registers routes before the loop starts. */
struct tserver *tserver_start(SSL_CTX *tls, const struct ndes_http_limits *limits,
    void (*routes)(struct ndes_http_server *, struct event_base *));
void tserver_stop(struct tserver *ts);

/* Blocking TCP to 127.0.0.1:port; -1 on error. */
int tcp_connect(uint16_t port);
/* Send all, ignoring EPIPE; returns bytes sent. */
size_t tcp_send(int fd, const void *buf, size_t len);
/* Read until EOF or timeout (ms); returns a malloc'd NUL-terminated string. */
char *tcp_read_all(int fd, int timeout_ms);
/* A listening socket on 127.0.0.1:0; *port set. */
int tcp_listen(uint16_t *port);

/* A one-connection CONNECT proxy on its own thread. */
struct tproxy {
	int lfd;
	uint16_t port;
	pthread_t thread;
	const char *want_auth;     /* exact Proxy-Authorization value */
	char connect_line[256];    /* the request line it received */
	int answered;              /* status it answered */
};
struct tproxy *tproxy_start(const char *want_auth);
void tproxy_stop(struct tproxy *p);

/* A one-connection server that reads a request head and answers raw bytes. */
struct traw {
	int lfd;
	uint16_t port;
	pthread_t thread;
	const char *response;
	bool silent;               /* accept and never answer (timeouts) */
	bool reset;                /* after the response, reset (RST), not close */
	char request[8192];        /* the head it received */
};
struct traw *traw_start(const char *response, bool silent);
/* The same, the connection reset (SO_LINGER 0) after the response. */
struct traw *traw_start_reset(const char *response);
void traw_stop(struct traw *r);

/* Write text to dir/name with mode; returns the malloc'd path. */
char *write_file(const char *dir, const char *name, const char *text, int mode);
char *pem_key(EVP_PKEY *key);
char *pem_cert(X509 *cert);

#endif
