/* ndes-cloud-sim: notification receivers and the revocation queue over
 * HTTPS with mutual TLS. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_cloudsim_svc_util.h"

static struct conn conn;

static void
setup(void)
{
	sim_registered_setup(&conn, "--lease-seconds 2", "ec-p256");
}

static void
teardown(void)
{
	sim_registered_teardown(&conn);
}

TestSuite(queues, .init = setup, .fini = teardown);

static const char success_body[] =
    "{\"transactionId\":\"tx-1\",\"certificateRequest\":\"MIIBCSR\","
    "\"certificateThumbprint\":\"C7BD9BF4F4A77C9116F7BB6DCC5F5F03DD531EAB\","
    "\"certificateSerialNumber\":\"3A8C9E742E537C9B\","
    "\"certificateExpirationDateUtc\":\"2027-01-31T12:00:00Z\","
    "\"issuingCertificateAuthority\":\"CN=Svc Issuing CA\",\"callerInfo\":\"ndes-connectord\","
    "\"caConfiguration\":\"ca.example\\\\Svc Issuing CA\",\"certificateAuthority\":\"scep\"}";

static json_t *
post(const char *path, const char *body, int *status)
{
	return sim_api(&sim, &conn, "POST", path, body, status);
}

static void
expect_400(const char *path, const char *body, const char *code, const char *msg)
{
	int status = 0;
	json_t *answer = post(path, body, &status);

	cr_assert_eq(status, 400, "%s", body);
	cr_assert_str_eq(err_code(answer), code, "%s", body);
	if (msg != NULL)
		cr_assert_str_eq(err_msg(answer), msg, "%s", body);
	json_decref(answer);
}

Test(queues, success_notification_is_recorded_once)
{
	json_t *answer, *list, *rec;
	char *wrapped;
	int status = 0;

	answer = post("/ScepActions/successNotification", success_body, &status);
	cr_assert_eq(status, 200);
	cr_assert_eq(json_is_true(json_object_get(answer, "recorded")), 1);
	cr_assert_null(json_object_get(answer, "duplicate"));
	json_decref(answer);
	/* The same transaction again, in the {"notification": ...} shape. */
	cr_assert(asprintf(&wrapped, "{\"notification\":%s}", success_body) > 0);
	answer = post("/ScepActions/successNotification", wrapped, &status);
	cr_assert_eq(status, 200);
	cr_assert_eq(json_is_false(json_object_get(answer, "recorded")), 1);
	cr_assert_eq(json_is_true(json_object_get(answer, "duplicate")), 1);
	json_decref(answer);
	list = sim_admin(&sim, "GET", "/admin/notifications", NULL, &status);
	cr_assert_eq(json_array_size(json_object_get(list, "value")), 1);
	rec = json_array_get(json_object_get(list, "value"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "kind")), "success");
	cr_assert_str_eq(json_string_value(json_object_get(rec, "transactionId")), "tx-1");
	cr_assert_str_eq(json_string_value(json_object_get(rec, "connectorId")), conn.id);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rec, "body"),
	    "certificateSerialNumber")), "3A8C9E742E537C9B");
	json_decref(list);
	free(wrapped);
}

Test(queues, failure_notification_is_recorded_once)
{
	const char *body = "{\"transactionId\":\"tx-2\",\"certificateRequest\":\"MIIB\","
	    "\"hResult\":2147942405,\"errorDescription\":\"denied\",\"callerInfo\":\"c\"}";
	json_t *answer;
	int status = 0;

	answer = post("/ScepActions/failureNotification", body, &status);
	cr_assert_eq(status, 200);
	cr_assert_eq(json_is_true(json_object_get(answer, "recorded")), 1);
	json_decref(answer);
	answer = post("/ScepActions/failureNotification", body, &status);
	cr_assert_eq(json_is_true(json_object_get(answer, "duplicate")), 1);
	json_decref(answer);
}

/* A notification is answered only after the commit of its group
 * (cloudsim/notify_batch.c): killed with SIGKILL right after each answer,
 * the emulator lists every answered one after a restart. */
