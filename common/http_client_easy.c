/* One request as a curl easy handle.  See http_client.h. */
#include "http_client_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CURLOPT_WRITEFUNCTION: the body, bounded by max_response. */
static size_t
easy_write(char *data, size_t size, size_t n, void *arg)
{
	struct http_call *call = arg;

	if (evbuffer_get_length(call->body) + n > call->client->max_response) {
		call->body_too_large = true;
		return 0;
	}
	return evbuffer_add(call->body, data, n) == 0 ? n : 0;
}

/* CURLOPT_HEADERFUNCTION: notes where the response is (curl keeps the
 * headers; a server that closes before the blank line still gets a "done"
 * from curl, so we watch for that line ourselves). */
static size_t
easy_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_call *call = arg;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		call->head_seen = true;
		call->head_done = false;	/* a 1xx is followed by another head */
	} else if (n <= 2 && (data[0] == '\r' || data[0] == '\n')) {
		call->head_done = true;
	}
	return n;
}

/* CURLOPT_PREREQFUNCTION: connected (tunnel and TLS done), request next. */
static int
easy_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
    int conn_local_port)
{
	struct http_call *call = arg;

	call->request_sent = true;
	return CURL_PREREQFUNC_OK;
}

static int
easy_add_header(struct http_call *call, const char *name, const char *value)
{
	char line[1024];
	struct curl_slist *l;

	if ((size_t)snprintf(line, sizeof(line), "%s:%s%s", name, value ? " " : "",
	    value ? value : "") >= sizeof(line) || (l = curl_slist_append(call->headers,
	    line)) == NULL)
		return -1;
	call->headers = l;
	return 0;
}

/* Ours first, then the caller's; curl adds Host and Content-Length. */
static int
easy_headers(struct http_call *call, const char *content_type, const char *const *headers)
{
	const struct ndes_http_client *c = call->client;
	int rc = 0;

	rc |= easy_add_header(call, "Accept", NULL);
	rc |= easy_add_header(call, "Expect", NULL);
	rc |= easy_add_header(call, "client-request-id", call->request_id);
	if (c->api_version != NULL)
		rc |= easy_add_header(call, "api-version", c->api_version);
	rc |= easy_add_header(call, "Content-Type", content_type);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
		rc |= easy_add_header(call, headers[i], headers[i + 1]);
	return rc;
}

/* The method and the body.  Every method but GET and HEAD says its
 * Content-Length, 0 too. */
static int
easy_method(CURL *e, const char *method, const void *body, size_t len)
{
	CURLcode rc = CURLE_OK;

	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : -1;
	if (strcmp(method, "GET") == 0 && len == 0)
		return 0;
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	/* copied: the caller's body may be gone before the request is sent */
	rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, len > 0 ? body : "");
	if (strcmp(method, "POST") != 0)
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	return rc == CURLE_OK ? 0 : -1;
}

static int
easy_tls(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	CURL *e = call->easy;
	CURLcode rc = CURLE_OK;

	if (!c->https)
		return 0;
	/* our own store replaces curl's: load no bundle, check the host in
	 * OpenSSL (http_client_ssl_ctx) */
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, http_client_ssl_ctx);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, call);
	rc |= curl_easy_setopt(e, CURLOPT_SHARE, c->share);
	if (c->connect_to != NULL) {
		struct curl_slist *to = curl_slist_append(NULL, c->connect_to);

		if (to == NULL)
			return -1;
		call->connect_to = to;
		rc |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, to);
	}
	return rc == CURLE_OK ? 0 : -1;
}

/* An HTTP proxy tunnels every connection; "" ignores the environment's. */
static int
easy_proxy(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	CURL *e = call->easy;
	CURLcode rc = CURLE_OK;

	rc |= curl_easy_setopt(e, CURLOPT_PROXY, c->proxy_url ? c->proxy_url : "");
	if (c->proxy_url == NULL)
		return rc == CURLE_OK ? 0 : -1;
	rc |= curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	if (c->proxy_user != NULL) {
		rc |= curl_easy_setopt(e, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC);
		rc |= curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, c->proxy_user);
		rc |= curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, c->proxy_password);
	}
	return rc == CURLE_OK ? 0 : -1;
}

static int
easy_basics(struct http_call *call)
{
	const struct ndes_http_client *c = call->client;
	CURL *e = call->easy;
	CURLcode rc = CURLE_OK;

	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, call);
	rc |= curl_easy_setopt(e, CURLOPT_URL, call->url);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->curl_err);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, easy_write);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, easy_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
	rc |= curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, easy_prereq);
	rc |= curl_easy_setopt(e, CURLOPT_PREREQDATA, call);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
	return rc == CURLE_OK ? 0 : -1;
}

int
http_call_setup(struct http_call *call, const char *method, const char *path,
    const char *content_type, const void *body, size_t len, const char *const *headers)
{
	const struct ndes_http_client *c = call->client;

	if (asprintf(&call->url, "%s%s", c->origin, path) < 0) {
		call->url = NULL;
		return -1;
	}
	if ((call->easy = curl_easy_init()) == NULL ||
	    easy_headers(call, content_type, headers) != 0 || easy_basics(call) != 0 ||
	    easy_method(call->easy, method, body, len) != 0 || easy_tls(call) != 0 ||
	    easy_proxy(call) != 0)
		return -1;
	return 0;
}
