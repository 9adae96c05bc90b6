/* The HTTP side of one enrollment: GET operations, the pkiMessage by POST
 * or by GET (base64, URL-escaped, in the query), and what an HTTP outcome
 * means for the device (RFC 8894 section 4). */
#include "scep_enroll_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <openssl/rand.h>

#include "b64.h"

#define PKI_MESSAGE_TYPE "application/x-pki-message"

int
dsim_scep_send_get(struct dsim_scep_enroll *e, const char *operation, ndes_http_done_cb cb)
{
	char *target = NULL;
	int rc;

	if (asprintf(&target, "%s?operation=%s", e->path, operation) < 0)
		return -1;
	rc = ndes_http_client_request(e->http, "GET", target, NULL, NULL, 0, NULL, cb, e);
	free(target);
	return rc;
}

static int
send_pki_post(struct dsim_scep_enroll *e, const uint8_t *der, size_t len, ndes_http_done_cb cb)
{
	char *target = NULL;
	int rc;

	if (asprintf(&target, "%s?operation=PKIOperation", e->path) < 0)
		return -1;
	rc = ndes_http_client_request(e->http, "POST", target, PKI_MESSAGE_TYPE, der, len,
	    NULL, cb, e);
	free(target);
	return rc;
}

static int
send_pki_get(struct dsim_scep_enroll *e, const uint8_t *der, size_t len, ndes_http_done_cb cb)
{
	char *b64 = ndes_b64_encode(der, len), *escaped = NULL, *target = NULL;
	int rc = -1;

	if (b64 == NULL || (escaped = evhttp_uriencode(b64, -1, 0)) == NULL ||
	    asprintf(&target, "%s?operation=PKIOperation&message=%s", e->path, escaped) < 0)
		goto out;
	rc = ndes_http_client_request(e->http, "GET", target, NULL, NULL, 0, NULL, cb, e);
out:
	free(target);
	free(escaped);
	free(b64);
	return rc;
}

static const char *
message_name(const char *message_type)
{
	if (strcmp(message_type, DSIM_SCEP_MSG_PKCSREQ) == 0)
		return "PKCSReq";
	if (strcmp(message_type, DSIM_SCEP_MSG_RENEWALREQ) == 0)
		return "RenewalReq";
	return "CertPoll";
}

bool
dsim_scep_send_pki(struct dsim_scep_enroll *e, const char *message_type,
    const uint8_t *content, size_t len, ndes_http_done_cb cb)
{
	char reason[DSIM_SCEP_REASON_MAX];
	struct dsim_scep_req req = {
		.message_type = message_type, .content = content, .content_len = len,
		.recipient = e->recipient, .cipher = dsim_scep_caps_cipher(&e->caps),
		.signer = e->signer, .signer_key = e->signer_key,
		.digest = dsim_scep_caps_digest(&e->caps),
		.transaction_id = e->transaction_id, .sender_nonce = e->nonce,
	};
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc;

	if (RAND_bytes(e->nonce, sizeof(e->nonce)) != 1 ||
	    dsim_scep_req_build(&req, &der, &der_len, reason) < 0) {
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "%s", reason);
		return false;
	}
	if (e->caps.post)
		rc = send_pki_post(e, der, der_len, cb);
	else
		rc = send_pki_get(e, der, der_len, cb);
	OPENSSL_free(der);
	if (rc < 0) {
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "cannot send the %s request",
		    message_name(message_type));
		return false;
	}
	return true;
}

bool
dsim_scep_http_failed(struct dsim_scep_enroll *e, const struct ndes_http_result *r,
    const char *step)
{
	e->res.http_status = r->status;
	switch (r->err) {
	case NDES_HTTP_OK:
		break;
	case NDES_HTTP_ERR_PROTOCOL:
		dsim_scep_finish(e, DSIM_SCEP_BAD_ANSWER, "%s: %s", step, r->errmsg);
		return true;
	case NDES_HTTP_ERR_USAGE:
		dsim_scep_finish(e, DSIM_SCEP_LOCAL_ERROR, "%s: %s", step, r->errmsg);
		return true;
	default:
		dsim_scep_finish(e, DSIM_SCEP_UNREACHABLE, "%s: %s (%s)", step, r->errmsg,
		    ndes_http_err_name(r->err));
		return true;
	}
	if (r->status >= 500) {
		dsim_scep_finish(e, DSIM_SCEP_SERVER_ERROR, "%s answered HTTP %d", step,
		    r->status);
		return true;
	}
	if (r->status != 200) {
		dsim_scep_finish(e, DSIM_SCEP_BAD_ANSWER, "%s answered HTTP %d", step, r->status);
		return true;
	}
	return false;
}