Test(queues, answered_notification_survives_kill_9)
{
	char body[256], txid[32];
	json_t *answer, *list;
	int status = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(txid, sizeof(txid), "tx-kill-%d", i);
		snprintf(body, sizeof(body), "{\"transactionId\":\"%s\",\"certificateRequest\":"
		    "\"MIIB\",\"hResult\":2147942405,\"errorDescription\":\"denied\","
		    "\"callerInfo\":\"c\"}", txid);
		answer = post("/ScepActions/failureNotification", body, &status);
		cr_assert_eq(status, 200, "%s", err_msg(answer));
		cr_assert_eq(json_is_true(json_object_get(answer, "recorded")), 1);
		json_decref(answer);
		cr_assert_eq(kill(sim.pid, SIGKILL), 0);
		cr_assert_eq(waitpid(sim.pid, &status, 0), sim.pid);
		sim_start(&sim);
		list = sim_admin(&sim, "GET", "/admin/notifications", NULL, &status);
		cr_assert_eq(json_array_size(json_object_get(list, "value")), (size_t)i + 1,
		    "notification %s lost by kill -9 after its answer", txid);
		json_decref(list);
	}
}

Test(queues, malformed_notifications_get_400_naming_the_field)
{
	char long_desc[400], *body;

	memset(long_desc, 'x', 256);
	long_desc[256] = '\0';
	cr_assert(asprintf(&body, "{\"transactionId\":\"t\",\"certificateRequest\":\"r\","
	    "\"hResult\":1,\"errorDescription\":\"%s\",\"callerInfo\":\"c\"}", long_desc) > 0);
	expect_400("/ScepActions/failureNotification", body, "invalid_request",
	    "field \"errorDescription\": at most 255 characters");
	free(body);
	expect_400("/ScepActions/failureNotification", "{\"transactionId\":\"t\","
	    "\"certificateRequest\":\"r\",\"hResult\":\"0x80070005\"}", "invalid_request",
	    "field \"hResult\": expected an integer");
	expect_400("/ScepActions/successNotification", "{\"transactionId\":7}", "invalid_request",
	    "field \"transactionId\": expected a string");
	expect_400("/ScepActions/successNotification", "{\"transactionId\":\"t\"}",
	    "invalid_request", "field \"certificateRequest\": required");
	expect_400("/ScepActions/successNotification", "{\"transactionId\":\"t\","
	    "\"certificateRequest\":\"r\",\"certificateThumbprint\":\"XYZ\"}", "invalid_request",
	    "field \"certificateThumbprint\": expected hexadecimal digits");
	expect_400("/ScepActions/successNotification", "{\"transactionId\":", "invalid_json", NULL);
	expect_400("/ScepActions/successNotification", "[\"text\"]", "invalid_json",
	    "request body must be a JSON object");
	expect_400("/ScepActions/successNotification", "{\"notification\":[]}", "invalid_request",
	    "field \"notification\": expected an object");
}

/* ndesConformance (docs/cloud-api.md): checked, and the emulator's profile
 * state of the device the challenge was minted for. */
static void
post_conformance(const char *txn, const char *serial, const char *id, const char *conf)
{
	char *body;
	int status = 0;
	json_t *answer;

	cr_assert(asprintf(&body, "{\"transactionId\":\"%s\",\"certificateRequest\":\"MIIB\","
	    "\"certificateThumbprint\":\"C7BD9BF4F4A77C9116F7BB6DCC5F5F03DD531EAB\","
	    "\"certificateSerialNumber\":\"%s\",\"certificateExpirationDateUtc\":"
	    "\"2027-01-31T12:00:00Z\",\"issuingCertificateAuthority\":\"CN=CA\",\"callerInfo\":"
	    "\"c\",\"ndesConformance\":{\"checked\":true,\"challengeId\":\"%s\","
	    "\"profile\":\"workstation\",%s}}", txn, serial, id, conf) > 0);
	answer = post("/ScepActions/successNotification", body, &status);
	cr_assert_eq(status, 200, "%s", body);
	json_decref(answer);
	free(body);
}

