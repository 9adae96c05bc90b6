/* notify: NOTIFY -> NOTIFY_REPLY (layouts in docs/crpd.md).
 *   NOTIFY:       str challenge (may be empty), str transaction_id,
 *                 i64 disposition, u32 last_hresult, bytes issued_cert_der
 *                 (may be empty), str description
 *   NOTIFY_REPLY: bool accepted, u32 diag_code, str message */
#include "policy_int.h"

#include <string.h>

#include "disposition.h"
#include "ipc.h"

static struct ndes_ipc_msg *
notify_msg(const char *challenge, const char *txn, int disposition, uint32_t hresult,
    const uint8_t *cert, size_t cert_len, const char *description)
{
	struct ndes_ipc_msg *m;

	if ((m = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY, 0)) == NULL)
		return NULL;
	ndes_ipc_msg_add_str(m, challenge != NULL ? challenge : "");
	ndes_ipc_msg_add_str(m, txn != NULL ? txn : "");
	ndes_ipc_msg_add_i64(m, disposition);
	ndes_ipc_msg_add_u32(m, hresult);
	ndes_ipc_msg_add_bytes(m, cert, cert != NULL ? cert_len : 0);
	ndes_ipc_msg_add_str(m, description != NULL ? description : "");
	return m;
}

static int
notify_parse(struct ndes_ipc_frame *reply, char *err, size_t errlen)
{
	struct ndes_ipc_reader r;
	const char *msg = "";
	bool accepted = false;
	uint32_t code = 0;

	ndes_ipc_frame_reader(reply, &r);
	if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_ERROR) {
		if (ndes_ipc_get_error(&r, &code, &msg) == -1)
			goto malformed;
		policy_ipc_error(code, msg, err, errlen);
		return policy_ipc_error_result(code);
	}
	ndes_ipc_get_bool(&r, &accepted);	/* sticky: checked once below */
	ndes_ipc_get_u32(&r, &code);
	ndes_ipc_get_str(&r, &msg, NULL);
	if (ndes_ipc_frame_type(reply) != NDES_IPC_MSG_NOTIFY_REPLY || ndes_ipc_reader_end(&r) == -1)
		goto malformed;
	if (accepted)
		return NDES_POLICY_OK;
	ndes_err_set(err, errlen, "ndes-crpd did not accept the notification: 0x%08X %s", code, msg);
	return NDES_POLICY_E_REJECTED;
malformed:
	ndes_err_set(err, errlen, "malformed reply from ndes-crpd (type 0x%04x)",
	    ndes_ipc_frame_type(reply));
	return NDES_POLICY_E_PROTOCOL;
}

static int
notify_check(const char *challenge, const char *txn, int disposition, const char *description,
    char *err, size_t errlen)
{
	if (!ndes_disposition_valid(disposition)) {
		ndes_err_set(err, errlen, "unknown disposition %d (expected -1, 0, 2, 3 or 11)",
		    disposition);
		return NDES_POLICY_E_INVALID;
	}
	if ((challenge != NULL && !ndes_ipc_str_valid(challenge, strlen(challenge))) ||
	    (txn != NULL && !ndes_ipc_str_valid(txn, strlen(txn))) ||
	    (description != NULL && !ndes_ipc_str_valid(description, strlen(description)))) {
		ndes_err_set(err, errlen,
		    "challenge, transaction ID or description is not valid UTF-8");
		return NDES_POLICY_E_INVALID;
	}
	return NDES_POLICY_OK;
}

int
policy_notify(struct ndes_policy *pol, const char *challenge, const char *txn, int disposition,
    uint32_t hresult, const uint8_t *cert, size_t cert_len, const char *description,
    char *err, size_t errlen)
{
	struct ndes_ipc_msg *m;
	struct ndes_ipc_frame *reply;
	int rc;

	if (pol == NULL) {
		ndes_err_set(err, errlen, "no handle");
		return NDES_POLICY_E_INVALID;
	}
	if ((rc = notify_check(challenge, txn, disposition, description, err, errlen)) != 0)
		return rc;
	m = notify_msg(challenge, txn, disposition, hresult, cert, cert_len, description);
	if (m == NULL) {
		ndes_err_set(err, errlen, "out of memory");
		return NDES_POLICY_E_NOMEM;
	}
	if (ndes_ipc_msg_failed(m)) {
		ndes_ipc_msg_free(m);
		ndes_err_set(err, errlen, "notification too large");
		return NDES_POLICY_E_INVALID;
	}
	rc = policy_pool_call(pol->pool, m, &reply, pol->timeout_ms, err, errlen);
	ndes_ipc_msg_free(m);
	if (rc != NDES_POLICY_OK)
		return rc;
	rc = notify_parse(reply, err, errlen);
	ndes_ipc_frame_free(reply);
	return rc;
}
