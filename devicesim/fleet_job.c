/* One device in the fleet (fleet_int.h): challenge -> key and request on a
 * worker -> SCEP at the URLs in order -> check -> report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dsim_cloud.h"
#include "fleet_int.h"
#include "log.h"

struct fleet_job {
	struct fleet	*f;
	struct fleet_dev *dev;
	struct dsim_run	run;
	double		t_start;
	size_t		url_i;
	char		why[DSIM_REASON_MAX];
	bool		prepared;
	double		prepare_cpu_ms;	/* the worker's CPU for it */
	char		*key_path;	/* from the key folder, or NULL */
	bool		key_generated;
};

static void
job_report_done(const struct ndes_http_result *res, void *arg)
{
	struct fleet *f = arg;

	if (res->err != NDES_HTTP_OK || res->status != 201)
		f->stats.reports_failed++;
	f->reports_in_flight--;
	fleet_job_ended(f);
}

static void
job_report(struct fleet_job *j)
{
	json_t *body = dsim_report_json(&j->run.report);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	if (text != NULL && ndes_http_client_request(j->f->admin, "POST",
	    "/admin/device-reports", "application/json", text, strlen(text), NULL,
	    job_report_done, j->f) == 0)
		j->f->reports_in_flight++;
	else
		j->f->stats.reports_failed++;
	free(text);
	json_decref(body);
}

/* The end of one device's turn: counted, reported, freed. */
static void
job_end(struct fleet_job *j, bool ok)
{
	struct fleet *f = j->f;
	double ms = (dsim_fleet_clock() - j->t_start) * 1000.0;

	if (ok) {
		dsim_fleet_count_ok(&f->stats, j->run.renewing, ms);
		X509_free(j->dev->cert);
		EVP_PKEY_free(j->dev->key);
		X509_up_ref(j->run.cert);
		EVP_PKEY_up_ref(j->run.key);
		j->dev->cert = j->run.cert;
		j->dev->key = j->run.key;
	} else {
		dsim_fleet_count_failed(&f->stats, j->run.failure_kind[0] ?
		    j->run.failure_kind : "unknown");
		log_debug("%s: %s", j->dev->device_id, j->run.reason);
	}
	if (j->run.report.device_id != NULL)
		job_report(j);
	j->dev->busy = false;
	dsim_run_clear(&j->run);
	free(j->key_path);
	free(j);
	f->in_flight--;
	fleet_job_ended(f);
}

static void job_scep(struct fleet_job *j);

static void
job_scep_done(const struct dsim_scep_result *res, void *arg)
{
	struct fleet_job *j = arg;
	char one[DSIM_SCEP_REASON_MAX + 64];
	size_t used = strlen(j->why);

	j->run.url = j->run.payload.urls[j->url_i];
	if (res->outcome != DSIM_SCEP_ISSUED) {
		dsim_outcome_reason(res, one, sizeof(one));
		snprintf(j->why + used, sizeof(j->why) - used, "%s%s: %s", used ? "; " : "",
		    j->run.url, one);
	}
	if (dsim_outcome_next_url(res->outcome) && j->url_i + 1 < j->run.payload.n_urls) {
		j->url_i++;
		job_scep(j);
		return;
	}
	job_end(j, dsim_run_finish(&j->run, res, j->why, NULL) == 0);
}

static void
job_scep(struct fleet_job *j)
{
	struct dsim_scep_enroll_opts o = {
		.url = j->run.payload.urls[j->url_i], .csr = j->run.csr, .key = j->run.key,
		.renew_cert = j->run.renew_cert, .renew_key = j->run.renew_key,
	};
	char err[DSIM_ERR_MAX];

	if (dsim_scep_enroll_start(j->f->base, &o, job_scep_done, j, err, sizeof(err)) == NULL) {
		snprintf(j->run.failure_kind, sizeof(j->run.failure_kind), "local_error");
		snprintf(j->run.reason, sizeof(j->run.reason), "%s", err);
		job_end(j, false);
	}
}

/* A key from the folder: loaded before the payload is read (its keyType a
 * hint for the decoder), checked against it by dsim_run_prepare(), marked
 * used once a request has it. */
static int
job_prepare_with_key(struct fleet_job *j)
{
	char err[DSIM_ERR_MAX];

	const char *hint = json_string_value(json_object_get(j->run.answer, "keyType"));

	if ((j->run.key = dsim_keydir_load(j->key_path, hint, err, sizeof(err))) == NULL ||
	    (dsim_run_prepare(&j->run) == 0 &&
	    dsim_keydir_mark_used(j->key_path, err, sizeof(err)) != 0)) {
		snprintf(j->run.failure_kind, sizeof(j->run.failure_kind), "key_folder");
		snprintf(j->run.reason, sizeof(j->run.reason), "%s", err);
		return -1;
	}
	return j->run.csr != NULL ? 0 : -1;
}

