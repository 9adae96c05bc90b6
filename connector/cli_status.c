/* ndes-connector status and queue. */
#include "cli.h"
#include "cli_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "crypto.h"
#include "conn_outbox.h"
#include "errmsg.h"

static json_t *
iso_time(int64_t t)
{
	char buf[32];

	if (t <= 0 || ndes_clock_iso8601((time_t)t, buf, sizeof(buf)) == -1)
		return json_null();
	return json_string(buf);
}

/* {thumbprint, notAfter, daysLeft, expired} of a certificate file, or null. */
static json_t *
cert_info(const char *path)
{
	char err[NDES_ERR_MAX], tp[NDES_CRYPTO_HEX_MAX];
	X509 *cert = ndes_crypto_load_cert(path, err, sizeof(err));
	json_t *o;
	time_t end;

	if (cert == NULL)
		return json_null();
	if (ndes_crypto_asn1_time(X509_get0_notAfter(cert), &end) == -1) {
		X509_free(cert);
		return json_null();
	}
	ndes_crypto_thumbprint(cert, EVP_sha1(), tp, sizeof(tp));
	o = json_pack("{s:s, s:o, s:I, s:b}", "thumbprint", tp, "notAfter", iso_time(end),
	    "daysLeft", (json_int_t)((end - (int64_t)time(NULL)) / 86400),
	    "expired", end <= (int64_t)time(NULL));
	X509_free(cert);
	return o;
}

static json_t *
meta(struct conn_outbox *ob, const char *name)
{
	char *v = ob != NULL ? conn_outbox_meta_get(ob, name) : NULL;
	json_t *j = v != NULL ? json_string(v) : json_null();

	free(v);
	return j;
}

/* The daemon's current errors (d_note.h): {activity: {message, since, last}}. */
static json_t *
errors_json(struct conn_outbox *ob)
{
	char *text = ob != NULL ? conn_outbox_meta_get(ob, CONN_META_ERRORS) : NULL;
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (json_is_object(o))
		return o;
	json_decref(o);
	return json_object();
}

static json_t *
queue_info(struct cli *c, struct conn_outbox **obp)
{
	char err[NDES_ERR_MAX], *summary;
	json_t *by = NULL, *o;
	int64_t rejected = 0, total;
	const char *k;
	json_t *v;

	*obp = NULL;
	if (access(c->st.outbox_db, F_OK) != 0)
		return json_pack("{s:i, s:i, s:i, s:{}}", "depth", 0, "rejected", 0, "work", 0,
		    "byKind");
	if ((*obp = conn_outbox_open(c->st.outbox_db, 0, err, sizeof(err))) == NULL)
		return json_pack("{s:s}", "error", err);
	summary = conn_outbox_summary_json(*obp);
	by = summary != NULL ? json_loads(summary, 0, NULL) : json_object();
	free(summary);
	json_object_foreach(by, k, v)
		rejected += json_integer_value(json_object_get(v, "rejected"));
	total = conn_outbox_count(*obp) - conn_outbox_work_count(*obp);
	o = json_pack("{s:I, s:I, s:I, s:o}", "depth", (json_int_t)(total - rejected),
	    "rejected", (json_int_t)rejected, "work", (json_int_t)conn_outbox_work_count(*obp),
	    "byKind", by);
	return o;
}

/* Problems with the key files: "" or a message. */
static int
key_problem(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key;

	err[0] = '\0';
	if (access(path, F_OK) != 0)
		return 0;
	if ((key = ndes_crypto_load_key(path, NULL, err, errlen)) == NULL)
		return -1;
	EVP_PKEY_free(key);
	return 0;
}

