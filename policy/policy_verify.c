/* verify_request: VERIFY_REQUEST -> VERIFY_REPLY (layouts in docs/crpd.md).
 *   VERIFY_REQUEST: bytes csr_der, bytes signing_cert_der (empty if none),
 *                   str template_name, str transaction_id
 *   VERIFY_REPLY:   bool verified, u32 event_id, u32 diag_code, str reason,
 *                   str challenge_id, str device_id, str user_id,
 *                   [str transaction_id] (the one crpd recorded: the
 *                   request's, else its key's SHA-256; absent from crpd
 *                   releases before issue 18) */
#include "policy_int.h"

#include <stdio.h>
#include <string.h>

#include "ipc.h"

/* Refuse (fail closed) with the module's own reason. */
static int
verdict_fail(struct ndes_policy_verdict *out, int rc, const char *reason)
{
	memset(out, 0, sizeof(*out));
	out->verified = false;
	out->reason_code = NDES_POLICY_CODE_UNKNOWN_ERROR;
	policy_copy_utf8(out->reason, sizeof(out->reason), reason);
	return rc;
}

static bool
text_ok(const char *s)
{
	return s == NULL || ndes_ipc_str_valid(s, strlen(s));
}

static struct ndes_ipc_msg *
verify_msg(struct ndes_policy *pol, const uint8_t *csr, size_t csr_len, const uint8_t *signer,
    size_t signer_len, const char *template_name, const char *txn)
{
	struct ndes_ipc_msg *m;

	if (template_name == NULL || template_name[0] == '\0')
		template_name = pol->template_name;
	if ((m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 0)) == NULL)
		return NULL;
	ndes_ipc_msg_add_bytes(m, csr, csr_len);
	ndes_ipc_msg_add_bytes(m, signer, signer != NULL ? signer_len : 0);
	ndes_ipc_msg_add_str(m, template_name);
	ndes_ipc_msg_add_str(m, txn != NULL ? txn : "");
	return m;
}

/* An ERROR frame: ndes-crpd refused to work on the request. */
static int
verify_error_reply(struct ndes_policy *pol, struct ndes_ipc_reader *r,
    struct ndes_policy_verdict *out)
{
	uint32_t code;
	const char *msg;
	char reason[NDES_ERR_MAX];

	if (ndes_ipc_get_error(r, &code, &msg) == -1)
		return verdict_fail(out, NDES_POLICY_E_PROTOCOL,
		    "ndes-crpd sent a malformed ERROR reply");
	policy_ipc_error(code, msg, reason, sizeof(reason));
	policy_log(pol, NDES_POLICY_LOG_WARNING, "verify_request: %s", reason);
	return verdict_fail(out, policy_ipc_error_result(code), reason);
}

static int
verify_parse(struct ndes_policy *pol, struct ndes_ipc_frame *reply,
    struct ndes_policy_verdict *out, char *txn, size_t txnlen)
{
	struct ndes_ipc_reader r;
	const char *reason = "", *cid = "", *did = "", *uid = "", *rtxn = "";
	bool verified = false;
	uint32_t event_id = 0, code = 0;

	ndes_ipc_frame_reader(reply, &r);
	if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_ERROR)
		return verify_error_reply(pol, &r, out);
	/* a sticky reader: read every field, check once */
	ndes_ipc_get_bool(&r, &verified);
	ndes_ipc_get_u32(&r, &event_id);
	ndes_ipc_get_u32(&r, &code);
	ndes_ipc_get_str(&r, &reason, NULL);
	ndes_ipc_get_str(&r, &cid, NULL);
	ndes_ipc_get_str(&r, &did, NULL);
	ndes_ipc_get_str(&r, &uid, NULL);
	if (ndes_ipc_reader_peek(&r) != 0)
		ndes_ipc_get_str(&r, &rtxn, NULL);
	if (ndes_ipc_frame_type(reply) != NDES_IPC_MSG_VERIFY_REPLY ||
	    ndes_ipc_reader_end(&r) == -1) {
		policy_log(pol, NDES_POLICY_LOG_WARNING,
		    "verify_request: malformed reply from ndes-crpd (type 0x%04x)",
		    ndes_ipc_frame_type(reply));
		return verdict_fail(out, NDES_POLICY_E_PROTOCOL,
		    "malformed reply from ndes-crpd");
	}
	memset(out, 0, sizeof(*out));
	out->verified = verified;
	out->event_id = event_id;
	out->reason_code = code;
	policy_copy_utf8(out->reason, sizeof(out->reason), reason);
	policy_copy_utf8(out->challenge_id, sizeof(out->challenge_id), cid);
	policy_copy_utf8(out->device_id, sizeof(out->device_id), did);
	policy_copy_utf8(out->user_id, sizeof(out->user_id), uid);
	if (txn != NULL)
		policy_copy_utf8(txn, txnlen, rtxn);
	return NDES_POLICY_OK;
}

int
policy_verify(struct ndes_policy *pol, const uint8_t *csr, size_t csr_len,
    const uint8_t *signer, size_t signer_len, const char *template_name,
    const char *transaction_id, struct ndes_policy_verdict *out)
{
	return policy_verify_txn(pol, csr, csr_len, signer, signer_len, template_name,
	    transaction_id, out, NULL, 0);
}

int
policy_verify_txn(struct ndes_policy *pol, const uint8_t *csr, size_t csr_len,
    const uint8_t *signer, size_t signer_len, const char *template_name,
    const char *transaction_id, struct ndes_policy_verdict *out, char *txn, size_t txnlen)
{
	struct ndes_ipc_msg *m;
	struct ndes_ipc_frame *reply;
	char err[NDES_ERR_MAX];
	int rc;

	if (out == NULL)
		return NDES_POLICY_E_INVALID;
	if (pol == NULL || csr == NULL || csr_len == 0)
		return verdict_fail(out, NDES_POLICY_E_INVALID, "no handle or no request");
	if (!text_ok(template_name) || !text_ok(transaction_id))
		return verdict_fail(out, NDES_POLICY_E_INVALID,
		    "template name or transaction ID is not valid UTF-8");
	m = verify_msg(pol, csr, csr_len, signer, signer_len, template_name, transaction_id);
	if (m == NULL)
		return verdict_fail(out, NDES_POLICY_E_NOMEM, "out of memory");
	if (ndes_ipc_msg_failed(m)) {
		ndes_ipc_msg_free(m);
		return verdict_fail(out, NDES_POLICY_E_INVALID, "request too large");
	}
	rc = policy_pool_call(pol->pool, m, &reply, pol->timeout_ms, err, sizeof(err));
	ndes_ipc_msg_free(m);
	if (rc != NDES_POLICY_OK) {
		policy_log(pol, NDES_POLICY_LOG_WARNING, "verify_request: %s", err);
		return verdict_fail(out, rc, err);
	}
	rc = verify_parse(pol, reply, out, txn, txnlen);
	ndes_ipc_frame_free(reply);
	return rc;
}
