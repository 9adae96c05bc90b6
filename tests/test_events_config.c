/* The `events:` configuration section (common/events_config.c): its schema,
 * its check, the same refusal in both daemons' schemas, and the sink it
 * starts. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "crpd_config.h"
#include "events.h"
#include "events_config.h"
#include "lib/config_expect.h"
#include "log.h"
#include "test_events_util.h"

/* A daemon's configuration in small: the section embedded under "events". */
struct ec_cfg {
	struct ndes_events_cfg events;
};
static const struct ndes_config_field ec_fields[] = {
	NDES_CFG_MAP("events", struct ec_cfg, events, ndes_events_cfg_schema),
};
static const struct ndes_config_schema ec_schema = NDES_CFG_SCHEMA(struct ec_cfg, ec_fields);

static void
setup(void)
{
	unsetenv("NDES_EVENTS_SINK");
	unsetenv("NDES_EVENTS_STRICT");
	log_init("ndes-evtest", LOG_LEVEL_INFO);
}

static void
teardown(void)
{
	ndes_events_close();
}

TestSuite(events_config, .init = setup, .fini = teardown);

static int
ec_load(const char *yaml, struct ec_cfg *cfg, char *err)
{
	return ndes_config_load_string("e.yaml", yaml, &ec_schema, cfg, err,
	    NDES_CONFIG_ERR_MAX);
}

Test(events_config, absent_section_is_auto_without_path)
{
	struct ec_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_eq(ec_load("{}", &cfg, err), 0, "%s", err);
	cr_assert_str_eq(cfg.events.sink, "auto");
	cr_assert_null(cfg.events.path);
	ndes_config_free(&ec_schema, &cfg);
	cr_assert_eq(ec_load("events: {}\n", &cfg, err), 0, "%s", err);
	cr_assert_str_eq(cfg.events.sink, "auto");
	cr_assert_null(cfg.events.path);
	ndes_config_free(&ec_schema, &cfg);
}

Test(events_config, every_sink_name_loads)
{
	static const char *const names[] = { "auto", "journal", "stderr" };
	struct ec_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX], yaml[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(yaml, sizeof(yaml), "events: {sink: %s}\n", names[i]);
		cr_assert_eq(ec_load(yaml, &cfg, err), 0, "%s: %s", names[i], err);
		cr_assert_str_eq(cfg.events.sink, names[i]);
		ndes_config_free(&ec_schema, &cfg);
	}
	cr_assert_eq(ec_load("events: {sink: file, path: /var/log/e.json}\n", &cfg, err), 0,
	    "%s", err);
	cr_assert_str_eq(cfg.events.sink, "file");
	cr_assert_str_eq(cfg.events.path, "/var/log/e.json");
	ndes_config_free(&ec_schema, &cfg);
}

Test(events_config, unknown_sink_is_refused)
{
	struct ec_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_eq(ec_load("events:\n  sink: syslog\n", &cfg, err), -1);
	cr_assert_str_eq(err, "e.yaml:2:9: events.sink: expected one of \"auto\", "
	    "\"journal\", \"stderr\", \"file\", got \"syslog\"");
}

Test(events_config, file_sink_needs_a_path)
{
	struct ndes_events_cfg ev = { .sink = "file" };
	struct ec_cfg cfg;
	char err[NDES_CONFIG_ERR_MAX];

	cr_assert_str_eq(ndes_events_cfg_validate(&ev, err, sizeof(err)),
	    "sink \"file\" needs a path");
	ev.path = "/x";
	cr_assert_null(ndes_events_cfg_validate(&ev, err, sizeof(err)));
	cr_assert_eq(ec_load("events:\n  sink: file\n", &cfg, err), -1);
	cr_assert_str_eq(err, "e.yaml:2:3: events: sink \"file\" needs a path");
}

/* Both daemons embed the same section: the same refusal, at the same place. */
Test(events_config, both_daemons_refuse_a_file_sink_without_path)
{
	struct crpd_cfg crpd;
	struct conn_cfg conn;

	config_expect_refused("crpd.yaml", "tenant_id: t\nevents:\n  sink: file\n",
	    &crpd_config_schema, &crpd, "crpd.yaml:3:3: events: sink \"file\" needs a path");
	config_expect_refused("conn.yaml", "events:\n  sink: file\n", &conn_config_schema, &conn,
	    "conn.yaml:2:3: events: sink \"file\" needs a path");
}

Test(events_config, file_sink_writes_to_path)
{
	char *path = evt_tmpfile();
	struct ndes_events_cfg ev = { .sink = "file", .path = path };
	json_t *arr;

	cr_assert_eq(ndes_events_cfg_init(&ev), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_SUCCESS, NULL), 0);
	arr = evt_read_json_file(path);
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0),
	    "NDES_EVENT_ID")), "10010");
	json_decref(arr);
	unlink(path);
	free(path);
}

/* events.instance from the YAML names the installation in every event
 * (NDES_INSTANCE, docs/events.md), over $NDES_INSTANCE. */
Test(events_config, instance_from_the_yaml)
{
	char *path = evt_tmpfile(), *yaml, err[NDES_CONFIG_ERR_MAX];
	struct ec_cfg cfg;
	json_t *arr;

	setenv("NDES_INSTANCE", "from-the-environment", 1);
	cr_assert_neq(asprintf(&yaml, "events: {sink: file, path: %s, instance: ndes-paris}\n",
	    path), -1);
	cr_assert_eq(ec_load(yaml, &cfg, err), 0, "%s", err);
	cr_assert_eq(ndes_events_cfg_init(&cfg.events), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STARTED, NDES_DIAG_SUCCESS, NULL), 0);
	arr = evt_read_json_file(path);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0),
	    "NDES_INSTANCE")), "ndes-paris");
	json_decref(arr);
	ndes_config_free(&ec_schema, &cfg);
	unsetenv("NDES_INSTANCE");
	ndes_events_set_instance(NULL);
	unlink(path);
	free(path);
	free(yaml);
}

Test(events_config, stderr_sink_writes_json_lines_to_stderr, .init = cr_redirect_stderr)
{
	struct ndes_events_cfg ev = { .sink = "stderr", .path = NULL };
	json_t *arr;

	setup();
	cr_assert_eq(ndes_events_cfg_init(&ev), 0);
	cr_assert_eq(ndes_event_emit(NDES_EV_CONNECTOR_STOPPED, NDES_DIAG_SUCCESS, NULL), 0);
	fflush(stderr);
	arr = evt_read_json_lines(cr_get_redirected_stderr());
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0),
	    "NDES_EVENT_ID")), "10020");
	json_decref(arr);
}
