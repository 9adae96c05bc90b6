/* What a finished curl transfer means for our callers: one of the kinds of
 * http_client.h and a message that names the server.  See http_client.h. */
#include "http_client_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum ndes_http_err err_set(struct http_call *call, enum ndes_http_err kind,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum ndes_http_err
err_set(struct http_call *call, enum ndes_http_err kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(call->errmsg, sizeof(call->errmsg), fmt, ap);
	va_end(ap);
	return kind;
}

static long
err_info_long(struct http_call *call, CURLINFO what)
{
	long v = 0;

	curl_easy_getinfo(call->easy, what, &v);
	return v;
}

/* The system's error number: curl's, or the one its TLS read/write
 * message ends with ("OpenSSL SSL_read: ..., errno 104"). */
static int
err_os_errno(struct http_call *call)
{
	int os = (int)err_info_long(call, CURLINFO_OS_ERRNO);
	const char *at = strstr(call->curl_err, ", errno ");

	if (os == 0 && at != NULL)
		os = atoi(at + 8);
	return os;
}

static const char *
err_target(const struct http_call *call, char *buf, size_t len)
{
	const struct ndes_http_client *c = call->client;
	bool v6 = strchr(c->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port);
	return buf;
}

static const char *
err_curl_text(const struct http_call *call, CURLcode rc)
{
	return call->curl_err[0] != '\0' ? call->curl_err : curl_easy_strerror(rc);
}

static enum ndes_http_err
err_timeout(struct http_call *call, const char *target)
{
	const struct ndes_http_client *c = call->client;
	const char *stage = "waiting for a response from";

	if (call->tls_started && !call->request_sent)
		stage = "in the TLS handshake with";
	else if (!call->request_sent && c->proxy_url != NULL &&
	    err_info_long(call, CURLINFO_PRIMARY_PORT) != 0)
		stage = "waiting for the proxy to connect to";
	else if (!call->request_sent)
		stage = "connecting to";
	return err_set(call, NDES_HTTP_ERR_TIMEOUT, "timed out after %d ms %s %s", c->timeout_ms,
	    stage, target);
}

/* With a proxy: anything before the tunnel stands is the proxy's fault. */
static bool
err_proxy(struct http_call *call, CURLcode rc, enum ndes_http_err *kind)
{
	const struct ndes_http_client *c = call->client;
	long code = err_info_long(call, CURLINFO_HTTP_CONNECTCODE);
	int os = (int)err_info_long(call, CURLINFO_OS_ERRNO);

	if (c->proxy_url == NULL || (code >= 200 && code <= 299))
		return false;
	if (rc == CURLE_COULDNT_RESOLVE_PROXY)
		*kind = err_set(call, NDES_HTTP_ERR_PROXY, "cannot resolve proxy %s: %s",
		    c->proxy_host, err_curl_text(call, rc));
	else if (rc == CURLE_COULDNT_CONNECT)
		*kind = err_set(call, NDES_HTTP_ERR_PROXY, "cannot connect to proxy %s:%u: %s",
		    c->proxy_host, c->proxy_port, strerror(os ? os : ECONNREFUSED));
	else if (code != 0)
		*kind = err_set(call, NDES_HTTP_ERR_PROXY, "proxy %s:%u refused CONNECT: %ld",
		    c->proxy_host, c->proxy_port, code);
	else
		*kind = err_set(call, NDES_HTTP_ERR_PROXY, "proxy %s:%u closed the connection "
		    "during CONNECT (%s)", c->proxy_host, c->proxy_port, err_curl_text(call, rc));
	return true;
}

static enum ndes_http_err
err_tls(struct http_call *call, CURLcode rc, const char *target)
{
	long verify = err_info_long(call, CURLINFO_SSL_VERIFYRESULT);

	/* curl says PEER_FAILED_VERIFICATION for our verification of the
	 * server and for the server's "certificate expired" alert about ours:
	 * only the first has a verify result */
	if (rc == CURLE_PEER_FAILED_VERIFICATION && verify != X509_V_OK &&
	    verify != X509_V_ERR_UNSPECIFIED)
		return err_set(call, NDES_HTTP_ERR_TLS_UNTRUSTED, "TLS with %s failed: certificate "
		    "verify failed: %s", target, X509_verify_cert_error_string(verify));
	return err_set(call, NDES_HTTP_ERR_TLS, "TLS with %s failed: %s", target,
	    err_curl_text(call, rc));
}

/* The connection ended before the response was complete: a network
 * failure, said as precisely as we can; or TLS refused us (an alert). */
static enum ndes_http_err
err_dropped(struct http_call *call, CURLcode rc, const char *target)
{
	const char *when = call->head_seen ? "mid-response" : "without a response";
	int os = err_os_errno(call);

	/* an alert: "OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert ..." */
	if (os == 0 && strstr(call->curl_err, "SSL routines") != NULL)
		return err_tls(call, rc, target);
	if (os == ECONNRESET || os == EPIPE)
		return err_set(call, NDES_HTTP_ERR_DROPPED, "%s reset the connection %s", target,
		    when);
	if (rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE || os == 0)
		return err_set(call, NDES_HTTP_ERR_DROPPED, "%s closed the connection %s", target,
		    when);
	return err_set(call, NDES_HTTP_ERR_DROPPED, "the connection to %s broke %s: %s", target,
	    when, strerror(os));
}

static enum ndes_http_err
err_malformed(struct http_call *call, CURLcode rc)
{
	if (call->body_too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return err_set(call, NDES_HTTP_ERR_PROTOCOL, "malformed HTTP response: body too large");
	if (!call->head_seen)
		return err_set(call, NDES_HTTP_ERR_PROTOCOL, "malformed HTTP response: bad status line");
	return err_set(call, NDES_HTTP_ERR_PROTOCOL, "malformed HTTP response: %s",
	    err_curl_text(call, rc));
}

enum ndes_http_err
http_call_classify(struct http_call *call, CURLcode rc)
{
	char target[300];
	enum ndes_http_err kind;

	err_target(call, target, sizeof(target));
	if (rc == CURLE_OK && !call->head_done)
		return err_set(call, NDES_HTTP_ERR_DROPPED, "%s closed the connection mid-response",
		    target);
	if (rc == CURLE_OK)
		return NDES_HTTP_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return err_timeout(call, target);
	if (err_proxy(call, rc, &kind))
		return kind;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return err_set(call, NDES_HTTP_ERR_UNREACHABLE, "cannot resolve %s: %s",
		    call->client->host, err_curl_text(call, rc));
	case CURLE_COULDNT_CONNECT:
		return err_set(call, NDES_HTTP_ERR_UNREACHABLE, "cannot connect to %s: %s", target,
		    strerror((int)err_info_long(call, CURLINFO_OS_ERRNO) ?: ECONNREFUSED));
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CLIENTCERT:
		return err_tls(call, rc, target);
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return err_dropped(call, rc, target);
	default:
		return err_malformed(call, rc);
	}
}
