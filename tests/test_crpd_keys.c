/* ndes-crpd key material: missing CRP key or signing certificates, reload
 * by RELOAD message and by SIGHUP, the previous CRP key after a renewal,
 * refused key files, clock skew allowance. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc_client.h"
#include "lib/crpd_harness.h"
#include "lib/testpki.h"

static struct crpd_h *h;
static EVP_PKEY *dev_key;

static void
start_with(const struct crpd_h_opts *o)
{
	dev_key = testpki_key("ec-p256");
	h = crpd_h_launch(o);
}

static void
teardown(void)
{
	crpd_h_finish(&h);
	EVP_PKEY_free(dev_key);
}

TestSuite(crpd_keys, .fini = teardown, .timeout = 60);

static uint32_t
reload(char *msg, size_t msglen)
{
	struct ndes_ipc_client *c = ndes_ipc_client_connect(h->sock, 2000, NULL, 0);
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_RELOAD, 1);
	struct ndes_ipc_frame *reply = NULL;
	struct ndes_ipc_reader r;
	const char *s;
	uint32_t status;

	cr_assert_not_null(c);
	cr_assert_eq(ndes_ipc_client_call(c, m, &reply, 10000, NULL, 0), 0);
	cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_RELOAD_REPLY);
	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_get_u32(&r, &status), 0);
	cr_assert_eq(ndes_ipc_get_str(&r, &s, NULL), 0);
	cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	snprintf(msg, msglen, "%s", s);
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	ndes_ipc_client_free(c);
	return status;
}

static void
write_crp_pair(const char *cert_rel, const char *key_rel, X509 *cert, EVP_PKEY *key)
{
	char *p = crpd_h_path(h, cert_rel);

	crpd_h_write_certs(p, &cert, 1);
	free(p);
	p = crpd_h_path(h, key_rel);
	crpd_h_write_key(p, key);
	free(p);
}

static void
expect(const char *id, const char *txn, bool verified, uint32_t code)
{
	struct crpd_h_reply r;

	crpd_h_verify_default(h, id, dev_key, txn, &r);
	cr_assert_eq(r.verified, verified, "%s: %u 0x%08X %s", txn, r.event_id, r.code,
	    r.reason);
	cr_assert_eq(r.code, code, "%s: 0x%08X %s", txn, r.code, r.reason);
}

Test(crpd_keys, missing_crp_key_then_reload_message)
{
	struct crpd_h_opts o = { .no_crp_key = true };
	char msg[600];

	start_with(&o);
	expect("a1a1a1a1-0000-4c55-9a7e-1b2c3d4e5f60", "txn-nokey", false, 0x408);
	write_crp_pair("registration/crp.pem", "registration/crp.key", h->crp_cert, h->crp_key);
	cr_assert_eq(reload(msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_str_eq(msg, "loaded 1 CRP encryption key, 1 signing certificate");
	expect("a1a1a1a1-1111-4c55-9a7e-1b2c3d4e5f60", "txn-key", true, 0);
}

Test(crpd_keys, missing_signing_certs_then_sighup)
{
	struct crpd_h_opts o = { .no_signing = true };
	struct crpd_h_reply r;
	char *p;
	int i;

	start_with(&o);
	expect("b2b2b2b2-0000-4c55-9a7e-1b2c3d4e5f60", "txn-nosign", false, 0x409);
	p = crpd_h_path(h, "signing/signing-certs.pem");
	crpd_h_write_certs(p, &h->sign_cert, 1);
	free(p);
	cr_assert_eq(kill(h->pid, SIGHUP), 0);
	for (i = 0; i < 100; i++) {
		crpd_h_verify_default(h, "b2b2b2b2-1111-4c55-9a7e-1b2c3d4e5f60", dev_key,
		    "txn-sighup", &r);
		if (r.verified)
			break;
		cr_assert_eq(r.code, 0x409);
		usleep(50000);
	}
	cr_assert(r.verified, "SIGHUP did not load the signing certificate");
}

Test(crpd_keys, previous_crp_key_after_renewal)
{
	EVP_PKEY *new_key = testpki_key("ec-p256");
	X509 *new_cert;
	struct ndes_challenge_claims c;
	struct crpd_h_reply r;
	char msg[600], *text;

	start_with(NULL);
	new_cert = testpki_cert(new_key, "crp node renewed", NULL, NULL, -60, 30);
	write_crp_pair("registration/crp-previous.pem", "registration/crp-previous.key",
	    h->crp_cert, h->crp_key);
	write_crp_pair("registration/crp.pem", "registration/crp.key", new_cert, new_key);
	cr_assert_eq(reload(msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_str_eq(msg, "loaded 2 CRP encryption keys, 1 signing certificate");
	/* minted for the old certificate */
	expect("c3c3c3c3-0000-4c55-9a7e-1b2c3d4e5f60", "txn-old", true, 0);
	/* minted for the new one */
	crpd_h_claims(&c, "c3c3c3c3-1111-4c55-9a7e-1b2c3d4e5f60");
	text = crpd_h_seal_with(&c, h->sign_cert, h->sign_key, new_cert);
	crpd_h_verify_text(h, text, dev_key, "txn-new", &r);
	cr_assert(r.verified, "%s", r.reason);
	free(text);
	X509_free(new_cert);
	EVP_PKEY_free(new_key);
}

