/* Calling the cloud through a caller (d_caller.h). */
#include "d_caller.h"

#include <stdio.h>
#include <stdlib.h>

#include "cloud.h"

int
connd_caller_ready(const struct connd_caller *c)
{
	return c->ops->ready(c->impl);
}

int
connd_caller_text(const struct connd_caller *c, const char *method, const char *path,
    const char *text, connd_call_cb cb, void *arg)
{
	return c->ops->call(c->impl, method, path, text, cb, arg);
}

int
connd_caller_json(const struct connd_caller *c, const char *method, const char *path,
    json_t *body, connd_call_cb cb, void *arg)
{
	char *text = NULL;
	int r = -1;

	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) != NULL)
		r = connd_caller_text(c, method, path, text, cb, arg);
	free(text);
	json_decref(body);
	return r;
}

void
connd_result_text(const struct ndes_http_result *res, char *buf, size_t buflen)
{
	if (res->err != NDES_HTTP_OK)
		snprintf(buf, buflen, "%s", res->errmsg);
	else
		conn_cloud_error_text(res->status, res->body, res->len, buf, buflen);
}