static json_t *
status_json(struct cli *c, const struct conn_registration *reg, int *code)
{
	struct conn_outbox *ob = NULL;
	json_t *o, *client = cert_info(c->st.client_cert);
	STACK_OF(X509) *signing;
	char err[NDES_ERR_MAX];
	int nsign = 0;

	if ((signing = ndes_crypto_load_certs(c->st.signing_certs, err, sizeof(err))) != NULL)
		nsign = sk_X509_num(signing);
	sk_X509_pop_free(signing, X509_free);
	if (json_is_object(client) && reg->client_thumbprint != NULL)
		json_object_set_new(client, "matchesRegistration", json_boolean(strcmp(
		    json_string_value(json_object_get(client, "thumbprint")),
		    reg->client_thumbprint) == 0));
	o = json_pack("{s:b, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o, s:i, s:o}",
	    "registered", reg->connector_id != NULL, "connectorId", reg->connector_id,
	    "tenantId", reg->tenant_id, "cloudUrl", reg->cloud_url, "name", reg->name,
	    "registeredAt", iso_time(reg->registered_at), "renewedAt", iso_time(reg->renewed_at),
	    "clientCertificate", client, "crpCertificate", cert_info(c->st.crp_cert),
	    "signingCertificates", nsign, "queue", queue_info(c, &ob));
	json_object_set_new(o, "lastUpload", meta(ob, "lastUpload"));
	json_object_set_new(o, "lastDownload", meta(ob, "lastDownload"));
	json_object_set_new(o, "errors", errors_json(ob));
	conn_outbox_close(ob);
	if (key_problem(c->st.client_key, err, sizeof(err)) == -1 ||
	    key_problem(c->st.crp_key, err, sizeof(err)) == -1) {
		json_object_set_new(o, "problem", json_string(err));
		*code = strstr(err, "or others") != NULL ? CLI_PERMS : CLI_FAIL;
	}
	return o;
}

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

static void
print_cert(const char *label, json_t *cert)
{
	if (!json_is_object(cert)) {
		printf("%-22s none\n", label);
		return;
	}
	printf("%-22s %s, expires %s (%lld days left)%s%s\n", label, js(cert, "thumbprint"),
	    js(cert, "notAfter"), (long long)json_integer_value(json_object_get(cert, "daysLeft")),
	    json_is_true(json_object_get(cert, "expired")) ? ", EXPIRED: register again" : "",
	    json_is_false(json_object_get(cert, "matchesRegistration")) ?
	    ", NOT the registered certificate: register again" : "");
}

/* The current errors the daemons said (ndes-crpd's: cli_status_live.c). */
static size_t
daemon_errors_count(json_t *daemons)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(daemons, k, v)
		n += json_object_size(json_object_get(v, "errors"));
	return n;
}

static void
print_error_lines(const char *prefix, json_t *errors)
{
	const char *k;
	json_t *v;

	json_object_foreach(errors, k, v)
		printf("%-22s %s%s since %s (last %s): %s\n", "error:", prefix, k, js(v, "since"),
		    js(v, "last"), js(v, "message"));
}

/* connectord's errors as they are, then each daemon's, its name first:
 * "ndes-crpd/store since ...". */
static void
print_errors(json_t *o)
{
	json_t *errors = json_object_get(o, "errors"), *daemons = json_object_get(o, "daemons");
	char prefix[40];
	const char *k;
	json_t *v;

	if (json_object_size(errors) == 0 && daemon_errors_count(daemons) == 0)
		printf("%-22s none\n", "errors:");
	print_error_lines("", errors);
	json_object_foreach(daemons, k, v) {
		snprintf(prefix, sizeof(prefix), "%s/", k);
		print_error_lines(prefix, json_object_get(v, "errors"));
	}
}

/* "42s", "3m 05s", "2h 03m", "12d 02h": the two largest units. */
static void
uptime_text(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm %02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd %02lldh", s / 86400, s / 3600 % 24);
}

/* "answers (pid 812, up 3h 05m, version 0.1.0) on SOCKET", "not running:
 * SOCKET: reason". */
static void
print_daemons(json_t *daemons)
{
	char label[40], up[48];
	const char *k;
	json_t *v;

	json_object_foreach(daemons, k, v) {
		snprintf(label, sizeof(label), "%s:", k);
		uptime_text((long long)json_integer_value(json_object_get(v, "uptimeSeconds")), up,
		    sizeof(up));
		if (json_is_integer(json_object_get(v, "pid")))
			printf("%-22s %s (pid %lld, up %s, version %s) on %s\n", label,
			    js(v, "state"), (long long)json_integer_value(json_object_get(v, "pid")),
			    up, js(v, "version"), js(v, "socket"));
		else if (json_is_string(json_object_get(v, "reason")))
			printf("%-22s %s: %s: %s\n", label, js(v, "state"), js(v, "socket"),
			    js(v, "reason"));
		else
			printf("%-22s %s on %s\n", label, js(v, "state"), js(v, "socket"));
	}
}

