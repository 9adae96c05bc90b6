/* The blocking form of one enrollment (a private loop) and the names of
 * outcomes and failInfo values. */
#include "scep_int.h"

#include <stdio.h>
#include <string.h>

struct blocking {
	struct dsim_scep_result *res;
	bool done;
};

static void
blocking_done(const struct dsim_scep_result *res, void *arg)
{
	struct blocking *b = arg;

	*b->res = *res;
	if (res->cert != NULL)
		X509_up_ref(res->cert);
	b->res->ca_certs = res->ca_certs != NULL ? X509_chain_up_ref(res->ca_certs) : NULL;
	b->done = true;
}

enum dsim_scep_outcome
dsim_scep_enroll_blocking(const struct dsim_scep_enroll_opts *opts,
    struct dsim_scep_result *res)
{
	struct event_base *base = event_base_new();
	struct blocking b = { .res = res };
	struct dsim_scep_enroll *e = NULL;

	memset(res, 0, sizeof(*res));
	res->fail_info = -1;
	res->outcome = DSIM_SCEP_LOCAL_ERROR;
	if (base == NULL) {
		snprintf(res->reason, sizeof(res->reason), "cannot make an event loop");
		return res->outcome;
	}
	e = dsim_scep_enroll_start(base, opts, blocking_done, &b, res->reason,
	    sizeof(res->reason));
	while (e != NULL && !b.done)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	if (e != NULL && !b.done) {
		dsim_scep_enroll_cancel(e);
		snprintf(res->reason, sizeof(res->reason), "the event loop failed");
	}
	event_base_free(base);
	return res->outcome;
}

void
dsim_scep_result_clear(struct dsim_scep_result *res)
{
	X509_free(res->cert);
	sk_X509_pop_free(res->ca_certs, X509_free);
	res->cert = NULL;
	res->ca_certs = NULL;
}

const char *
dsim_scep_outcome_name(enum dsim_scep_outcome o)
{
	switch (o) {
	case DSIM_SCEP_ISSUED: return "issued";
	case DSIM_SCEP_REFUSED: return "refused";
	case DSIM_SCEP_UNREACHABLE: return "unreachable";
	case DSIM_SCEP_SERVER_ERROR: return "server-error";
	case DSIM_SCEP_BAD_ANSWER: return "bad-answer";
	case DSIM_SCEP_PENDING_TIMEOUT: return "pending-timeout";
	case DSIM_SCEP_LOCAL_ERROR: return "local-error";
	}
	return "unknown";
}

const char *
dsim_scep_fail_info_name(int fail_info)
{
	switch (fail_info) {
	case DSIM_SCEP_FAIL_BAD_ALG: return "badAlg";
	case DSIM_SCEP_FAIL_BAD_MESSAGE_CHECK: return "badMessageCheck";
	case DSIM_SCEP_FAIL_BAD_REQUEST: return "badRequest";
	case DSIM_SCEP_FAIL_BAD_TIME: return "badTime";
	case DSIM_SCEP_FAIL_BAD_CERT_ID: return "badCertId";
	}
	return "unknown";
}
