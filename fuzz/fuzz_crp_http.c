/* libFuzzer target: ndes-crpd's HTTP API (crp/http_api.c) without a daemon.
 * Any client that reaches the listener sends these bodies.
 *
 * Input: 'V' (POST .../VerifyRequest) or 'N' (POST .../Notify; any other
 * byte picks one by its parity), then the request body.  What the handlers
 * do before a job runs is done the same way (crp_http_read_call()); then
 * what the jobs do short of the database: a VerifyRequest is verified
 * (crp_verify(), every check but the one-time use) with the test keys and
 * answered as the HTTP reply operations would; a Notify's challenge is opened
 * and its issued certificate read and compared with fixed claims (the
 * conformance check after issuance, common/conformance.h), and the
 * failureNotification it would queue is built.
 *
 * Invariants: a refused body gets a 400 whose JSON body builds (the
 * message is never lost); a verification's outcome is consistent
 * (fuzz_crp_check_result(), which also builds the HTTP answer). */
#include "fuzz.h"
#include "fuzz_crp.h"

#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "conformance.h"
#include "http.h"
#include "http_api.h"
#include "notification.h"

static void
check_refused(const char *err)
{
	json_t *body;

	FUZZ_CHECK(err[0] != '\0');
	fuzz_note("400: %s", err);
	body = ndes_http_error_json("bad_request", err);
	FUZZ_CHECK(body != NULL);
	json_decref(body);
}

static void
verify(const struct crp_http_call *call)
{
	struct crp_verify_result res;
	bool ok;

	ok = crp_verify(fuzz_crp_keyset(), fuzz_crp_params(), call->csr, call->csr_len, &res);
	fuzz_note("%s: %s", ok ? "verified" : "refused", res.reason);
	fuzz_crp_check_result(ok, &res);
	crp_verify_result_clear(&res);
}

/* Whatever the SCEP server signed: every difference is one of the codes. */
static void
conformance(X509 *cert)
{
	struct ndes_challenge_claims claims = {
		.subject = "CN=alice,O=Contoso", .sans = { { "upn", "alice@contoso.com" } },
		.n_sans = 1, .key_usage = NDES_KU_DIGITAL_SIGNATURE, .ekus = { "1.3.6.1.5.5.7.3.2" },
		.n_ekus = 1, .hash = "sha256", .validity_days = 365,
	};
	struct ndes_conformance_input in = { .cert = cert, .claims = &claims };
	struct ndes_conformance_result r;
	char err[256];

	if (ndes_conformance_check(&in, &r, err, sizeof(err)) != 0)
		return;
	FUZZ_CHECK(r.n <= NDES_CONFORMANCE_MAX_DIFFS);
	for (size_t i = 0; i < r.n; i++)
		FUZZ_CHECK(r.diffs[i].code >= 0x1501 && r.diffs[i].code <= 0x150A);
}

static void
notify(const struct crp_http_call *call)
{
	const struct crp_keyset *ks = fuzz_crp_keyset();
	const struct crp_notify_in *in = &call->notify;
	struct crp_notification_common c = { .transaction_id = in->transaction_id };
	struct ndes_challenge_claims claims;
	struct crp_issued_cert ic;
	X509 *cert = NULL;
	char err[256], *text;

	if (in->challenge[0] != '\0' && ndes_challenge_open(in->challenge,
	    strlen(in->challenge), ks->keys, ks->n_keys, ks->signing, &claims, err,
	    sizeof(err)) == NDES_CHALLENGE_OK) {
		FUZZ_CHECK(claims.challenge_id != NULL);
		ndes_challenge_claims_clear(&claims);
	}
	if (in->cert_len > 0 && crp_issued_cert_read(in->cert_der, in->cert_len, &ic, err,
	    sizeof(err), &cert) == 0) {
		FUZZ_CHECK(ic.thumbprint[0] != '\0' && ic.issuer != NULL);
		conformance(cert);
		X509_free(cert);
		crp_issued_cert_clear(&ic);
	}
	text = crp_notification_failure(&c, in->last_hresult, in->description);
	FUZZ_CHECK(text != NULL);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crp_http_call call;
	enum crp_http_call_kind kind;
	char err[256];

	if (size < 1)
		return 0;
	kind = data[0] == 'V' ? CRP_HTTP_VERIFY : data[0] == 'N' ? CRP_HTTP_NOTIFY :
	    data[0] % 2 == 0 ? CRP_HTTP_VERIFY : CRP_HTTP_NOTIFY;
	if (crp_http_read_call(kind, data + 1, size - 1, &call, err, sizeof(err)) == -1) {
		FUZZ_CHECK(call.body == NULL && call.csr == NULL && call.cert == NULL);
		check_refused(err);
		return 0;
	}
	if (kind == CRP_HTTP_VERIFY)
		verify(&call);
	else
		notify(&call);
	crp_http_call_clear(&call);
	return 0;
}