/* On a worker: the payload read, the key made (or taken), the request
 * signed. */
static void
job_prepare(void *arg)
{
	struct fleet_job *j = arg;
	int64_t t0 = ndes_clock_ns(CLOCK_THREAD_CPUTIME_ID);

	if (j->key_path != NULL)
		j->prepared = job_prepare_with_key(j) == 0;
	else {
		j->prepared = dsim_run_prepare(&j->run) == 0;
		j->key_generated = j->run.key != NULL;
	}
	j->prepare_cpu_ms = (double)(ndes_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e6;
}

static void
job_prepared(void *arg)
{
	struct fleet_job *j = arg;
	struct fleet *f = j->f;

	f->stats.prepare_cpu_ms += j->prepare_cpu_ms;
	f->stats.keys_generated += j->key_generated;
	f->stats.keys_from_folder += j->key_path != NULL && j->prepared;
	if (!j->prepared) {
		if (strcmp(j->run.failure_kind, "key_mismatch") == 0)
			fleet_keys_refused(f, j->key_path, j->run.reason);
		else if (strcmp(j->run.failure_kind, "key_folder") == 0)
			fleet_keys_refused(f, NULL, j->run.reason);
		job_end(j, false);
		return;
	}
	job_scep(j);
}

/* On the loop: the next key of the folder, if any is left. */
static void
job_take_key(struct fleet_job *j)
{
	struct fleet *f = j->f;

	if (f->keys == NULL || (j->key_path = dsim_keydir_take(f->keys)) != NULL ||
	    f->keys_ran_out)
		return;
	f->keys_ran_out = true;
	log_warnx("--keys %s: the folder ran out after %d keys; the rest are made during "
	    "the run", f->o->keys_dir, dsim_keydir_count(f->keys));
}

static void
job_challenge_fail(struct fleet_job *j, const struct ndes_http_result *res)
{
	json_t *a = res->err == NDES_HTTP_OK ? json_loadb(res->body, res->len, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(json_object_get(a, "error"),
	    "code"));
	const char *msg = json_string_value(json_object_get(json_object_get(a, "error"),
	    "message"));

	snprintf(j->run.failure_kind, sizeof(j->run.failure_kind), "%s",
	    code ? code : "challenge");
	snprintf(j->run.reason, sizeof(j->run.reason), "no challenge from the emulator: %s%s%s",
	    code ? code : res->err != NDES_HTTP_OK ? res->errmsg : "bad answer", msg ? ": " : "",
	    msg ? msg : "");
	json_decref(a);
	j->run.report = (struct dsim_report){ .device_id = j->dev->device_id,
	    .profile = j->dev->profile, .user_id = j->dev->user, .reason = j->run.reason,
	    .renewal = j->run.renewing };
	job_end(j, false);
}

static void
job_challenge(const struct ndes_http_result *res, void *arg)
{
	struct fleet_job *j = arg;

	if (res->err != NDES_HTTP_OK || res->status != 201 ||
	    (j->run.answer = json_loadb(res->body, res->len, 0, NULL)) == NULL) {
		job_challenge_fail(j, res);
		return;
	}
	job_take_key(j);
	if (dsim_workq_submit(j->f->wq, job_prepare, job_prepared, j) != 0) {
		snprintf(j->run.failure_kind, sizeof(j->run.failure_kind), "local_error");
		job_end(j, false);
	}
}

void
fleet_job_start(struct fleet *f, struct fleet_dev *dev)
{
	struct fleet_job *j = calloc(1, sizeof(*j));
	json_t *body = dsim_cloud_challenge_body(dev->device_id, dev->profile, dev->user);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	f->stats.started++;
	f->in_flight++;
	if (j == NULL || text == NULL) {
		free(text);
		free(j);
		dsim_fleet_count_failed(&f->stats, "local_error");
		f->in_flight--;
		return;
	}
	j->f = f;
	j->dev = dev;
	dev->busy = true;
	j->run.device_id = dev->device_id;
	j->run.profile = dev->profile;
	j->run.user = dev->user;
	j->run.renewing = dev->cert != NULL;
	j->run.renew_cert = dev->cert;
	j->run.renew_key = dev->key;
	j->t_start = dsim_fleet_clock();
	if (ndes_http_client_request(f->admin, "POST", "/admin/challenges", "application/json",
	    text, strlen(text), NULL, job_challenge, j) != 0) {
		snprintf(j->run.failure_kind, sizeof(j->run.failure_kind), "local_error");
		job_end(j, false);
	}
	free(text);
}
