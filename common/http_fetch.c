/* Blocking HTTP(S) request on a private event loop.  See http_client.h. */
#include "http_client.h"
#include "errmsg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fetch_state {
	bool done;
	enum ndes_http_err err;
	int status;
	char *body;
	size_t len;
	char errmsg[NDES_ERR_MAX];
};

static void
fetch_done(const struct ndes_http_result *res, void *arg)
{
	struct fetch_state *st = arg;

	st->done = true;
	st->err = res->err;
	st->status = res->status;
	ndes_err_set(st->errmsg, sizeof(st->errmsg), "%s", res->errmsg);
	if (res->err == NDES_HTTP_OK && (st->body = malloc(res->len + 1)) != NULL) {
		memcpy(st->body, res->body, res->len + 1);
		st->len = res->len;
	}
}

/* Run the request on base; false when it could not be started. */
static bool
fetch_run(struct event_base *base, const struct ndes_http_fetch_opts *opts,
    struct fetch_state *st)
{
	const char *method = opts->method ? opts->method : opts->len ? "POST" : "GET";
	struct ndes_http_client *client;

	client = ndes_http_client_new(base, &opts->client, st->errmsg, sizeof(st->errmsg));
	if (client == NULL)
		return false;
	if (ndes_http_client_request(client, method, opts->path, opts->content_type,
	    opts->body, opts->len, opts->headers, fetch_done, st) != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "bad request arguments");
		ndes_http_client_free(client);
		return false;
	}
	while (!st->done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	ndes_http_client_free(client);
	if (!st->done || (st->err == NDES_HTTP_OK && st->body == NULL)) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", st->done ? "out of memory" :
		    "event loop failed");
		st->err = NDES_HTTP_ERR_PROTOCOL;
	}
	return true;
}

enum ndes_http_err
ndes_http_fetch(const struct ndes_http_fetch_opts *opts, int *status, char **body,
    size_t *len, char *err, size_t errlen)
{
	struct fetch_state st = { .err = NDES_HTTP_ERR_USAGE };
	struct event_base *base = event_base_new();

	snprintf(st.errmsg, sizeof(st.errmsg), "out of memory");
	if (base == NULL || !fetch_run(base, opts, &st))
		st.err = NDES_HTTP_ERR_USAGE;
	if (base != NULL)
		event_base_free(base);
	if (st.err != NDES_HTTP_OK) {
		ndes_err_set(err, errlen, "%s", st.errmsg);
		free(st.body);
		return st.err;
	}
	*status = st.status;
	*body = st.body;
	if (len != NULL)
		*len = st.len;
	return NDES_HTTP_OK;
}
