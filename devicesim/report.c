/* The profile state a device reports to the emulator (POST
 * /admin/device-reports, docs/cloud-api.md). */
#include "crypto.h"
#include "dsim.h"

json_t *
dsim_report_json(const struct dsim_report *r)
{
	char tp[NDES_CRYPTO_HEX_MAX] = "", serial[NDES_CRYPTO_HEX_MAX] = "";
	char not_after[32] = "";
	bool have = r->cert != NULL &&
	    ndes_crypto_thumbprint(r->cert, EVP_sha1(), tp, sizeof(tp)) == 0 &&
	    ndes_crypto_serial_hex(r->cert, serial, sizeof(serial)) == 0 &&
	    ndes_crypto_not_after_iso8601(r->cert, not_after, sizeof(not_after)) == 0;

	return json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:s, s:s, s:b, s:s*, s:s*, s:s*}",
	    "deviceId", r->device_id, "profile", r->profile, "userId", r->user_id,
	    "challengeId", r->challenge_id, "url", r->url,
	    "state", r->succeeded ? "succeeded" : "failed", "reason", r->reason ? r->reason : "",
	    "renewal", r->renewal, "thumbprint", have ? tp : NULL,
	    "serialNumber", have ? serial : NULL, "notAfter", have ? not_after : NULL);
}
