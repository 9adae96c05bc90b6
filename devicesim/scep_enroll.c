/* One enrollment as a chain of callbacks on the caller's loop:
 * GetCACaps -> GetCACert -> PKCSReq/RenewalReq -> CertRep, and while the
 * CertRep says PENDING, CertPoll (GetCertInitial) after poll_interval_ms. */
#include "scep_enroll_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "csr.h"

static void on_caps(const struct ndes_http_result *r, void *arg);
static void on_cacert(const struct ndes_http_result *r, void *arg);
static void on_certrep(const struct ndes_http_result *r, void *arg);

static void
enroll_free(struct dsim_scep_enroll *e)
{
	if (e->poll_timer != NULL)
		event_free(e->poll_timer);
	ndes_http_client_free(e->http);
	free(e->path);
	X509_REQ_free(e->csr);
	EVP_PKEY_free(e->key);
	X509_free(e->renew_cert);
	EVP_PKEY_free(e->renew_key);
	if (e->signer != e->renew_cert)
		X509_free(e->signer);
	X509_free(e->res.cert);
	sk_X509_pop_free(e->res.ca_certs, X509_free);
	free(e);
}

void
dsim_scep_finish(struct dsim_scep_enroll *e, enum dsim_scep_outcome outcome,
    const char *fmt, ...)
{
	va_list ap;

	ERR_clear_error();
	e->res.outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(e->res.reason, sizeof(e->res.reason), fmt, ap);
	va_end(ap);
	e->cb(&e->res, e->arg);
	enroll_free(e);
}

void
dsim_scep_enroll_cancel(struct dsim_scep_enroll *e)
{
	if (e != NULL)
		enroll_free(e);
}

static void
on_caps(const struct ndes_http_result *r, void *arg)
{
	struct dsim_scep_enroll *e = arg;

	if (dsim_scep_http_failed(e, r, "GetCACaps"))
		return;
	dsim_scep_caps_parse(r->body, r->len, &e->caps);
	if (e->renew_cert != NULL && e->caps.renewal)
		e->message_type = DSIM_SCEP_MSG_RENEWALREQ;
	if (dsim_scep_send_get(e, "GetCACert", on_cacert) < 0)
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "cannot send GetCACert");
}

int
dsim_scep_enroll_begin(struct dsim_scep_enroll *e)
{
	return dsim_scep_send_get(e, "GetCACaps", on_caps);
}

/* PKCSReq is signed with a self-signed certificate on the new key, a
 * renewal with the certificate renewed (RenewalReq, or PKCSReq when the
 * server does not list Renewal). */
static bool
make_signer(struct dsim_scep_enroll *e)
{
	char reason[DSIM_SCEP_REASON_MAX];

	if (e->renew_cert != NULL) {
		e->signer = e->renew_cert;
		e->signer_key = e->renew_key;
		return true;
	}
	e->signer = dsim_scep_self_signed(e->csr, e->key, dsim_scep_caps_digest(&e->caps),
	    reason);
	e->signer_key = e->key;
	if (e->signer == NULL)
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "%s", reason);
	return e->signer != NULL;
}

static void
send_request(struct dsim_scep_enroll *e)
{
	uint8_t *der = NULL;
	size_t len = 0;

	if (!make_signer(e))
		return;
	if (ndes_csr_to_der(e->csr, &der, &len) < 0) {
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "cannot encode the request");
		return;
	}
	dsim_scep_send_pki(e, e->message_type, der, len, on_certrep);
	free(der);
}

static void
on_cacert(const struct ndes_http_result *r, void *arg)
{
	struct dsim_scep_enroll *e = arg;
	char reason[DSIM_SCEP_REASON_MAX];

	if (dsim_scep_http_failed(e, r, "GetCACert"))
		return;
	if (dsim_scep_cacert_parse(ndes_http_result_header(r, "Content-Type"),
	    (const uint8_t *)r->body, r->len, &e->res.ca_certs, &e->recipient, reason) < 0) {
		dsim_scep_finish(e, DSIM_SCEP_BAD_ANSWER, "%s", reason);
		return;
	}
	send_request(e);
}

static void
send_poll(evutil_socket_t fd, short what, void *arg)
{
	struct dsim_scep_enroll *e = arg;
	X509 *ca = e->recipient;
	const X509_NAME *issuer = X509_check_ca(ca) ? X509_get_subject_name(ca) :
	    X509_get_issuer_name(ca);
	uint8_t *der = NULL;
	size_t len = 0;

	if (dsim_scep_issuer_and_subject(issuer, X509_REQ_get_subject_name(e->csr), &der,
	    &len) < 0) {
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "cannot encode IssuerAndSubject");
		return;
	}
	e->res.polls++;
	dsim_scep_send_pki(e, DSIM_SCEP_MSG_CERTPOLL, der, len, on_certrep);
	OPENSSL_free(der);
}

static void
on_pending(struct dsim_scep_enroll *e)
{
	struct timeval tv = {
		.tv_sec = e->poll_interval_ms / 1000,
		.tv_usec = (e->poll_interval_ms % 1000) * 1000,
	};

	if (e->res.polls >= e->max_polls) {
		dsim_scep_finish(e, DSIM_SCEP_PENDING_TIMEOUT,
		    "still PENDING after %d GetCertInitial polls", e->res.polls);
		return;
	}
	if (e->poll_timer == NULL)
		e->poll_timer = evtimer_new(e->base, send_poll, e);
	if (e->poll_timer == NULL || evtimer_add(e->poll_timer, &tv) < 0)
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "cannot arm the poll timer");
}

static void
on_certrep(const struct ndes_http_result *r, void *arg)
{
	struct dsim_scep_enroll *e = arg;
	char reason[DSIM_SCEP_REASON_MAX];
	struct dsim_scep_expect exp = {
		.ca_certs = e->res.ca_certs, .transaction_id = e->transaction_id,
		.sender_nonce = e->nonce, .decrypt_cert = e->signer,
		.decrypt_key = e->signer_key, .key = e->key,
	};
	struct dsim_scep_rep rep;

	if (dsim_scep_http_failed(e, r, "PKIOperation"))
		return;
	if (dsim_scep_rep_parse((const uint8_t *)r->body, r->len, &exp, &rep, reason) < 0) {
		dsim_scep_finish(e, DSIM_SCEP_BAD_ANSWER, "%s", reason);
		return;
	}
	switch (rep.status) {
	case DSIM_SCEP_STATUS_SUCCESS:
		e->res.cert = rep.cert;
		dsim_scep_finish(e, DSIM_SCEP_ISSUED, "%s", "");
		break;
	case DSIM_SCEP_STATUS_FAILURE:
		e->res.fail_info = rep.fail_info;
		dsim_scep_finish(e, DSIM_SCEP_REFUSED, "CertRep FAILURE: failInfo %s (%d)",
		    dsim_scep_fail_info_name(rep.fail_info), rep.fail_info);
		break;
	default:
		on_pending(e);
	}
}
