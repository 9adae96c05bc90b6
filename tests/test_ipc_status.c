/* STATUS_REPLY with a daemon's current errors (docs/ipc.md, "STATUS"):
 * the encoding round trip with 0, 1 and 16 errors, and the refusals that
 * consume nothing: 17 errors, a broken rule, truncated, trailing fields. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

static struct ndes_ipc_status_error
one_error(const char *activity, int64_t since, int64_t last, const char *message)
{
	return (struct ndes_ipc_status_error){ .activity = activity, .since = since,
	    .last = last, .message = message };
}

/* Parse msg's payload; the reader is left in *r. */
static int
parse(const struct ndes_ipc_msg *msg, struct ndes_ipc_reader *r, struct ndes_ipc_status *st)
{
	size_t len;
	const uint8_t *f = ndes_ipc_msg_frame(msg, &len);

	cr_assert_not_null(f);
	ndes_ipc_reader_init_sticky(r, f + NDES_IPC_HEADER_LEN, len - NDES_IPC_HEADER_LEN);
	return ndes_ipc_get_status_reply(r, st);
}

/* A STATUS_REPLY payload written field by field: pid, started, version. */
static struct ndes_ipc_msg *
raw_reply(void)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_STATUS_REPLY, 1);

	ndes_ipc_msg_add_u32(m, 42);
	ndes_ipc_msg_add_i64(m, 1000);
	ndes_ipc_msg_add_str(m, "1.0");
	return m;
}

static void
raw_error(struct ndes_ipc_msg *m, const char *activity, int64_t since, int64_t last,
    const char *message)
{
	ndes_ipc_msg_add_str(m, activity);
	ndes_ipc_msg_add_i64(m, since);
	ndes_ipc_msg_add_i64(m, last);
	ndes_ipc_msg_add_str(m, message);
}

static void
assert_refused(struct ndes_ipc_msg *m, const char *what)
{
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;

	cr_assert_not(ndes_ipc_msg_failed(m), "%s: built", what);
	cr_assert_eq(parse(m, &r, &st), -1, "%s", what);
	cr_assert_eq(r.off, 0, "%s: nothing consumed", what);
	cr_assert_not(ndes_ipc_reader_failed(&r), "%s: the reader as before", what);
	ndes_ipc_msg_free(m);
}

Test(ipc_status, without_errors_the_reply_stops_after_the_version)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_status_reply(9);
	struct ndes_ipc_status st = { .has_errors = true, .nerrors = 3 };
	struct ndes_ipc_reader r;

	cr_assert_eq(parse(m, &r, &st), 0);
	cr_assert_eq(st.pid, (uint32_t)getpid());
	cr_assert_str_eq(st.version, PACKAGE_VERSION);
	cr_assert_not(st.has_errors, "an older sender's reply: no errors field");
	cr_assert_eq(st.nerrors, 0);
	ndes_ipc_msg_free(m);
}

Test(ipc_status, zero_errors_round_trip)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_status_reply_errors(9, NULL, 0);
	struct ndes_ipc_msg *plain = ndes_ipc_msg_new_status_reply(9);
	static const uint8_t count0[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	size_t len, plen;
	const uint8_t *f = ndes_ipc_msg_frame(m, &len);

	ndes_ipc_msg_frame(plain, &plen);
	cr_assert_eq(len, plen + sizeof(count0), "the version, then U32 0");
	cr_assert_eq(memcmp(f + plen, count0, sizeof(count0)), 0);
	cr_assert_eq(parse(m, &r, &st), 0);
	cr_assert(st.has_errors);
	cr_assert_eq(st.nerrors, 0);
	ndes_ipc_msg_free(m);
	ndes_ipc_msg_free(plain);
}

Test(ipc_status, one_error_round_trip_with_exact_bytes)
{
	struct ndes_ipc_status_error e = one_error("store", 1700000000, 1700000060,
	    "verify: cannot connect to PostgreSQL");
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_status_reply_errors(9, &e, 1);
	struct ndes_ipc_msg *plain = ndes_ipc_msg_new_status_reply(9);
	static const uint8_t tail[] = { 0x01, 0x00, 0x00, 0x00, 0x01,	/* U32 1 */
	    0x04, 0x00, 0x00, 0x00, 0x05, 's', 't', 'o', 'r', 'e', 0x00,
	    0x03, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,	/* I64 1700000000 */
	    0x03, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x3c };	/* I64 1700000060 */
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	size_t len, plen;
	const uint8_t *f = ndes_ipc_msg_frame(m, &len);

	ndes_ipc_msg_frame(plain, &plen);
	cr_assert_eq(memcmp(f + plen, tail, sizeof(tail)), 0);
	cr_assert_eq(parse(m, &r, &st), 0);
	cr_assert(st.has_errors);
	cr_assert_eq(st.nerrors, 1);
	cr_assert_str_eq(st.errors[0].activity, "store");
	cr_assert_eq(st.errors[0].since, 1700000000);
	cr_assert_eq(st.errors[0].last, 1700000060);
	cr_assert_str_eq(st.errors[0].message, "verify: cannot connect to PostgreSQL");
	ndes_ipc_msg_free(m);
	ndes_ipc_msg_free(plain);
}

