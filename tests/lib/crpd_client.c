/* ndes-crpd test harness: challenges, CSRs, IPC calls, events. */
#include "crpd_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "b64.h"
#include "ipc_client.h"
#include "lib/testpki.h"
#include "test_events_util.h"

void
crpd_h_claims(struct ndes_challenge_claims *c, const char *id)
{
	memset(c, 0, sizeof(*c));
	c->version = NDES_CHALLENGE_VERSION;
	c->challenge_id = (char *)id;
	c->tenant_id = CRPD_H_TENANT;
	c->profile_id = "profile-wifi";
	c->device_id = "device-0001";
	c->user_id = "alice@contoso.com";
	c->cert_type = NDES_CHALLENGE_CERT_USER;
	c->issued_at = (int64_t)time(NULL) - 60;
	c->expires_at = (int64_t)time(NULL) + 3600;
	c->subject = "CN=alice,O=Contoso";
	c->sans[0] = (struct ndes_challenge_san){ "email", "alice@contoso.com" };
	c->sans[1] = (struct ndes_challenge_san){ "upn", "alice@contoso.com" };
	c->n_sans = 2;
	c->key_type = "EC";
	c->min_key_bits = 256;
	c->key_usage = KU_DIGITAL_SIGNATURE;
	c->ekus[0] = "1.3.6.1.5.5.7.3.2";
	c->n_ekus = 1;
	c->hash = "sha256";
	c->validity_days = 365;
	c->template_name = "UserTemplate";
}

char *
crpd_h_seal_with(const struct ndes_challenge_claims *c, X509 *signer_cert,
    EVP_PKEY *signer_key, X509 *recipient)
{
	STACK_OF(X509) *r = sk_X509_new_null();
	char err[256], *text = NULL;

	sk_X509_push(r, recipient);
	cr_assert_eq(ndes_challenge_seal(c, signer_cert, signer_key, r, &text, err,
	    sizeof(err)), 0, "seal: %s", err);
	sk_X509_free(r);
	return text;
}

char *
crpd_h_seal(struct crpd_h *h, const struct ndes_challenge_claims *c)
{
	return crpd_h_seal_with(c, h->sign_cert, h->sign_key, h->crp_cert);
}

void
crpd_h_csr_default(struct crpd_h_csr_spec *s, EVP_PKEY *key, const char *challenge)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->subject[0][0] = "O";
	s->subject[0][1] = "Contoso";
	s->subject[1][0] = "CN";
	s->subject[1][1] = "alice";
	s->sans[0] = (struct crpd_h_san){ "email", "alice@contoso.com" };
	s->sans[1] = (struct crpd_h_san){ "upn", "alice@contoso.com" };
	s->key_usage = "critical,digitalSignature";
	s->ekus = "1.3.6.1.5.5.7.3.2";
	s->challenge = challenge;
}

static void
csr_add_san_text(char *buf, size_t len, const struct crpd_h_san *s)
{
	const char *prefix = strcmp(s->type, "email") == 0 ? "email:" :
	    strcmp(s->type, "upn") == 0 ? "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:" :
	    strcmp(s->type, "dns") == 0 ? "DNS:" : strcmp(s->type, "uri") == 0 ? "URI:" :
	    "IP:";
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s%s", used > 0 ? "," : "", prefix, s->value);
}

static void
csr_add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);

	cr_assert_not_null(ext, "extension %d %s", nid, value);
	sk_X509_EXTENSION_push(exts, ext);
}

static void
csr_extensions(X509_REQ *req, const struct crpd_h_csr_spec *s)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char sans[2048] = "";

	for (size_t i = 0; i < 6 && s->sans[i].type != NULL; i++)
		csr_add_san_text(sans, sizeof(sans), &s->sans[i]);
	if (sans[0] != '\0')
		csr_add_ext(exts, NID_subject_alt_name, sans);
	if (s->key_usage != NULL)
		csr_add_ext(exts, NID_key_usage, s->key_usage);
	if (s->ekus != NULL)
		csr_add_ext(exts, NID_ext_key_usage, s->ekus);
	if (sk_X509_EXTENSION_num(exts) > 0)
		cr_assert_eq(X509_REQ_add_extensions(req, exts), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

uint8_t *
crpd_h_csr(const struct crpd_h_csr_spec *s, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int n;

	X509_REQ_set_version(req, 0);
	for (size_t i = 0; i < 4 && s->subject[i][0] != NULL; i++)
		cr_assert_eq(X509_NAME_add_entry_by_txt(name, s->subject[i][0], MBSTRING_UTF8,
		    (const unsigned char *)s->subject[i][1], -1, -1, 0), 1);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, s->key);
	csr_extensions(req, s);
	if (s->challenge != NULL)
		cr_assert_eq(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
		    MBSTRING_UTF8, (const unsigned char *)s->challenge, -1), 1);
	cr_assert_gt(X509_REQ_sign(req, s->key, s->md != NULL ? s->md : EVP_sha256()), 0);
	n = i2d_X509_REQ(req, &der);
	cr_assert_gt(n, 0);
	if (s->corrupt_signature)
		der[n - 1] ^= 0x01;
	*len = (size_t)n;
	X509_NAME_free(name);
	X509_REQ_free(req);
	return der;
}

