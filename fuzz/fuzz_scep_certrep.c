/* libFuzzer target: the SCEP client's CertRep reader
 * (devicesim/scep_rep.c, dsim_scep_rep_parse): the answer of a SCEP server,
 * which a device must not trust beyond what it checks.
 *
 * Input: the CertRep's DER, read as the answer to the request of
 * fuzz/fuzz_scep.h.  Invariants: a refusal has a reason and nothing else; an
 * accepted answer is SUCCESS with a certificate on the device's key,
 * FAILURE with a failInfo 0..4, or PENDING, and nothing else. */
#include "fuzz.h"

#include <string.h>

#include "fuzz_scep.h"
#include "scep_int.h"

static STACK_OF(X509) *ca_certs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ca_certs = sk_X509_new_null();
	if (ca_certs == NULL || sk_X509_push(ca_certs, fuzz_cert(FUZZ_SCEP_CA)) <= 0)
		abort();
	return 0;
}

static void
check_accepted(const struct dsim_scep_rep *rep, EVP_PKEY *key)
{
	switch (rep->status) {
	case DSIM_SCEP_STATUS_SUCCESS:
		FUZZ_CHECK(rep->cert != NULL && rep->fail_info == -1);
		FUZZ_CHECK(EVP_PKEY_eq(X509_get0_pubkey(rep->cert), key) == 1);
		fuzz_note("SUCCESS");
		break;
	case DSIM_SCEP_STATUS_FAILURE:
		FUZZ_CHECK(rep->cert == NULL && rep->fail_info >= 0 && rep->fail_info <= 4);
		fuzz_note("FAILURE %d", rep->fail_info);
		break;
	case DSIM_SCEP_STATUS_PENDING:
		FUZZ_CHECK(rep->cert == NULL && rep->fail_info == -1);
		fuzz_note("PENDING");
		break;
	default:
		FUZZ_CHECK(!"an accepted CertRep has a known pkiStatus");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *key = fuzz_key(FUZZ_SCEP_DEVICE);
	struct dsim_scep_expect exp = {
		.ca_certs = ca_certs, .transaction_id = FUZZ_SCEP_TRANSACTION_ID,
		.sender_nonce = (const unsigned char *)FUZZ_SCEP_NONCE,
		.decrypt_cert = fuzz_cert(FUZZ_SCEP_DEVICE), .decrypt_key = key, .key = key,
	};
	struct dsim_scep_rep rep;
	char reason[DSIM_SCEP_REASON_MAX] = "";

	if (dsim_scep_rep_parse(data, size, &exp, &rep, reason) < 0) {
		FUZZ_CHECK(reason[0] != '\0');
		FUZZ_CHECK(rep.cert == NULL && rep.status == -1 && rep.fail_info == -1);
		fuzz_note("refused: %s", reason);
		return 0;
	}
	check_accepted(&rep, key);
	X509_free(rep.cert);
	return 0;
}