static void
status_print(json_t *o)
{
	json_t *q = json_object_get(o, "queue"), *v;
	const char *k;

	if (!json_is_true(json_object_get(o, "registered")))
		printf("%-22s no (run `ndes-connector register`)\n", "registered:");
	else
		printf("%-22s yes, connector %s (tenant %s)\n%-22s %s\n%-22s %s\n", "registered:",
		    js(o, "connectorId"), js(o, "tenantId"), "cloud:", js(o, "cloudUrl"),
		    "registered at:", js(o, "registeredAt"));
	if (json_is_string(json_object_get(o, "renewedAt")))
		printf("%-22s %s\n", "renewed at:", js(o, "renewedAt"));
	print_cert("client certificate:", json_object_get(o, "clientCertificate"));
	print_cert("CRP certificate:", json_object_get(o, "crpCertificate"));
	printf("%-22s %lld\n", "signing certificates:",
	    (long long)json_integer_value(json_object_get(o, "signingCertificates")));
	printf("%-22s %lld waiting, %lld rejected, %lld requests in progress\n", "outbox:",
	    (long long)json_integer_value(json_object_get(q, "depth")),
	    (long long)json_integer_value(json_object_get(q, "rejected")),
	    (long long)json_integer_value(json_object_get(q, "work")));
	json_object_foreach(json_object_get(q, "byKind"), k, v)
		printf("%-22s   %s: %lld\n", "", k,
		    (long long)json_integer_value(json_object_get(v, "waiting")));
	printf("%-22s %s\n%-22s %s\n", "last upload:", js(o, "lastUpload"), "last download:",
	    js(o, "lastDownload"));
	print_errors(o);
	print_daemons(json_object_get(o, "daemons"));
	if (json_is_string(json_object_get(o, "problem")))
		printf("%-22s %s\n", "problem:", js(o, "problem"));
}

int
cli_status(struct cli *c)
{
	struct conn_registration reg = { 0 };
	char err[NDES_ERR_MAX];
	int r, down, code = CLI_OK;
	json_t *o;

	if (conn_state_check_dir(c->st.dir, false, err, sizeof(err)) == -1)
		return cli_fail(strstr(err, "writable") ? CLI_PERMS : CLI_FAIL, "%s", err);
	if ((r = conn_registration_load(c->st.registration, &reg, err, sizeof(err))) == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	if (r == 1)
		code = CLI_NOT_REGISTERED;
	o = status_json(c, &reg, &code);
	json_object_set_new(o, "daemons", cli_status_daemons(c, &down));
	if (code == CLI_OK && down > 0)
		code = CLI_DAEMON_DOWN;
	else if (code == CLI_OK && (json_object_size(json_object_get(o, "errors")) > 0 ||
	    daemon_errors_count(json_object_get(o, "daemons")) > 0))
		code = CLI_ERROR_CURRENT;
	if (c->json) {
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	} else
		status_print(o);
	json_decref(o);
	conn_registration_clear(&reg);
	return code;
}

static json_t *
item_json(const struct conn_outbox_item *it, bool work)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:I, s:s?, s:s}", "seq", (json_int_t)it->seq,
	    "kind", it->kind, "key", it->key, "created", iso_time(it->created),
	    "attempts", (json_int_t)it->attempts, "lastError", it->last_error,
	    "state", work ? (it->started ? "in progress" : "downloaded") :
	    (it->rejected ? "rejected" : "waiting"));
}

struct purge_opts {
	int64_t older_than;
};

static const struct ndes_config_field purge_fields[] = {
	NDES_CFG_DURATION("older_than", struct purge_opts, older_than,
	    NDES_CFG_RANGE(1, 100LL * 365 * 86400)),
};
static const struct ndes_config_schema purge_schema =
    NDES_CFG_SCHEMA(struct purge_opts, purge_fields);

