/* How a part of the daemon calls the cloud.
 *
 * d_registration.c gives the real caller (HTTPS with mutual TLS, the
 * registration certificate); a unit test gives its own, which records the
 * calls and answers them with the results it wants.  Results are those of
 * common/http_client.h; a callback runs once per call that was started, on
 * the loop thread. */
#ifndef NDES_CONND_CALLER_H
#define NDES_CONND_CALLER_H

#include <stddef.h>

#include <jansson.h>

#include "http_client.h"

typedef void (*connd_call_cb)(const struct ndes_http_result *res, void *arg);

struct connd_caller_ops {
	/* 0 when the cloud can be called now (the registration checked) */
	int	(*ready)(void *impl);
	/* text: a JSON body sent as it is, or NULL; -1 when no call was
	 * started (cb not called) */
	int	(*call)(void *impl, const char *method, const char *path, const char *text,
		    connd_call_cb cb, void *arg);
};

struct connd_caller {
	const struct connd_caller_ops	*ops;
	void				*impl;
};

int connd_caller_ready(const struct connd_caller *c);
int connd_caller_text(const struct connd_caller *c, const char *method, const char *path,
    const char *text, connd_call_cb cb, void *arg);
/* The same with a JSON body (taken: freed here; NULL: no body). */
int connd_caller_json(const struct connd_caller *c, const char *method, const char *path,
    json_t *body, connd_call_cb cb, void *arg);

/* "cannot reach ...", "HTTP 403 certificate_unknown: ..." */
void connd_result_text(const struct ndes_http_result *res, char *buf, size_t buflen);

#endif
