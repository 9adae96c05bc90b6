/* ndes-crpd events read back from a real journald (journalctl -o json):
 * the exact event ID, diagnostic code and fields of a success and of
 * refusals of each kind.  tests/lib/journal.sh starts a journald when none
 * runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/json_expect.h"
#include "lib/testpki.h"
#include "test_events_util.h"

static struct crpd_h *h;
static EVP_PKEY *key_a, *key_b;
static char tag[64];

static void
setup(void)
{
	evt_ensure_journal();
	snprintf(tag, sizeof(tag), "crpdj-%ld-%ld", (long)getpid(), (long)time(NULL));
	key_a = testpki_key("ec-p256");
	key_b = testpki_key("ec-p256");
	h = crpd_h_launch(&(struct crpd_h_opts){ .journal = true });
}

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
}

TestSuite(crpd_journal, .init = setup, .fini = teardown, .timeout = 60);

/* The one journal entry of transaction txn. */
static json_t *
journal_entry(const char *txn)
{
	char match[256];
	json_t *arr, *e;

	snprintf(match, sizeof(match), "NDES_TRANSACTION_ID=%s", txn);
	arr = evt_journal_read(match, 1);
	e = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return e;
}

static void
expect_journal(const char *txn, const char *id, const char *name, const char *code,
    const char *diag_name, const char *priority)
{
	json_t *e = journal_entry(txn);

	json_expect_strings(e,
	    "NDES_EVENT_ID", id,
	    "NDES_EVENT_NAME", name,
	    "NDES_DIAG_CODE", code,
	    "NDES_DIAG_NAME", diag_name,
	    "PRIORITY", priority,
	    "SYSLOG_IDENTIFIER", "ndes-crpd",
	    "_TRANSPORT", "journal", NULL);
	json_decref(e);
}

/* The default CSR of key_a with challenge text, verified as txn. */
static void
verify_challenge(const char *text, const char *txn)
{
	struct crpd_h_reply r;

	crpd_h_verify_text(h, text, key_a, txn, &r);
}

static void
txn_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s-%s", tag, what);
}

Test(crpd_journal, success_and_replay)
{
	struct crpd_h_reply r;
	char t1[96], t2[96];
	json_t *e;

	txn_name(t1, sizeof(t1), "ok");
	txn_name(t2, sizeof(t2), "replay");
	crpd_h_verify_default(h, "4d4d4d4d-0000-4c55-9a7e-1b2c3d4e5f60", key_a, t1, &r);
	cr_assert(r.verified, "%s", r.reason);
	crpd_h_verify_default(h, "4d4d4d4d-0000-4c55-9a7e-1b2c3d4e5f60", key_b, t2, &r);
	cr_assert_eq(r.code, 0x100A);
	expect_journal(t1, "20500", "CRPVerifyMetric_Success", "0x00000000", "Success", "6");
	e = journal_entry(t1);
	json_expect_strings(e,
	    "NDES_DEVICE_ID", "device-0001",
	    "NDES_USER_ID", "alice@contoso.com",
	    "NDES_CHALLENGE_ID", "4d4d4d4d-0000-4c55-9a7e-1b2c3d4e5f60",
	    "MESSAGE_ID", "bc1f5c68eb9b4fdd8f782fd2aa1fb928", NULL);
	json_decref(e);
	expect_journal(t2, "20501", "CRPVerifyMetric_Warning", "0x0000100A",
	    "NDES_Challenge_Replayed", "4");
}

Test(crpd_journal, not_a_recipient)
{
	EVP_PKEY *k = testpki_key("ec-p256");
	X509 *other = testpki_cert(k, "another connector", NULL, NULL, -60, 30);
	struct ndes_challenge_claims c;
	char txn[96], *text;

	txn_name(txn, sizeof(txn), "norecipient");
	crpd_h_claims(&c, "5e5e5e5e-0000-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal_with(&c, h->sign_cert, h->sign_key, other);
	verify_challenge(text, txn);
	expect_journal(txn, "20502", "CRPVerifyMetric_Failure", "0x00000408",
	    "CRPSCEPCert_NotFound", "3");
	free(text);
	X509_free(other);
	EVP_PKEY_free(k);
}

Test(crpd_journal, expired)
{
	struct ndes_challenge_claims c;
	char txn[96], *text;

	txn_name(txn, sizeof(txn), "expired");
	crpd_h_claims(&c, "6f6f6f6f-0000-4c55-9a7e-1b2c3d4e5f60");
	c.expires_at = (int64_t)time(NULL) - 120;
	text = crpd_h_seal(h, &c);
	verify_challenge(text, txn);
	expect_journal(txn, "20501", "CRPVerifyMetric_Warning", "0x00000411",
	    "CRPSCEPChallenge_Expired", "4");
	free(text);
}
