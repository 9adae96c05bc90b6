/* The SCEP client (devicesim/scep_client.h) against the test responder
 * (tests/lib/scep_responder.c): each answer, well-formed or not, with the
 * outcome and the exact reason. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "scep_responder.h"
#include "scep_test_util.h"

TestSuite(scep_client, .init = st_setup, .fini = st_teardown);

Test(scep_client, success_by_post_checked_against_our_key)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_SUCCESS });
	const struct resp_seen *seen = resp_seen(r);

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	cr_assert(eq(int, EVP_PKEY_eq(X509_get0_pubkey(st_res.cert), st_key), 1));
	cr_assert(eq(int, st_res.fail_info, -1));
	cr_assert(eq(int, st_res.http_status, 200));
	cr_assert(eq(int, sk_X509_num(st_res.ca_certs), 1));
	cr_assert(eq(str, (char *)seen->method, "POST"));
	cr_assert(eq(str, (char *)seen->message_type, "19"));
	cr_assert(eq(int, seen->cipher_nid, NID_aes_128_cbc));
	cr_assert(eq(int, seen->digest_nid, NID_sha256));
	cr_assert(not(seen->signer_is_renewed));
	resp_free(r);
}

Test(scep_client, failure_with_each_fail_info)
{
	static const char *names[] = { "badAlg", "badMessageCheck", "badRequest", "badTime",
	    "badCertId" };
	char want[DSIM_SCEP_REASON_MAX];

	for (int fi = 0; fi <= 4; fi++) {
		struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_FAILURE,
		    .fail_info = fi });

		st_enroll(resp_url(r), NULL, NULL);
		snprintf(want, sizeof(want), "CertRep FAILURE: failInfo %s (%d)", names[fi], fi);
		cr_assert(eq(int, st_res.outcome, DSIM_SCEP_REFUSED));
		cr_assert(eq(int, st_res.fail_info, fi));
		cr_assert(eq(str, st_res.reason, want));
		cr_assert(eq(ptr, st_res.cert, NULL));
		st_clear();
		resp_free(r);
	}
}

Test(scep_client, pending_then_success_polls_with_get_cert_initial)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_PENDING, .pending = 2 });

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, ""));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_ISSUED));
	cr_assert(eq(int, st_res.polls, 2));
	cr_assert(eq(int, resp_seen(r)->polls, 2));
	cr_assert(eq(int, resp_seen(r)->requests, 3));
	cr_assert(eq(int, EVP_PKEY_eq(X509_get0_pubkey(st_res.cert), st_key), 1));
	resp_free(r);
}

Test(scep_client, pending_past_max_polls)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = RESP_PENDING, .pending = 99 });

	st_opts.max_polls = 3;
	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_PENDING_TIMEOUT));
	cr_assert(eq(str, st_res.reason, "still PENDING after 3 GetCertInitial polls"));
	cr_assert(eq(int, resp_seen(r)->polls, 3));
	resp_free(r);
}

/* One malformed or hostile CertRep: BAD_ANSWER with this reason. */
static void
refused(enum resp_answer answer, const char *reason)
{
	struct resp *r = st_resp(&(struct resp_config){ .answer = answer });

	st_enroll(resp_url(r), NULL, NULL);
	cr_assert(eq(str, st_res.reason, (char *)reason));
	cr_assert(eq(int, st_res.outcome, DSIM_SCEP_BAD_ANSWER));
	cr_assert(eq(ptr, st_res.cert, NULL));
	cr_assert(eq(int, st_res.http_status, 200));
	resp_free(r);
}

Test(scep_client, truncated_pkcs7)
{
	refused(RESP_TRUNCATED, "CertRep is not a PKCS#7 SignedData (truncated or damaged)");
}

Test(scep_client, wrong_recipient_nonce)
{
	refused(RESP_WRONG_NONCE, "CertRep recipientNonce does not match our senderNonce");
}

Test(scep_client, no_recipient_nonce)
{
	refused(RESP_NO_RECIPIENT_NONCE, "CertRep has no single recipientNonce");
}

Test(scep_client, wrong_transaction_id)
{
	refused(RESP_WRONG_TRANSID, "CertRep transactionID does not match ours");
}

Test(scep_client, certificate_for_another_key)
{
	refused(RESP_OTHER_KEY, "issued certificate is for another key");
}

Test(scep_client, unknown_pki_status)
{
	refused(RESP_UNKNOWN_STATUS, "CertRep pkiStatus \"7\" is unknown");
}

Test(scep_client, two_pki_statuses)
{
	refused(RESP_TWO_STATUSES, "CertRep has no single pkiStatus");
}

Test(scep_client, signed_by_another_key)
{
	refused(RESP_OTHER_SIGNER, "CertRep is not signed by a certificate of GetCACert");
}

Test(scep_client, signer_certificate_smuggled_inside)
{
	refused(RESP_SMUGGLED_SIGNER, "CertRep is not signed by a certificate of GetCACert");
}

Test(scep_client, forged_ca_certificate_inside)
{
	refused(RESP_FORGED_CA, "CertRep signature does not verify");
}
