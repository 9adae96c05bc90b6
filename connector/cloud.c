/* The connection to the cloud (see cloud.h). */
#include "cloud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events.h"
#include "text.h"
#include "tls.h"

int
conn_cloud_init(struct conn_cloud *c, const struct conn_cfg *cfg, const char *url,
    const char *ca_path, const char *cert, const char *key, char *err, size_t errlen)
{
	const struct conn_proxy_cfg *px = &cfg->cloud.proxy;

	memset(c, 0, sizeof(*c));
	if (url == NULL) {
		snprintf(err, errlen, "no cloud URL: register first or set cloud.url");
		return -1;
	}
	if ((c->url = strdup(url)) == NULL ||
	    (c->ca_path = strdup(ca_path != NULL ? ca_path : CONN_SYSTEM_CA_BUNDLE)) == NULL)
		goto fail;
	if ((c->tls = ndes_tls_client_ctx(c->ca_path, cert, key, err, errlen)) == NULL)
		goto fail;
	if (conn_conf_proxy_password(cfg, &c->proxy_password, err, errlen) == -1)
		goto fail;
	c->opts.base_url = c->url;
	c->opts.tls = c->tls;
	c->opts.timeout_ms = (int)cfg->cloud.timeout * 1000;
	c->opts.api_version = cfg->cloud.api_version;
	if (cfg->cloud.proxy_present) {
		c->opts.proxy_host = px->host;
		c->opts.proxy_port = (uint16_t)px->port;
		c->opts.proxy_user = px->username;
		c->opts.proxy_password = c->proxy_password != NULL ? c->proxy_password :
		    (px->username != NULL ? "" : NULL);
	}
	return 0;
fail:
	conn_cloud_clear(c);
	return -1;
}

void
conn_cloud_clear(struct conn_cloud *c)
{
	free(c->url);
	free(c->ca_path);
	SSL_CTX_free(c->tls);
	if (c->proxy_password != NULL)
		explicit_bzero(c->proxy_password, strlen(c->proxy_password));
	free(c->proxy_password);
	memset(c, 0, sizeof(*c));
}

static int
cloud_error_fields(const char *body, size_t len, const char **code, const char **msg,
    json_t **root)
{
	json_t *e;

	*root = body != NULL && len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
	e = json_object_get(*root, "error");
	*code = json_string_value(json_object_get(e, "code"));
	*msg = json_string_value(json_object_get(e, "message"));
	return *code != NULL ? 0 : -1;
}

void
conn_cloud_error_text(int status, const char *body, size_t len, char *buf, size_t buflen)
{
	const char *code, *msg;
	char text[1024];
	json_t *root;

	if (cloud_error_fields(body, len, &code, &msg, &root) == 0) {
		/* The cloud's words go to logs and events: one line. */
		snprintf(text, sizeof(text), "HTTP %d %s: %s", status, code, msg != NULL ? msg : "");
		ndes_text_one_line(text, buf, buflen);
	} else
		snprintf(buf, buflen, "HTTP %d", status);
	json_decref(root);
}

void
conn_cloud_error_code(const char *body, size_t len, char *buf, size_t buflen)
{
	const char *code, *msg;
	json_t *root;

	snprintf(buf, buflen, "%s", cloud_error_fields(body, len, &code, &msg, &root) == 0 ?
	    code : "");
	json_decref(root);
}

uint32_t
conn_cloud_diag(enum ndes_http_err err, int status)
{
	switch (err) {
	case NDES_HTTP_OK:
		return status >= 200 && status < 300 ? NDES_DIAG_SUCCESS : NDES_DIAG_CLOUD_REJECTED;
	case NDES_HTTP_ERR_UNREACHABLE:
	case NDES_HTTP_ERR_TIMEOUT:
	case NDES_HTTP_ERR_PROXY:
	case NDES_HTTP_ERR_DROPPED:
		return NDES_DIAG_CLOUD_UNREACHABLE;
	case NDES_HTTP_ERR_TLS_UNTRUSTED:
	case NDES_HTTP_ERR_TLS:
		return NDES_DIAG_CLOUD_UNTRUSTED;
	default:
		return NDES_DIAG_UNKNOWN_ERROR;
	}
}