Test(queues, profile_states_show_conforming_and_differing_issuances)
{
	const char *ids[3];
	json_t *minted[3], *list, *row, *answer;
	char *body;
	int status = 0;

	for (int i = 0; i < 3; i++) {
		json_t *target = json_pack("{s:s, s:s}", "device", "dev-win-1", "profile",
		    "workstation");

		minted[i] = sim_admin(&sim, "POST", "/admin/challenges", target, &status);
		cr_assert_eq(status, 201);
		ids[i] = json_string_value(json_object_get(minted[i], "challengeId"));
		json_decref(target);
	}
	post_conformance("tx-ok", "0A", ids[0], "\"conforms\":true,\"differences\":[]");
	post_conformance("tx-ku", "0B", ids[1], "\"conforms\":false,\"differences\":["
	    "{\"code\":\"0x00001504\",\"name\":\"NDES_Issued_KeyUsageDiffers\",\"detail\":"
	    "\"asked digitalSignature,keyEncipherment, issued digitalSignature\"}]");
	list = sim_admin(&sim, "GET", "/admin/profiles", NULL, &status);
	cr_assert_eq(status, 200);
	cr_assert_eq(json_array_size(json_object_get(list, "value")), 2);
	row = json_array_get(json_object_get(list, "value"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(row, "deviceId")), "dev-win-1");
	cr_assert_str_eq(json_string_value(json_object_get(row, "state")), "conforming");
	cr_assert_eq(json_array_size(json_object_get(row, "differences")), 0);
	row = json_array_get(json_object_get(list, "value"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(row, "profile")), "workstation");
	cr_assert_str_eq(json_string_value(json_object_get(row, "state")), "differs");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(row,
	    "differences"), 0), "code")), "0x00001504");
	cr_assert(json_is_null(json_object_get(row, "revocation")));
	json_decref(list);
	/* conformance: revoke: recorded as the connector's own revocation, never
	 * downloaded, revoked once the connector uploads its result */
	post_conformance("tx-rv", "0C", ids[2], "\"conforms\":false,\"revoke\":true,"
	    "\"differences\":[{\"code\":\"0x00001503\",\"name\":\"NDES_Issued_SanDiffers\","
	    "\"detail\":\"missing upn:alice@contoso.com\"}]");
	answer = post("/CertificateAuthorityRequests/downloadRevocationRequests",
	    "{\"downloadParameters\":{\"maxRequests\":10}}", &status);
	cr_assert_eq(json_array_size(json_object_get(answer, "value")), 0);
	json_decref(answer);
	cr_assert(asprintf(&body, "{\"results\":[{\"requestContext\":\"conformance:%s\","
	    "\"succeeded\":true,\"errorCode\":0}]}", ids[2]) > 0);
	answer = post("/CertificateAuthorityRequests/uploadRevocationResults", body, &status);
	cr_assert_eq(status, 200, "%s", body);
	json_decref(answer);
	free(body);
	list = sim_admin(&sim, "GET", "/admin/profiles", NULL, &status);
	row = json_array_get(json_object_get(list, "value"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(row, "state")), "differs");
	cr_assert_str_eq(json_string_value(json_object_get(row, "revocation")), "revoked");
	json_decref(list);
	for (int i = 0; i < 3; i++)
		json_decref(minted[i]);
	expect_400("/ScepActions/successNotification", "{\"transactionId\":\"t\","
	    "\"certificateRequest\":\"r\",\"certificateThumbprint\":\"AB\","
	    "\"certificateSerialNumber\":\"01\",\"certificateExpirationDateUtc\":"
	    "\"2027-01-31T12:00:00Z\",\"issuingCertificateAuthority\":\"CN=CA\",\"callerInfo\":"
	    "\"c\",\"ndesConformance\":{\"checked\":\"yes\"}}", "invalid_request",
	    "field \"checked\": expected a boolean");
}