/* One request on a new connection: the reply, or NULL (why in err). */
static struct ndes_ipc_frame *
client_try_call(const char *sock, struct ndes_ipc_msg *m, char *err, size_t errlen)
{
	struct ndes_ipc_client *c = ndes_ipc_client_connect(sock, 2000, err, errlen);
	struct ndes_ipc_frame *reply = NULL;

	if (c != NULL) {
		ndes_ipc_msg_set_request_id(m, ndes_ipc_client_next_id(c));
		if (ndes_ipc_client_call(c, m, &reply, 20000, err, errlen) != 0)
			reply = NULL;
		ndes_ipc_client_free(c);
	}
	ndes_ipc_msg_free(m);
	return reply;
}

static struct ndes_ipc_frame *
client_call(struct crpd_h *h, struct ndes_ipc_msg *m)
{
	char err[256];
	struct ndes_ipc_frame *reply = client_try_call(h->sock, m, err, sizeof(err));

	cr_assert_not_null(reply, "call on %s: %s", h->sock, err);
	return reply;
}

static int
copy_str(struct ndes_ipc_reader *r, char *dst, size_t len)
{
	const char *s;

	if (ndes_ipc_get_str(r, &s, NULL) != 0)
		return -1;
	snprintf(dst, len, "%s", s);
	return 0;
}

static int
verify_reply_read(const struct ndes_ipc_frame *reply, struct crpd_h_reply *out)
{
	struct ndes_ipc_reader r;

	memset(out, 0, sizeof(*out));
	if (ndes_ipc_frame_type(reply) != NDES_IPC_MSG_VERIFY_REPLY)
		return -1;
	ndes_ipc_frame_reader(reply, &r);
	if (ndes_ipc_get_bool(&r, &out->verified) || ndes_ipc_get_u32(&r, &out->event_id) ||
	    ndes_ipc_get_u32(&r, &out->code) || copy_str(&r, out->reason, sizeof(out->reason)) ||
	    copy_str(&r, out->challenge_id, sizeof(out->challenge_id)) ||
	    copy_str(&r, out->device_id, sizeof(out->device_id)) ||
	    copy_str(&r, out->user_id, sizeof(out->user_id)) ||
	    copy_str(&r, out->transaction_id, sizeof(out->transaction_id)))
		return -1;
	return ndes_ipc_reader_end(&r) == 0 ? 0 : -1;
}

int
crpd_h_try_verify(const char *sock, const uint8_t *csr, size_t len, const char *txn,
    struct crpd_h_reply *out)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REQUEST, 0);
	struct ndes_ipc_frame *reply;
	char err[256];
	int rc;

	ndes_ipc_msg_add_bytes(m, csr, len);
	ndes_ipc_msg_add_bytes(m, NULL, 0);
	ndes_ipc_msg_add_str(m, "UserTemplate");
	ndes_ipc_msg_add_str(m, txn);
	if (ndes_ipc_msg_failed(m)) {
		ndes_ipc_msg_free(m);
		return -1;
	}
	if ((reply = client_try_call(sock, m, err, sizeof(err))) == NULL) {
		memset(out, 0, sizeof(*out));
		snprintf(out->reason, sizeof(out->reason), "%s", err);
		return -1;
	}
	rc = verify_reply_read(reply, out);
	ndes_ipc_frame_free(reply);
	return rc;
}

