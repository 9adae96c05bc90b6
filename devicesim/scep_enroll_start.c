/* Starting one enrollment (arguments checked, nothing sent yet but
 * GetCACaps), the blocking form, and the names of outcomes. */
#include "scep_enroll_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_POLL_INTERVAL_MS 1000
#define DEFAULT_MAX_POLLS 10
#define MAX_RESPONSE_SIZE (1024 * 1024)

static const char *
opts_problem(const struct dsim_scep_enroll_opts *o)
{
	if (o->url == NULL || o->csr == NULL || o->key == NULL)
		return "url, csr and key are required";
	if ((o->renew_cert == NULL) != (o->renew_key == NULL))
		return "renew_cert and renew_key go together";
	if (o->renew_cert != NULL &&
	    EVP_PKEY_eq(X509_get0_pubkey(o->renew_cert), o->renew_key) != 1)
		return "renew_key is not the key of renew_cert";
	if (EVP_PKEY_eq(X509_REQ_get0_pubkey(o->csr), o->key) != 1)
		return "the request is not for key";
	if (o->timeout_ms < 0 || o->poll_interval_ms < 0 || o->max_polls < 0)
		return "negative timeout, poll interval or poll count";
	return NULL;
}

static int
enroll_http(struct dsim_scep_enroll *e, struct event_base *base,
    const struct dsim_scep_enroll_opts *o, char *err, size_t errlen)
{
	struct ndes_http_client_opts hopts = {
		.timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS,
		.max_response_size = MAX_RESPONSE_SIZE, .tls = o->tls,
	};
	char *base_url = NULL;

	if (dsim_scep_url_split(o->url, &base_url, &e->path) < 0) {
		snprintf(err, errlen, "SCEP URL \"%.128s\" is not http(s)://host[:port]/path",
		    o->url);
		return -1;
	}
	hopts.base_url = base_url;
	e->http = ndes_http_client_new(base, &hopts, err, errlen);
	free(base_url);
	return e->http != NULL ? 0 : -1;
}

static int
enroll_take(struct dsim_scep_enroll *e, const struct dsim_scep_enroll_opts *o)
{
	if ((e->csr = X509_REQ_dup(o->csr)) == NULL)
		return -1;
	EVP_PKEY_up_ref(o->key);
	e->key = o->key;
	if (o->renew_cert != NULL) {
		X509_up_ref(o->renew_cert);
		EVP_PKEY_up_ref(o->renew_key);
		e->renew_cert = o->renew_cert;
		e->renew_key = o->renew_key;
	}
	e->poll_interval_ms = o->poll_interval_ms ? o->poll_interval_ms :
	    DEFAULT_POLL_INTERVAL_MS;
	e->max_polls = o->max_polls ? o->max_polls : DEFAULT_MAX_POLLS;
	e->message_type = DSIM_SCEP_MSG_PKCSREQ;
	e->res.fail_info = -1;
	return 0;
}

struct dsim_scep_enroll *
dsim_scep_enroll_start(struct event_base *base, const struct dsim_scep_enroll_opts *opts,
    dsim_scep_done_cb cb, void *arg, char *err, size_t errlen)
{
	const char *problem = base == NULL || cb == NULL ? "base and cb are required" :
	    opts_problem(opts);
	struct dsim_scep_enroll *e;

	if (problem != NULL) {
		snprintf(err, errlen, "%s", problem);
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->base = base;
	e->cb = cb;
	e->arg = arg;
	if (enroll_take(e, opts) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (dsim_scep_transaction_id(e->csr, e->transaction_id,
	    sizeof(e->transaction_id)) < 0) {
		snprintf(err, errlen, "cannot hash the request's public key");
		goto fail;
	}
	if (enroll_http(e, base, opts, err, errlen) < 0)
		goto fail;
	if (dsim_scep_enroll_begin(e) < 0) {
		snprintf(err, errlen, "cannot send GetCACaps");
		goto fail;
	}
	return e;
fail:
	dsim_scep_enroll_cancel(e);
	return NULL;
}