static char *
queue_revocation(const char *serial, const char *issuer)
{
	json_t *body = json_pack("{s:s, s:s}", "serial", serial, "issuerName", issuer), *answer;
	char *ctx;
	int status = 0;

	answer = sim_admin(&sim, "POST", "/admin/revocations", body, &status);
	cr_assert_eq(status, 201);
	ctx = strdup(json_string_value(json_object_get(answer, "requestContext")));
	json_decref(answer);
	json_decref(body);
	return ctx;
}

/* downloadRevocationRequests; the serials in order, comma-separated. */
static void
download(int max, const char *issuer, const char *expect)
{
	char body[256], got[256] = "";
	json_t *answer, *item;
	size_t i;
	int status = 0;

	if (issuer != NULL)
		snprintf(body, sizeof(body), "{\"downloadParameters\":{\"maxRequests\":%d,"
		    "\"issuerName\":\"%s\"}}", max, issuer);
	else
		snprintf(body, sizeof(body), "{\"downloadParameters\":{\"maxRequests\":%d}}", max);
	answer = post("/CertificateAuthorityRequests/downloadRevocationRequests", body, &status);
	cr_assert_eq(status, 200, "%s", err_msg(answer));
	json_array_foreach(json_object_get(answer, "value"), i, item) {
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
		    json_string_value(json_object_get(item, "serialNumber")));
		cr_assert(json_string_value(json_object_get(item, "requestContext")) != NULL);
		cr_assert(json_object_get(item, "caConfiguration") != NULL);
	}
	cr_assert_str_eq(got, expect);
	json_decref(answer);
}

Test(queues, revocation_download_honours_max_requests_and_issuer)
{
	char *ctx[4];

	ctx[0] = queue_revocation("01", "CN=Issuer A");
	ctx[1] = queue_revocation("02", "CN=Issuer A");
	ctx[2] = queue_revocation("03", "CN=Issuer B");
	ctx[3] = queue_revocation("04", "CN=Issuer A");
	download(2, "CN=Issuer A", "01,02");
	download(2, "cn=issuer a", "04");      /* leased ones are not handed out again */
	download(500, "CN=Issuer A", "");
	download(1, "CN=Issuer C", "");
	download(5, NULL, "03");
	/* After the lease (2 s) without a result they come back. */
	sleep(3);
	download(500, NULL, "01,02,03,04");
	expect_400("/CertificateAuthorityRequests/downloadRevocationRequests",
	    "{\"downloadParameters\":{\"maxRequests\":0}}", "invalid_request",
	    "field \"maxRequests\": must be between 1 and 500");
	expect_400("/CertificateAuthorityRequests/downloadRevocationRequests",
	    "{\"downloadParameters\":{\"maxRequests\":501}}", "invalid_request",
	    "field \"maxRequests\": must be between 1 and 500");
	expect_400("/CertificateAuthorityRequests/downloadRevocationRequests",
	    "{\"downloadParameters\":{\"maxRequests\":\"5\"}}", "invalid_request",
	    "field \"maxRequests\": expected an integer");
	expect_400("/CertificateAuthorityRequests/downloadRevocationRequests", "{}",
	    "invalid_request", "field \"downloadParameters\": required");
	for (int i = 0; i < 4; i++)
		free(ctx[i]);
}

/* One revocation result from connector c; its status in the answer. */
static void
upload_as(const struct conn *c, const char *ctx, const char *fields, const char *expect_status)
{
	char *body;
	json_t *answer;
	int status = 0;

	cr_assert(asprintf(&body, "{\"results\":[{\"requestContext\":\"%s\",%s}]}", ctx,
	    fields) > 0);
	answer = sim_api(&sim, c, "POST", "/CertificateAuthorityRequests/uploadRevocationResults",
	    body, &status);
	cr_assert_eq(status, 200, "%s: %s", body, err_msg(answer));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(answer,
	    "value"), 0), "status")), expect_status, "%s", body);
	json_decref(answer);
	free(body);
}

