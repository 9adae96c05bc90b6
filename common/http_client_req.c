/* HTTP client objects and request building.  See http_client.h. */
#include "http_client_priv.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <openssl/evp.h>

#define CLIENT_DEFAULT_TIMEOUT_MS 30000
#define CLIENT_DEFAULT_MAX_RESPONSE (16 * 1024 * 1024)

static char *
client_basic_auth(const char *user, const char *password)
{
	size_t ulen = strlen(user), plen = password ? strlen(password) : 0, n = ulen + 1 + plen;
	unsigned char *raw = malloc(n + 1);
	char *out = malloc(sizeof("Basic ") + 4 * ((n + 2) / 3) + 1);

	if (raw == NULL || out == NULL) {
		free(raw);
		free(out);
		return NULL;
	}
	snprintf((char *)raw, n + 1, "%s:%s", user, password ? password : "");
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)n);
	OPENSSL_cleanse(raw, n);
	free(raw);
	return out;
}

/* Scheme, host, port and path prefix of base_url. */
static int
client_parse_url(struct ndes_http_client *c, const char *url, bool *https,
    char *err, size_t errlen)
{
	struct evhttp_uri *uri = url ? evhttp_uri_parse(url) : NULL;
	const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	size_t hlen;
	int port;

	if (scheme == NULL || host == NULL || host[0] == '\0' ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
		snprintf(err, errlen, "base URL \"%s\" is not http(s)://host[:port]",
		    url ? url : "");
		evhttp_uri_free(uri);
		return -1;
	}
	*https = strcmp(scheme, "https") == 0;
	port = evhttp_uri_get_port(uri);
	c->port = (uint16_t)(port > 0 ? port : *https ? 443 : 80);
	hlen = strlen(host);
	if (host[0] == '[' && hlen > 2)
		c->host = strndup(host + 1, hlen - 2);
	else
		c->host = strdup(host);
	c->path_prefix = strdup(path ? path : "");
	if (c->path_prefix != NULL && (hlen = strlen(c->path_prefix)) > 0 &&
	    c->path_prefix[hlen - 1] == '/')
		c->path_prefix[hlen - 1] = '\0';
	evhttp_uri_free(uri);
	return c->host && c->path_prefix ? 0 : -1;
}

static int
client_set_opts(struct ndes_http_client *c, const struct ndes_http_client_opts *o,
    char *err, size_t errlen)
{
	bool https;

	if (client_parse_url(c, o->base_url, &https, err, errlen) != 0)
		return -1;
	if (https && o->tls == NULL) {
		snprintf(err, errlen, "https needs a TLS client context");
		return -1;
	}
	if (https && SSL_CTX_up_ref(o->tls))
		c->tls = o->tls;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
	c->max_response = o->max_response_size ? o->max_response_size :
	    CLIENT_DEFAULT_MAX_RESPONSE;
	if ((o->tls_server_name && !(c->tls_name = strdup(o->tls_server_name))) ||
	    (o->api_version && !(c->api_version = strdup(o->api_version))))
		return -1;
	if (o->proxy_host == NULL)
		return 0;
	if (o->proxy_port == 0) {
		snprintf(err, errlen, "proxy %s: no port", o->proxy_host);
		return -1;
	}
	c->proxy_port = o->proxy_port;
	if (!(c->proxy_host = strdup(o->proxy_host)) ||
	    (o->proxy_user && !(c->proxy_auth = client_basic_auth(o->proxy_user,
	    o->proxy_password))))
		return -1;
	return 0;
}

struct ndes_http_client *
ndes_http_client_new(struct event_base *base, const struct ndes_http_client_opts *opts,
    char *err, size_t errlen)
{
	struct ndes_http_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	TAILQ_INIT(&c->calls);
	snprintf(err, errlen, "out of memory");
	if (client_set_opts(c, opts, err, errlen) != 0) {
		ndes_http_client_free(c);
		return NULL;
	}
	return c;
}

