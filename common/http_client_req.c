/* HTTP client objects and request building.  See http_client.h. */
#include "http_client_priv.h"
#include "uuid.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <openssl/crypto.h>

#define CLIENT_DEFAULT_TIMEOUT_MS 30000
#define CLIENT_DEFAULT_MAX_RESPONSE (16 * 1024 * 1024)

static pthread_once_t client_curl_once = PTHREAD_ONCE_INIT;
static CURLcode client_curl_init_rc = CURLE_FAILED_INIT;

static void
client_curl_init(void)
{
	client_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "host" or "[v6]" */
static void
client_bracket(const char *host, char *buf, size_t len)
{
	bool v6 = strchr(host, ':') != NULL;

	snprintf(buf, len, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
}

static char *
client_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
client_printf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

/* Scheme, host, port and path prefix of base_url. */
static int
client_parse_url(struct ndes_http_client *c, const char *url, char *err, size_t errlen)
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
	c->https = strcmp(scheme, "https") == 0;
	port = evhttp_uri_get_port(uri);
	c->port = (uint16_t)(port > 0 ? port : c->https ? 443 : 80);
	hlen = strlen(host);
	c->host = host[0] == '[' && hlen > 2 ? strndup(host + 1, hlen - 2) : strdup(host);
	c->path_prefix = strdup(path ? path : "");
	if (c->path_prefix != NULL && (hlen = strlen(c->path_prefix)) > 0 &&
	    c->path_prefix[hlen - 1] == '/')
		c->path_prefix[hlen - 1] = '\0';
	evhttp_uri_free(uri);
	return c->host && c->path_prefix ? 0 : -1;
}

/* The start of every URL.  With tls_server_name, the URL names it (SNI,
 * Host) and curl connects to the real host instead (CURLOPT_CONNECT_TO). */
static int
client_set_origin(struct ndes_http_client *c, const char *tls_name)
{
	char host[300], name[300];

	client_bracket(c->host, host, sizeof(host));
	if (c->https && tls_name != NULL) {
		client_bracket(tls_name, name, sizeof(name));
		if ((c->tls_name = strdup(tls_name)) == NULL || (c->connect_to =
		    client_printf("%s:%u:%s:%u", name, c->port, host, c->port)) == NULL)
			return -1;
		memcpy(host, name, sizeof(host));
	}
	c->origin = client_printf("%s://%s:%u%s", c->https ? "https" : "http", host, c->port,
	    c->path_prefix);
	return c->origin != NULL ? 0 : -1;
}

static int
client_set_proxy(struct ndes_http_client *c, const struct ndes_http_client_opts *o,
    char *err, size_t errlen)
{
	char host[300];

	if (o->proxy_host == NULL)
		return 0;
	if (o->proxy_port == 0) {
		snprintf(err, errlen, "proxy %s: no port", o->proxy_host);
		return -1;
	}
	c->proxy_port = o->proxy_port;
	client_bracket(o->proxy_host, host, sizeof(host));
	if (!(c->proxy_host = strdup(o->proxy_host)) ||
	    !(c->proxy_url = client_printf("http://%s:%u", host, o->proxy_port)) ||
	    (o->proxy_user && !(c->proxy_user = strdup(o->proxy_user))) ||
	    (o->proxy_user && !(c->proxy_password = strdup(o->proxy_password ?
	    o->proxy_password : ""))))
		return -1;
	return 0;
}

static int
client_set_opts(struct ndes_http_client *c, const struct ndes_http_client_opts *o,
    char *err, size_t errlen)
{
	if (client_parse_url(c, o->base_url, err, errlen) != 0)
		return -1;
	if (c->https && o->tls == NULL) {
		snprintf(err, errlen, "https needs a TLS client context");
		return -1;
	}
	if (c->https && SSL_CTX_up_ref(o->tls))
		c->tls = o->tls;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
	c->max_response = o->max_response_size ? o->max_response_size :
	    CLIENT_DEFAULT_MAX_RESPONSE;
	if (client_set_origin(c, o->tls_server_name) != 0 ||
	    (o->api_version && !(c->api_version = strdup(o->api_version))))
		return -1;
	return client_set_proxy(c, o, err, errlen);
}

void
http_client_opts_free(struct ndes_http_client *c)
{
	SSL_CTX_free(c->tls);
	free(c->host);
	free(c->path_prefix);
	free(c->origin);
	free(c->tls_name);
	free(c->connect_to);
	free(c->api_version);
	free(c->proxy_url);
	free(c->proxy_host);
	free(c->proxy_user);
	if (c->proxy_password != NULL)
		OPENSSL_cleanse(c->proxy_password, strlen(c->proxy_password));
	free(c->proxy_password);
}

struct ndes_http_client *
ndes_http_client_new(struct event_base *base, const struct ndes_http_client_opts *opts,
    char *err, size_t errlen)
{
	struct ndes_http_client *c;

	pthread_once(&client_curl_once, client_curl_init);
	if (client_curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_easy_strerror(client_curl_init_rc));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	TAILQ_INIT(&c->calls);
	LIST_INIT(&c->socks);
	snprintf(err, errlen, "out of memory");
	if (client_set_opts(c, opts, err, errlen) != 0 || http_client_multi_init(c) != 0) {
		http_client_destroy(c);
		return NULL;
	}
	return c;
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

int
ndes_http_client_request(struct ndes_http_client *c, const char *method, const char *path,
    const char *content_type, const void *body, size_t len, const char *const *headers,
    ndes_http_done_cb cb, void *arg)
{
	struct http_call *call;

	if (c->free_pending || cb == NULL || (len > 0 && body == NULL) ||
	    !client_request_ok(method, path, content_type, headers))
		return -1;
	if ((call = calloc(1, sizeof(*call))) == NULL)
		return -1;
	call->client = c;
	call->cb = cb;
	call->arg = arg;
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	if ((call->body = evbuffer_new()) == NULL || ndes_uuid4(call->request_id) != 0 ||
	    http_call_setup(call, method, path, content_type, body, len, headers) != 0 ||
	    http_call_start(call) != 0) {
		TAILQ_REMOVE(&c->calls, call, entry);
		http_call_free(call);
		return -1;
	}
	return 0;
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