static void
upload(const char *ctx, const char *fields, const char *expect_status)
{
	upload_as(&conn, ctx, fields, expect_status);
}

/* Two connectors of one tenant: the result counts only from the connector
 * the request is leased to (docs/cloud-api.md). */
Test(queues, a_result_from_another_connector_than_the_leaseholder_is_not_recorded)
{
	char *ctx = queue_revocation("0D", "CN=I"), *token = sim_token(&sim, 0);
	json_t *list, *row;
	struct conn other;
	int status = 0;

	conn_init(&other, "ec-p256");
	cr_assert_eq(sim_register(&sim, token, &other, NULL), 201);
	download(10, "CN=I", "0D");
	upload_as(&other, ctx, "\"succeeded\":true", "notLeaseholder");
	list = sim_admin(&sim, "GET", "/admin/revocations", NULL, &status);
	row = json_array_get(json_object_get(list, "value"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(row, "status")), "pending");
	cr_assert_str_eq(json_string_value(json_object_get(row, "connectorId")), conn.id);
	json_decref(list);
	upload(ctx, "\"succeeded\":true", "recorded");
	upload_as(&other, ctx, "\"succeeded\":true", "duplicate");
	conn_free(&other);
	free(token);
	free(ctx);
}

Test(queues, revocation_results_are_recorded_once_and_retryable_ones_requeued)
{
	char *ok = queue_revocation("0A", "CN=I"), *retry = queue_revocation("0B", "CN=I");
	char *fail = queue_revocation("0C", "CN=I");
	json_t *list, *row;
	int status = 0;

	download(10, "CN=I", "0A,0B,0C");
	upload(ok, "\"succeeded\":true,\"errorCode\":0,\"errorMessage\":\"\"", "recorded");
	upload(ok, "\"succeeded\":true", "duplicate");
	upload(retry, "\"succeeded\":false,\"errorCode\":4101,\"errorMessage\":\"CA busy\"",
	    "requeued");
	upload(fail, "\"succeeded\":false,\"errorCode\":4001,\"errorMessage\":\"no such cert\"",
	    "recorded");
	upload(fail, "\"succeeded\":false,\"errorCode\":4001", "duplicate");
	upload("no-such-context", "\"succeeded\":true", "unknown");
	/* The retryable one is pending again at once; the others are done. */
	download(10, "CN=I", "0B");
	list = sim_admin(&sim, "GET", "/admin/revocations", NULL, &status);
	row = json_array_get(json_object_get(list, "value"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(row, "status")), "failed");
	cr_assert_eq(json_integer_value(json_object_get(row, "errorCode")), 4001);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(list,
	    "value"), 0), "status")), "revoked");
	json_decref(list);
	expect_400("/CertificateAuthorityRequests/uploadRevocationResults",
	    "{\"results\":[{\"requestContext\":\"x\",\"succeeded\":false,\"errorCode\":4050}]}",
	    "invalid_request", "results[0]: field \"errorCode\": 4050 is not a revocation error "
	    "code (0, 4000-4007, 4100-4103)");
	expect_400("/CertificateAuthorityRequests/uploadRevocationResults",
	    "{\"results\":[{\"requestContext\":\"x\",\"succeeded\":true},"
	    "{\"requestContext\":\"y\",\"succeeded\":true,\"errorCode\":4000}]}",
	    "invalid_request", "results[1]: field \"errorCode\": must be 0 when \"succeeded\" "
	    "is true");
	expect_400("/CertificateAuthorityRequests/uploadRevocationResults",
	    "{\"results\":[{\"requestContext\":\"x\",\"succeeded\":\"yes\"}]}",
	    "invalid_request", "results[0]: field \"succeeded\": expected a boolean");
	expect_400("/CertificateAuthorityRequests/uploadRevocationResults", "{\"results\":[]}",
	    "invalid_request", "field \"results\": between 1 and 500 results");
	free(ok);
	free(retry);
	free(fail);
}