void
ndes_http_client_free(struct ndes_http_client *c)
{
	struct http_call *call;

	if (c == NULL)
		return;
	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		http_call_free(call);
	}
	SSL_CTX_free(c->tls);
	free(c->host);
	free(c->path_prefix);
	free(c->tls_name);
	free(c->api_version);
	free(c->proxy_host);
	if (c->proxy_auth != NULL)
		OPENSSL_cleanse(c->proxy_auth, strlen(c->proxy_auth));
	free(c->proxy_auth);
	free(c);
}

/* No CR, LF or other control characters (nor spaces when !spaces). */
static bool
client_text_ok(const char *s, bool spaces)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (!spaces && *s == ' '))
			return false;
	}
	return true;
}

static bool
client_request_ok(const char *method, const char *path, const char *content_type,
    const char *const *headers)
{
	if (method == NULL || method[0] == '\0' || !client_text_ok(method, false) ||
	    path == NULL || path[0] != '/' || !client_text_ok(path, false) ||
	    (content_type != NULL && !client_text_ok(content_type, true)))
		return false;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2) {
		if (headers[i + 1] == NULL || headers[i][0] == '\0' ||
		    !client_text_ok(headers[i], false) || strchr(headers[i], ':') != NULL ||
		    !client_text_ok(headers[i + 1], true))
			return false;
	}
	return true;
}

static int
client_build(const struct ndes_http_client *c, struct http_call *call, const char *method,
    const char *path, const char *content_type, const void *body, size_t len,
    const char *const *headers)
{
	struct evbuffer *b = call->request;
	bool v6 = strchr(c->host, ':') != NULL;
	int rc = 0;

	rc |= evbuffer_add_printf(b, "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
	    "Connection: close\r\nclient-request-id: %s\r\n", method, c->path_prefix, path,
	    v6 ? "[" : "", c->host, v6 ? "]" : "", c->port, call->request_id) < 0;
	if (c->api_version != NULL)
		rc |= evbuffer_add_printf(b, "api-version: %s\r\n", c->api_version) < 0;
	if (content_type != NULL)
		rc |= evbuffer_add_printf(b, "Content-Type: %s\r\n", content_type) < 0;
	if (len > 0 || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
		rc |= evbuffer_add_printf(b, "Content-Length: %zu\r\n", len) < 0;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
		rc |= evbuffer_add_printf(b, "%s: %s\r\n", headers[i], headers[i + 1]) < 0;
	rc |= evbuffer_add(b, "\r\n", 2);
	if (len > 0)
		rc |= evbuffer_add(b, body, len);
	return rc ? -1 : 0;
}

int
ndes_http_client_request(struct ndes_http_client *c, const char *method, const char *path,
    const char *content_type, const void *body, size_t len, const char *const *headers,
    ndes_http_done_cb cb, void *arg)
{
	struct http_call *call;

	if (cb == NULL || (len > 0 && body == NULL) ||
	    !client_request_ok(method, path, content_type, headers))
		return -1;
	if ((call = calloc(1, sizeof(*call))) == NULL)
		return -1;
	call->client = c;
	call->fd = -1;
	call->cb = cb;
	call->arg = arg;
	call->head_request = strcmp(method, "HEAD") == 0;
	TAILQ_INIT(&call->headers);
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	if ((call->request = evbuffer_new()) == NULL || (call->body = evbuffer_new()) == NULL ||
	    ndes_uuid4(call->request_id) != 0 ||
	    client_build(c, call, method, path, content_type, body, len, headers) != 0 ||
	    http_call_start(call) != 0) {
		TAILQ_REMOVE(&c->calls, call, entry);
		http_call_free(call);
		return -1;
	}
	return 0;
}

const char *
ndes_http_result_header(const struct ndes_http_result *res, const char *name)
{
	return evhttp_find_header(&res->priv->headers, name);
}

json_t *
ndes_http_result_json(const struct ndes_http_result *res, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *body = json_loadb(res->body, res->len, 0, &jerr);

	if (body == NULL)
		snprintf(err, errlen, "response body is not valid JSON: %s at line %d, column %d",
		    jerr.text, jerr.line, jerr.column);
	return body;
}
