/* Local requests: a handler called without a connection, its reply
 * captured (tests, fuzzing).  See http.h. */
#include "http.h"
#include "http_priv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

struct http_local {
	struct evkeyvalq in_headers;
	struct evkeyvalq out_headers;
	char *method;
	struct ndes_http_captured *out;
};

static int
local_target(struct http_request_full *full, const char *target)
{
	const char *q = strchr(target, '?');
	size_t n = q != NULL ? (size_t)(q - target) : strlen(target);

	if ((full->priv.path = strndup(target, n)) == NULL)
		return -1;
	full->pub.path = full->priv.path;
	return q != NULL && evhttp_parse_query_str(q + 1, &full->priv.query) != 0 ? -1 : 0;
}

struct ndes_http_request *
ndes_http_request_local(const char *method, const char *target, const void *body,
    size_t len, const char *const *headers, X509 *client_cert,
    struct ndes_http_captured *out)
{
	struct http_request_full *full = calloc(1, sizeof(*full));
	struct http_local *l = calloc(1, sizeof(*l));

	memset(out, 0, sizeof(*out));
	if (full == NULL || l == NULL) {
		free(full);
		free(l);
		return NULL;
	}
	TAILQ_INIT(&full->priv.query);
	TAILQ_INIT(&l->in_headers);
	TAILQ_INIT(&l->out_headers);
	full->pub.priv = &full->priv;
	full->priv.local = l;
	l->out = out;
	if ((full->pub.method = l->method = strdup(method)) == NULL ||
	    local_target(full, target) != 0)
		goto fail;
	for (size_t i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		if (evhttp_add_header(&l->in_headers, headers[i], headers[i + 1]) != 0)
			goto fail;
	full->pub.body = len > 0 ? body : NULL;
	full->pub.body_len = len;
	if (client_cert != NULL && X509_up_ref(client_cert))
		full->pub.client_cert = client_cert;
	snprintf(full->pub.peer, sizeof(full->pub.peer), "local");
	return &full->pub;
fail:
	http_request_view_free(&full->pub);
	return NULL;
}

const char *
http_local_header(const struct http_local *l, const char *name)
{
	return evhttp_find_header(&l->in_headers, name);
}

int
http_local_set_header(struct http_local *l, const char *name, const char *value)
{
	return evhttp_add_header(&l->out_headers, name, value);
}

void
http_local_reply(struct http_local *l, int status, const char *content_type,
    const void *body, size_t len)
{
	struct ndes_http_captured *out = l->out;

	ndes_http_captured_clear(out);
	out->status = status;
	out->content_type = content_type != NULL && len > 0 ? strdup(content_type) : NULL;
	if ((out->body = malloc(len + 1)) != NULL) {
		if (len > 0)
			memcpy(out->body, body, len);
		out->body[len] = '\0';
		out->len = len;
	}
}

void
http_local_free(struct http_local *l)
{
	if (l == NULL)
		return;
	evhttp_clear_headers(&l->in_headers);
	evhttp_clear_headers(&l->out_headers);
	free(l->method);
	free(l);
}

void
ndes_http_captured_clear(struct ndes_http_captured *c)
{
	free(c->content_type);
	free(c->body);
	memset(c, 0, sizeof(*c));
}