Test(ipc_status, sixteen_errors_round_trip_seventeen_are_refused)
{
	struct ndes_ipc_status_error e[NDES_IPC_STATUS_ERRORS_MAX + 1];
	char names[NDES_IPC_STATUS_ERRORS_MAX + 1][8];
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	struct ndes_ipc_msg *m;

	for (int i = 0; i <= NDES_IPC_STATUS_ERRORS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "a%d", i);
		e[i] = one_error(names[i], 100 + i, 200 + i, names[i]);
	}
	m = ndes_ipc_msg_new_status_reply_errors(1, e, NDES_IPC_STATUS_ERRORS_MAX);
	cr_assert_eq(parse(m, &r, &st), 0);
	cr_assert_eq(st.nerrors, 16);
	for (int i = 0; i < 16; i++)
		cr_assert(strcmp(st.errors[i].activity, names[i]) == 0 &&
		    st.errors[i].since == 100 + i && st.errors[i].last == 200 + i &&
		    strcmp(st.errors[i].message, names[i]) == 0, "error %d", i);
	ndes_ipc_msg_free(m);
	cr_assert_null(ndes_ipc_msg_new_status_reply_errors(1, e, 17), "the builder: 17");
	m = raw_reply();
	ndes_ipc_msg_add_u32(m, 17);
	for (int i = 0; i < 17; i++)
		raw_error(m, names[i], 100, 200, "x");
	assert_refused(m, "17 errors");
}

Test(ipc_status, every_truncation_and_trailing_fields_are_refused)
{
	struct ndes_ipc_status_error e = one_error("link", 5, 6, "connector.sock: refused");
	struct ndes_ipc_msg *m = ndes_ipc_msg_new_status_reply_errors(1, &e, 1);
	struct ndes_ipc_msg *plain = ndes_ipc_msg_new_status_reply(1);
	struct ndes_ipc_status st;
	struct ndes_ipc_reader r;
	size_t len, plen;
	const uint8_t *f = ndes_ipc_msg_frame(m, &len);

	ndes_ipc_msg_frame(plain, &plen);
	for (size_t cut = plen + 1; cut < len; cut++) {
		ndes_ipc_reader_init_sticky(&r, f + NDES_IPC_HEADER_LEN, cut - NDES_IPC_HEADER_LEN);
		cr_assert_eq(ndes_ipc_get_status_reply(&r, &st), -1, "cut at %zu of %zu", cut, len);
		cr_assert_eq(r.off, 0);
	}
	ndes_ipc_msg_free(m);
	ndes_ipc_msg_free(plain);
	m = raw_reply();
	ndes_ipc_msg_add_u32(m, 1);
	raw_error(m, "link", 5, 6, "x");
	ndes_ipc_msg_add_u32(m, 0);
	assert_refused(m, "a field after the errors");
	m = raw_reply();
	ndes_ipc_msg_add_u32(m, 0);
	ndes_ipc_msg_add_str(m, "x");
	assert_refused(m, "a field after a count of 0");
	m = raw_reply();
	ndes_ipc_msg_add_str(m, "store");
	assert_refused(m, "a STR where the count goes");
}

Test(ipc_status, the_rules_for_an_error_on_both_sides)
{
	char long_message[NDES_IPC_STATUS_MESSAGE_MAX + 2];
	struct ndes_ipc_status_error bad[] = {
		one_error("Store", 1, 1, "x"), one_error("", 1, 1, "x"),
		one_error("st ore", 1, 1, "x"), one_error("store", 0, 1, "x"),
		one_error("store", 5, 4, "x"), one_error("store", 1, 1, long_message),
		one_error(NULL, 1, 1, "x"), one_error("store", 1, 1, NULL),
	};
	struct ndes_ipc_status_error ok = one_error("store", 1, 1, long_message + 1);
	struct ndes_ipc_msg *m;

	memset(long_message, 'm', sizeof(long_message) - 1);
	long_message[sizeof(long_message) - 1] = '\0';
	m = ndes_ipc_msg_new_status_reply_errors(1, &ok, 1);
	cr_assert_not_null(m, "a message of exactly %d bytes", NDES_IPC_STATUS_MESSAGE_MAX);
	ndes_ipc_msg_free(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_null(ndes_ipc_msg_new_status_reply_errors(1, &bad[i], 1), "%zu", i);
		if (bad[i].activity == NULL || bad[i].message == NULL)
			continue;
		m = raw_reply();
		ndes_ipc_msg_add_u32(m, 1);
		raw_error(m, bad[i].activity, bad[i].since, bad[i].last, bad[i].message);
		assert_refused(m, "a broken rule");
	}
}