/* --older-than DURATION, read as the configuration reads durations. */
static int
purge_duration(const char *text, int64_t *secs)
{
	struct purge_opts o = { 0 };
	char yaml[128], err[NDES_CONFIG_ERR_MAX];

	if (text[0] == '\0' || strspn(text, "0123456789abcdefghijklmnopqrstuvwxyz") !=
	    strlen(text) || strlen(text) > 32)
		return -1;
	snprintf(yaml, sizeof(yaml), "older_than: %s\n", text);
	if (ndes_config_load_string("--older-than", yaml, &purge_schema, &o, err,
	    sizeof(err)) == -1)
		return -1;
	*secs = o.older_than;
	ndes_config_free(&purge_schema, &o);
	return 0;
}

static int
cli_queue_purge(struct cli *c)
{
	struct conn_outbox *ob;
	int64_t age = 0, n = 0;
	char err[NDES_ERR_MAX];

	if (c->older_than != NULL && purge_duration(c->older_than, &age) == -1)
		return cli_fail(CLI_USAGE, "--older-than \"%s\": not a duration (e.g. 90s, 60m, "
		    "12h, 30d)", c->older_than);
	if (access(c->st.outbox_db, F_OK) == 0) {
		if ((ob = conn_outbox_open(c->st.outbox_db, 0, err, sizeof(err))) == NULL)
			return cli_fail(CLI_FAIL, "%s", err);
		n = conn_outbox_purge_rejected(ob, age > 0 ? (int64_t)time(NULL) - age : 0);
		conn_outbox_close(ob);
		if (n < 0)
			return cli_fail(CLI_FAIL, "%s: cannot delete the rejected items",
			    c->st.outbox_db);
	}
	if (c->json) {
		json_t *o = json_pack("{s:I}", "deleted", (json_int_t)n);
		char *text = json_dumps(o, 0);

		printf("%s\n", text != NULL ? text : "");
		free(text);
		json_decref(o);
	} else
		printf("deleted %lld rejected item%s from the outbox%s%s\n", (long long)n,
		    n == 1 ? "" : "s", c->older_than != NULL ? ", stored more than " : "",
		    c->older_than != NULL ? c->older_than : "");
	return CLI_OK;
}

int
cli_queue(struct cli *c)
{
	struct conn_outbox *ob;
	struct conn_outbox_item *items = NULL, *work = NULL;
	size_t n = 0, nw = 0;
	char err[NDES_ERR_MAX];
	json_t *arr, *o;
	size_t i;

	if (c->purge_rejected)
		return cli_queue_purge(c);
	arr = json_array();
	if (access(c->st.outbox_db, F_OK) == 0) {
		if ((ob = conn_outbox_open(c->st.outbox_db, 0, err, sizeof(err))) == NULL)
			return cli_fail(CLI_FAIL, "%s", err);
		conn_outbox_list(ob, (size_t)c->limit, &items, &n);
		conn_outbox_work_fetch(ob, (size_t)c->limit, &work, &nw);
		conn_outbox_close(ob);
	}
	for (i = 0; i < nw; i++)
		json_array_append_new(arr, item_json(&work[i], true));
	for (i = 0; i < n; i++)
		json_array_append_new(arr, item_json(&items[i], false));
	if (c->json) {
		char *text = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
	} else {
		if (json_array_size(arr) == 0)
			printf("the outbox is empty\n");
		json_array_foreach(arr, i, o)
			printf("%-8lld %-20s %-12s %-44s %s attempts=%lld%s%s\n",
			    (long long)json_integer_value(json_object_get(o, "seq")), js(o, "kind"),
			    js(o, "state"), js(o, "key"), js(o, "created"),
			    (long long)json_integer_value(json_object_get(o, "attempts")),
			    json_is_string(json_object_get(o, "lastError")) ? " last error: " : "",
			    json_is_string(json_object_get(o, "lastError")) ? js(o, "lastError") : "");
	}
	json_decref(arr);
	conn_outbox_items_free(items, n);
	conn_outbox_items_free(work, nw);
	return CLI_OK;
}
