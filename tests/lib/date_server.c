/* date_server CERT KEY PORTFILE DATE: a stand-in for the cloud whose clock
 * is wrong, for `ndes-connector diagnose`'s clock-skew check.  HTTPS on
 * 127.0.0.1 (ephemeral port, written to PORTFILE); every GET is answered
 * 200 {"value": []} with "Date: DATE" (libevent adds no Date of its own
 * when the answer has one).  No client certificate is asked for.  Stops on
 * SIGTERM. */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "tls.h"

static void
date_reply(struct ndes_http_request *req, void *arg)
{
	ndes_http_set_header(req, "Date", arg);
	ndes_http_reply_json(req, 200, json_pack("{s:[]}", "value"));
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct ndes_http_server *srv;
	SSL_CTX *tls;
	char err[512] = "out of memory or a bad route";
	FILE *fp;

	if (argc != 5) {
		fprintf(stderr, "usage: date_server CERT KEY PORTFILE DATE\n");
		return 2;
	}
	if ((base = event_base_new()) == NULL ||
	    (tls = ndes_tls_server_ctx(argv[1], argv[2], NULL, NDES_TLS_CLIENT_AUTH_NONE, err,
	    sizeof(err))) == NULL ||
	    (srv = ndes_http_server_new(base, "127.0.0.1", 0, tls, NULL, err,
	    sizeof(err))) == NULL ||
	    ndes_http_route_prefix(srv, "GET", "/", date_reply, argv[4]) == -1) {
		fprintf(stderr, "date_server: %s\n", err);
		return 1;
	}
	if ((fp = fopen(argv[3], "w")) == NULL ||
	    fprintf(fp, "%u\n", (unsigned)ndes_http_server_port(srv)) < 0 || fclose(fp) != 0) {
		perror(argv[3]);
		return 1;
	}
	event_base_dispatch(base);
	return 0;
}