Test(crpd_keys, key_readable_by_others_is_refused)
{
	char msg[600], *p;

	start_with(NULL);
	p = crpd_h_path(h, "registration/crp.key");
	cr_assert_eq(chmod(p, 0644), 0);
	cr_assert_eq(reload(msg, sizeof(msg)), 1);
	cr_assert(strstr(msg, "private key file is readable by group or others (mode 0644)"),
	    "%s", msg);
	cr_assert(strstr(msg, "the keys loaded before stay in use"), "%s", msg);
	/* the key loaded at start still works */
	expect("d4d4d4d4-0000-4c55-9a7e-1b2c3d4e5f60", "txn-kept", true, 0);
	/* and at the next start the key is not used: 0x408 */
	crpd_h_stop(h);
	crpd_h_start(h);
	expect("d4d4d4d4-1111-4c55-9a7e-1b2c3d4e5f60", "txn-refused", false, 0x408);
	free(p);
}

Test(crpd_keys, damaged_signing_bundle_keeps_the_loaded_set)
{
	char msg[600], *p;
	FILE *f;

	start_with(NULL);
	p = crpd_h_path(h, "signing/signing-certs.pem");
	f = fopen(p, "w");
	fputs("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	cr_assert_eq(reload(msg, sizeof(msg)), 1, "%s", msg);
	cr_assert(strstr(msg, "signing-certs.pem"), "%s", msg);
	expect("e5e5e5e5-0000-4c55-9a7e-1b2c3d4e5f60", "txn-damaged", true, 0);
	free(p);
}

Test(crpd_keys, clock_skew_allowance)
{
	struct crpd_h_opts o = { .extra_yaml = "challenge_grace: 60s" };
	struct ndes_challenge_claims c;
	struct crpd_h_reply r;

	start_with(&o);
	crpd_h_claims(&c, "f6f6f6f6-0000-4c55-9a7e-1b2c3d4e5f60");
	c.expires_at = (int64_t)time(NULL) - 30;
	crpd_h_verify_claims(h, &c, dev_key, "txn-grace", &r);
	cr_assert(r.verified, "%s", r.reason);
	c.challenge_id = "f6f6f6f6-1111-4c55-9a7e-1b2c3d4e5f60";
	c.expires_at = (int64_t)time(NULL) - 90;
	crpd_h_verify_claims(h, &c, dev_key, "txn-past-grace", &r);
	cr_assert_not(r.verified);
	cr_assert_eq(r.code, 0x411);
}
