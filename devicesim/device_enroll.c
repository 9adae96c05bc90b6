/* The steps of one enrollment (dsim_device.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "dsim_device.h"
#include "dsim_keys.h"
#include "log.h"

static int
run_fail(struct dsim_run *run, const char *kind, const char *prefix, const char *what)
{
	snprintf(run->failure_kind, sizeof(run->failure_kind), "%s", kind);
	snprintf(run->reason, sizeof(run->reason), "%s%s", prefix, what);
	return -1;
}

static void
run_report(struct dsim_run *run, bool ok)
{
	const struct dsim_payload *p = &run->payload;

	run->report = (struct dsim_report){
		.device_id = p->claims.device_id ? p->claims.device_id : run->device_id,
		.profile = p->claims.profile_id ? p->claims.profile_id : run->profile,
		.user_id = p->claims.user_id ? p->claims.user_id : run->user,
		.challenge_id = p->claims.challenge_id, .url = run->url,
		.succeeded = ok, .renewal = run->renewing, .reason = ok ? "" : run->reason,
		.cert = run->cert,
	};
}

int
dsim_run_prepare(struct dsim_run *run)
{
	char err[DSIM_ERR_MAX];

	if (dsim_payload_parse(run->answer, &run->payload, err, sizeof(err)) != 0)
		return run_fail(run, "payload", "", err);
	if (run->key != NULL) {
		if (dsim_key_matches(run->key, run->payload.claims.key_type,
		    run->payload.claims.min_key_bits, err, sizeof(err)) != 0)
			return run_fail(run, "key_mismatch", "", err);
	} else if ((run->key = dsim_key_new(run->payload.claims.key_type,
	    run->payload.claims.min_key_bits, err, sizeof(err))) == NULL)
		return run_fail(run, "request", "", err);
	if ((run->csr = dsim_request_new(&run->payload, run->key, err, sizeof(err))) == NULL)
		return run_fail(run, "request", "", err);
	return 0;
}

/* What was issued is the device's (the client checked it is for its key):
 * kept; the profile state is failed when it differs from the profile or
 * does not chain to the trusted root. */
static int
run_keep(struct dsim_run *run, STACK_OF(X509) *ca_certs, struct dsim_state *st)
{
	char why[DSIM_REASON_MAX - 64], err[DSIM_ERR_MAX];
	int c = dsim_conform(&run->payload, run->cert, run->key, ca_certs, why, sizeof(why));

	if (c < 0)
		return run_fail(run, "unreadable", "", why);
	if (st != NULL && dsim_state_save(st, run->key, run->cert, err, sizeof(err)) != 0)
		return run_fail(run, "storage", "the certificate cannot be stored: ", err);
	if (c != 0)
		return run_fail(run, "differs", "the issued certificate differs from the "
		    "profile: ", why);
	return 0;
}

int
dsim_run_finish(struct dsim_run *run, const struct dsim_scep_result *res, const char *why,
    struct dsim_state *st)
{
	int rc;

	if (res->outcome != DSIM_SCEP_ISSUED) {
		snprintf(run->failure_kind, sizeof(run->failure_kind), "%s",
		    res->outcome == DSIM_SCEP_REFUSED ?
		    dsim_scep_fail_info_name(res->fail_info) : dsim_scep_outcome_name(res->outcome));
		snprintf(run->reason, sizeof(run->reason), "%s", why);
		run_report(run, false);
		return -1;
	}
	X509_up_ref(res->cert);
	run->cert = res->cert;
	rc = run_keep(run, res->ca_certs, st);
	run_report(run, rc == 0);
	return rc;
}

/* The state.json of a kept certificate. */
static void
run_record(struct dsim_run *run, struct dsim_state *st)
{
	char err[DSIM_ERR_MAX];
	json_t *r = dsim_report_json(&run->report);
	json_int_t renewals = json_integer_value(json_object_get(st->info, "renewals"));

	json_object_update(st->info, r);
	json_decref(r);
	json_object_set_new(st->info, "renewalThresholdPercent",
	    json_integer(run->payload.renewal_pct));
	json_object_set_new(st->info, "renewals", json_integer(renewals +
	    (run->renewing && run->report.succeeded)));
	if (dsim_state_write_info(st, err, sizeof(err)) != 0)
		log_warnx("%s", err);
}

int
dsim_device_enroll_once(struct dsim_run *run, struct dsim_state *st, const char *fetch_err)
{
	struct dsim_scep_result res;
	char why[DSIM_REASON_MAX];
	size_t url = 0;

	run->profile = run->opts->profile;
	if (run->renewing) {
		run->renew_cert = st->cert;
		run->renew_key = st->key;
	}
	if (run->answer == NULL)
		run_fail(run, "challenge", "no challenge from the emulator: ", fetch_err);
	else if (dsim_run_prepare(run) == 0) {
		dsim_enroll_urls(&run->payload, run->csr, run->key, run->renew_cert,
		    run->renew_key, &res, &url, why, sizeof(why));
		run->url = run->payload.urls[url];
		dsim_run_finish(run, &res, why, st);
		dsim_scep_result_clear(&res);
	}
	if (run->report.device_id == NULL)
		run_report(run, false);
	if (run->report.succeeded || (run->cert != NULL && st->cert == run->cert))
		run_record(run, st);
	if (run->report.succeeded)
		printf("%ssucceeded: %s \"%s\" at %s: %s\n", run->renewing ? "renewal " : "",
		    run->report.device_id, run->report.profile, run->url,
		    json_string_value(json_object_get(st->info, "thumbprint")) ?: "");
	else
		printf("%sfailed: %s \"%s\": %s\n", run->renewing ? "renewal " : "",
		    run->report.device_id, run->report.profile, run->reason);
	return run->report.succeeded ? DSIM_EXIT_OK : DSIM_EXIT_FAILED;
}

void
dsim_run_clear(struct dsim_run *run)
{
	json_decref(run->answer);
	dsim_payload_clear(&run->payload);
	EVP_PKEY_free(run->key);
	X509_REQ_free(run->csr);
	X509_free(run->cert);
	memset(run, 0, sizeof(*run));
}
