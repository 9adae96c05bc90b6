/* The conformance check after issuance, crpd's side (conformance_run.h). */
#include "conformance_run.h"

#include <stdio.h>
#include <string.h>

#include "challenge_store.h"
#include "crpd.h"
#include "crypto.h"
#include "csr.h"
#include "events.h"
#include "keys.h"

/* The claims of the challenge in the verified request's challengePassword,
 * opened with the current keys: 0, or -1 with reason. */
static int
claims_from_request(struct crp_keyset *ks, const struct crp_record *rec,
    struct ndes_challenge_claims *claims, char *reason, size_t len)
{
	X509_REQ *req = ndes_csr_from_der(rec->csr_der, rec->csr_len);
	struct ndes_csr_info *info = req ? ndes_csr_inspect(req, reason, len) : NULL;
	char err[256];
	int rc = -1;

	if (info == NULL || info->challenge_password == NULL)
		snprintf(reason, len, "the verified request cannot be read again");
	else if (ks == NULL || ndes_challenge_open(info->challenge_password,
	    info->challenge_password_len, ks->keys, ks->n_keys, ks->signing, claims, err,
	    sizeof(err)) != NDES_CHALLENGE_OK)
		snprintf(reason, len, "the challenge of the verified request does not open "
		    "with the current keys: %.180s", ks ? err : "no keys loaded");
	else if (rec->challenge_id == NULL || strcmp(claims->challenge_id, rec->challenge_id)) {
		ndes_challenge_claims_clear(claims);
		snprintf(reason, len, "the verified request carries another challenge");
	} else
		rc = 0;
	ndes_csr_info_free(info);
	X509_REQ_free(req);
	return rc;
}

/* The chain is checked when the claims name a trusted root and the issuing
 * CA's certificates are in place (paths.issuing_ca_certs). */
static void
run_check(struct crp_keyset *ks, const struct ndes_challenge_claims *claims, X509 *cert,
    struct crp_conformance *out)
{
	struct ndes_conformance_input in = { .cert = cert, .claims = claims,
	    .ca_certs = ks ? ks->issuing_ca : NULL, .trusted_root_sha256 = claims->trusted_root };

	snprintf(out->profile, sizeof(out->profile), "%s",
	    claims->profile_id ? claims->profile_id : "");
	if (ndes_conformance_check(&in, &out->result, out->reason, sizeof(out->reason)) == 0)
		out->checked = true;
}

void
crp_conformance_run(struct crpd *d, const struct crp_record *rec,
    const struct ndes_challenge_claims *claims, X509 *cert, struct crp_conformance *out)
{
	struct crp_keyset *ks = crp_keyholder_get(&d->keys);
	struct ndes_challenge_claims again;

	memset(out, 0, sizeof(*out));
	memset(&again, 0, sizeof(again));
	snprintf(out->challenge_id, sizeof(out->challenge_id), "%s",
	    rec->challenge_id ? rec->challenge_id : "");
	if (claims != NULL && claims->challenge_id != NULL && rec->challenge_id != NULL &&
	    strcmp(claims->challenge_id, rec->challenge_id) == 0)
		run_check(ks, claims, cert, out);
	else if (claims_from_request(ks, rec, &again, out->reason, sizeof(out->reason)) == 0)
		run_check(ks, &again, cert, out);
	ndes_challenge_claims_clear(&again);
	crp_keyset_unref(ks);
}

size_t
crp_conformance_differences(const struct crp_conformance *c)
{
	return c->checked ? c->result.n : 1;
}

void
crp_conformance_emit(const struct crp_conformance *c, struct ndes_event_ctx *ctx)
{
	char detail[NDES_CONFORMANCE_DETAIL_MAX + 160];

	if (!c->checked) {
		snprintf(detail, sizeof(detail), "not compared with its profile: %s", c->reason);
		ctx->detail = detail;
		ndes_event_emit(NDES_EV_CRP_NOTIFY_WARNING, NDES_DIAG_ISSUED_NOT_CHECKED, ctx);
		return;
	}
	for (size_t i = 0; i < c->result.n; i++) {
		snprintf(detail, sizeof(detail), "the issued certificate differs from profile "
		    "\"%s\": %s", c->profile, c->result.diffs[i].detail);
		ctx->detail = detail;
		ndes_event_emit(NDES_EV_CRP_NOTIFY_WARNING, c->result.diffs[i].code, ctx);
	}
	ctx->detail = NULL;
}

json_t *
crp_conformance_json(const struct crp_conformance *c)
{
	json_t *diffs = json_array();
	char code[16];

	if (!c->checked) {
		snprintf(code, sizeof(code), "0x%08X", NDES_DIAG_ISSUED_NOT_CHECKED);
		json_array_append_new(diffs, json_pack("{s:s, s:s, s:s}", "code", code, "name",
		    ndes_diag_name(NDES_DIAG_ISSUED_NOT_CHECKED), "detail", c->reason));
	}
	for (size_t i = 0; c->checked && i < c->result.n; i++) {
		snprintf(code, sizeof(code), "0x%08X", c->result.diffs[i].code);
		json_array_append_new(diffs, json_pack("{s:s, s:s, s:s}", "code", code, "name",
		    ndes_diag_name(c->result.diffs[i].code), "detail", c->result.diffs[i].detail));
	}
	return json_pack("{s:b, s:b, s:b, s:s, s:s, s:o}", "checked", c->checked, "conforms",
	    c->checked && c->result.n == 0, "revoke", c->revoke, "challengeId", c->challenge_id,
	    "profile", c->profile, "differences", diffs);
}
