/* The metrics listener (metrics_server.h). */
#include "metrics_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "log.h"
#include "metrics.h"
#include "metrics_config.h"

struct ndes_metrics_server {
	struct evhttp		*http;
	struct ndes_metrics	*m;
	char			*unix_path;	/* NULL: TCP */
};

static void
metrics_reply(struct evhttp_request *req, void *arg)
{
	struct ndes_metrics_server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t len;
	char *text;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	if ((text = ndes_metrics_render(s->m, &len)) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evbuffer_add(out, text, len);
	free(text);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* A listening Unix socket at path (a stale socket there replaced), 0660. */
static int
metrics_unix_fd(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || chmod(path, 0660) == -1 ||
	    listen(fd, 64) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
metrics_listen_unix(struct ndes_metrics_server *s, struct event_base *base,
    const char *path)
{
	struct evconnlistener *lev;
	int fd;

	if ((s->unix_path = strdup(path)) == NULL || (fd = metrics_unix_fd(path)) == -1)
		return -1;
	lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, fd);
	if (lev == NULL || evhttp_bind_listener(s->http, lev) == NULL) {
		if (lev != NULL)
			evconnlistener_free(lev);
		else
			close(fd);
		return -1;
	}
	log_info("metrics: listening on %s", path);
	return 0;
}

static int
metrics_listen_tcp(struct ndes_metrics_server *s, const char *listen)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256];
	unsigned port;

	if (!ndes_metrics_listen_tcp(listen, host, sizeof(host), &port)) {
		errno = EINVAL;
		return -1;
	}
	if ((bound = evhttp_bind_socket_with_handle(s->http, host, (uint16_t)port)) == NULL)
		return -1;
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	log_info("metrics: listening on %s%s%s:%u", strchr(host, ':') ? "[" : "", host,
	    strchr(host, ':') ? "]" : "", port);
	return 0;
}

struct ndes_metrics_server *
ndes_metrics_server_new(struct event_base *base, const char *listen, struct ndes_metrics *m,
    char *err, size_t errlen)
{
	struct ndes_metrics_server *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL || (s->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		free(s);
		return NULL;
	}
	s->m = m;
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(s->http, 8192);
	evhttp_set_max_body_size(s->http, 0);
	evhttp_set_timeout(s->http, 10);
	evhttp_set_gencb(s->http, metrics_reply, s);
	rc = listen[0] == '/' ? metrics_listen_unix(s, base, listen) :
	    metrics_listen_tcp(s, listen);
	if (rc == -1) {
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", listen, strerror(errno));
		ndes_metrics_server_free(s);
		return NULL;
	}
	return s;
}

void
ndes_metrics_server_free(struct ndes_metrics_server *s)
{
	if (s == NULL)
		return;
	evhttp_free(s->http);
	if (s->unix_path != NULL)
		unlink(s->unix_path);
	free(s->unix_path);
	free(s);
}