void
crpd_h_verify(struct crpd_h *h, const uint8_t *csr, size_t len, const char *txn,
    struct crpd_h_reply *out)
{
	cr_assert_eq(crpd_h_try_verify(h->sock, csr, len, txn, out), 0,
	    "VERIFY on %s: no VERIFY_REPLY (%s)", h->sock, out->reason);
}

uint8_t *
crpd_h_csr_for(struct crpd_h *h, const struct ndes_challenge_claims *c, EVP_PKEY *key,
    size_t *len)
{
	struct crpd_h_csr_spec s;
	char *text = crpd_h_seal(h, c);
	uint8_t *csr;

	crpd_h_csr_default(&s, key, text);
	csr = crpd_h_csr(&s, len);
	free(text);
	return csr;
}

void
crpd_h_verify_text(struct crpd_h *h, const char *challenge, EVP_PKEY *key, const char *txn,
    struct crpd_h_reply *out)
{
	struct crpd_h_csr_spec s;
	uint8_t *csr;
	size_t len;

	crpd_h_csr_default(&s, key, challenge);
	csr = crpd_h_csr(&s, &len);
	crpd_h_verify(h, csr, len, txn, out);
	OPENSSL_free(csr);
}

void
crpd_h_verify_claims(struct crpd_h *h, const struct ndes_challenge_claims *c, EVP_PKEY *key,
    const char *txn, struct crpd_h_reply *out)
{
	size_t len;
	uint8_t *csr = crpd_h_csr_for(h, c, key, &len);

	crpd_h_verify(h, csr, len, txn, out);
	OPENSSL_free(csr);
}

void
crpd_h_verify_default(struct crpd_h *h, const char *id, EVP_PKEY *key, const char *txn,
    struct crpd_h_reply *out)
{
	struct ndes_challenge_claims c;

	crpd_h_claims(&c, id);
	crpd_h_verify_claims(h, &c, key, txn, out);
}

void
crpd_h_notify(struct crpd_h *h, const char *challenge, const char *txn, int64_t disposition,
    uint32_t hresult, const uint8_t *cert, size_t cert_len, const char *description,
    struct crpd_h_notify_reply *out)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_NOTIFY, 0);
	struct ndes_ipc_frame *reply;
	struct ndes_ipc_reader r;
	const char *msg;

	ndes_ipc_msg_add_str(m, challenge != NULL ? challenge : "");
	ndes_ipc_msg_add_str(m, txn);
	ndes_ipc_msg_add_i64(m, disposition);
	ndes_ipc_msg_add_u32(m, hresult);
	ndes_ipc_msg_add_bytes(m, cert, cert_len);
	ndes_ipc_msg_add_str(m, description != NULL ? description : "");
	cr_assert(!ndes_ipc_msg_failed(m));
	reply = client_call(h, m);
	ndes_ipc_frame_reader(reply, &r);
	memset(out, 0, sizeof(*out));
	if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_ERROR) {
		cr_assert_eq(ndes_ipc_get_error(&r, &out->error_code, &msg), 0);
		snprintf(out->message, sizeof(out->message), "%s", msg);
	} else {
		cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_NOTIFY_REPLY);
		cr_assert_eq(ndes_ipc_get_bool(&r, &out->accepted), 0);
		cr_assert_eq(ndes_ipc_get_u32(&r, &out->code), 0);
		cr_assert_eq(copy_str(&r, out->message, sizeof(out->message)), 0);
		cr_assert_eq(ndes_ipc_reader_end(&r), 0);
	}
	ndes_ipc_frame_free(reply);
}

char *
crpd_h_current_error(struct crpd_h *h, const char *activity)
{
	struct ndes_ipc_frame *reply = client_call(h, ndes_ipc_msg_new(NDES_IPC_MSG_STATUS, 0));
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	char *msg = NULL;

	ndes_ipc_frame_reader(reply, &r);
	cr_assert_eq(ndes_ipc_frame_type(reply), NDES_IPC_MSG_STATUS_REPLY);
	cr_assert_eq(ndes_ipc_get_status_reply(&r, &st), 0);
	cr_assert(st.has_errors, "crpd's STATUS_REPLY without its errors");
	for (size_t i = 0; i < st.nerrors && msg == NULL; i++)
		if (strcmp(st.errors[i].activity, activity) == 0)
			msg = strdup(st.errors[i].message);
	ndes_ipc_frame_free(reply);
	return msg;
}

static json_t *
events_read(const char *path, const char *field, const char *value)
{
	json_t *arr = json_array(), *e;
	FILE *f = fopen(path, "r");
	char line[65536];
	const char *t;

	if (f == NULL)
		return arr;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL)
			break;	/* a line still being written */
		e = json_loads(line, 0, NULL);
		cr_assert_not_null(e, "events file line is not JSON: %s", line);
		t = json_string_value(json_object_get(e, field));
		if (t != NULL && strcmp(t, value) == 0)
			json_array_append(arr, e);
		json_decref(e);
	}
	fclose(f);
	return arr;
}

/* This crpd's entries whose field is value in journald (a plain token:
 * quoted as is). */
static json_t *
events_read_journal(const struct crpd_h *h, const char *field, const char *value)
{
	char match[512];

	cr_assert_null(strchr(value, '\''), "%s %s", field, value);
	snprintf(match, sizeof(match), "--since=@%lld.%06ld _PID=%d '%s=%s'",
	    (long long)h->started.tv_sec, h->started.tv_nsec / 1000, (int)h->pid, field, value);
	return evt_journal_query(match);
}

json_t *
crpd_h_events_where(struct crpd_h *h, const char *field, const char *value, size_t want)
{
	json_t *arr = NULL;

	for (int i = 0; i < 100; i++) {
		json_decref(arr);
		arr = h->journal ? events_read_journal(h, field, value) :
		    events_read(h->events, field, value);
		if (json_array_size(arr) >= want)
			break;
		usleep(50000);
	}
	return arr;
}

json_t *
crpd_h_events(struct crpd_h *h, const char *txn, size_t want)
{
	return crpd_h_events_where(h, "NDES_TRANSACTION_ID", txn, want);
}

json_t *
crpd_h_expect_event(struct crpd_h *h, const char *txn, int event_id, uint32_t code,
    json_t **arr)
{
	char want_code[16], want_id[16];
	json_t *e;

	*arr = crpd_h_events(h, txn, 1);
	cr_assert_eq(json_array_size(*arr), 1, "%zu events for transaction %s",
	    json_array_size(*arr), txn);
	e = json_array_get(*arr, 0);
	snprintf(want_id, sizeof(want_id), "%d", event_id);
	snprintf(want_code, sizeof(want_code), "0x%08X", code);
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_EVENT_ID")), want_id,
	    "event %s", json_dumps(e, 0));
	cr_assert_str_eq(json_string_value(json_object_get(e, "NDES_DIAG_CODE")), want_code,
	    "event %s", json_dumps(e, 0));
	return e;
}

uint8_t *
crpd_h_issue(EVP_PKEY *key, const char *cn, size_t *len)
{
	EVP_PKEY *ca_key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(ca_key, "Test Issuing CA", NULL, NULL, -60, 365);
	X509 *cert = testpki_cert(key, cn, ca, ca_key, -60, 365);
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);

	cr_assert_gt(n, 0);
	*len = (size_t)n;
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return der;
}

static void
issue_ext(X509 *cert, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, ca, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(ext);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

uint8_t *
crpd_h_issue_conforming(EVP_PKEY *key, size_t *len)
{
	EVP_PKEY *ca_key = testpki_key("ec-p256");
	X509 *ca = testpki_cert(ca_key, "Test Issuing CA", NULL, NULL, -60, 3650);
	X509 *cert = testpki_cert(key, "alice", ca, ca_key, -60, 365);
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int n;

	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Contoso",
	    -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"alice",
	    -1, -1, 0);
	X509_set_subject_name(cert, name);
	issue_ext(cert, ca, NID_subject_alt_name, "email:alice@contoso.com, "
	    "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@contoso.com");
	issue_ext(cert, ca, NID_key_usage, "critical, digitalSignature");
	issue_ext(cert, ca, NID_ext_key_usage, "clientAuth");
	cr_assert_gt(X509_sign(cert, ca_key, EVP_sha256()), 0);
	cr_assert_gt(n = i2d_X509(cert, &der), 0);
	*len = (size_t)n;
	X509_NAME_free(name);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return der;
}

char *
crpd_h_csr_b64(struct crpd_h *h, const char *id, EVP_PKEY *key)
{
	struct ndes_challenge_claims c;
	uint8_t *csr;
	size_t len;
	char *out;

	crpd_h_claims(&c, id);
	csr = crpd_h_csr_for(h, &c, key, &len);
	out = ndes_b64_encode(csr, len);
	OPENSSL_free(csr);
	return out;
}
