/* Config loader: every scalar type, what it accepts and the exact message
 * for what it refuses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config_loader.h"

static const char *const levels[] = { "debug", "info", "warning", NULL };

struct tcfg {
	char		*str;
	char		*path;
	int64_t		 num;
	int64_t		 port;
	int64_t		 low;
	int64_t		 neg;
	bool		 flag;
	int64_t		 dur;
	int64_t		 ttl;
	uint64_t	 size;
	uint64_t	 body;
	int		 level;
	char		*level_name;
	mode_t		 mode;
	uid_t		 user;
	gid_t		 group;
};

static const struct ndes_config_field tfields[] = {
	NDES_CFG_STRING("str", struct tcfg, str),
	NDES_CFG_PATH("path", struct tcfg, path),
	NDES_CFG_INT("num", struct tcfg, num),
	NDES_CFG_INT("port", struct tcfg, port, NDES_CFG_RANGE(1, 65535)),
	NDES_CFG_INT("low", struct tcfg, low, NDES_CFG_MIN(10)),
	NDES_CFG_INT("neg", struct tcfg, neg, NDES_CFG_MAX(-1)),
	NDES_CFG_BOOL("flag", struct tcfg, flag),
	NDES_CFG_DURATION("dur", struct tcfg, dur),
	NDES_CFG_DURATION("ttl", struct tcfg, ttl, NDES_CFG_RANGE(60, 86400)),
	NDES_CFG_SIZE("size", struct tcfg, size),
	NDES_CFG_SIZE("body", struct tcfg, body, NDES_CFG_RANGE(512, 1048576)),
	NDES_CFG_ENUM("level", struct tcfg, level, levels),
	NDES_CFG_ENUM_STRING("level_name", struct tcfg, level_name, levels),
	NDES_CFG_MODE("mode", struct tcfg, mode),
	NDES_CFG_UID("user", struct tcfg, user),
	NDES_CFG_GID("group", struct tcfg, group),
};
static const struct ndes_config_schema tschema =
    NDES_CFG_SCHEMA(struct tcfg, tfields);

static struct tcfg	cfg;
static char		err[NDES_CONFIG_ERR_MAX];

static void
teardown(void)
{
	ndes_config_free(&tschema, &cfg);
}

TestSuite(config_types, .fini = teardown);

static void
load_ok(const char *yaml)
{
	int	rc;

	ndes_config_free(&tschema, &cfg);
	rc = ndes_config_load_string("t.yaml", yaml, &tschema, &cfg, err,
	    sizeof(err));
	cr_assert_eq(rc, 0, "\"%s\" refused: %s", yaml, err);
}

static void
load_bad(const char *yaml, const char *expected)
{
	int	rc;

	ndes_config_free(&tschema, &cfg);
	rc = ndes_config_load_string("t.yaml", yaml, &tschema, &cfg, err,
	    sizeof(err));
	cr_assert_eq(rc, -1, "\"%s\" accepted", yaml);
	cr_assert_str_eq(err, expected);
}

Test(config_types, string_takes_any_scalar)
{
	load_ok("str: hello world");
	cr_assert_str_eq(cfg.str, "hello world");
	load_ok("str: 8080");
	cr_assert_str_eq(cfg.str, "8080");
	load_ok("str: ''");
	cr_assert_str_eq(cfg.str, "");
	load_ok("str: \"caf\\u00e9\"");
	cr_assert_str_eq(cfg.str, "caf\xc3\xa9");
}

Test(config_types, string_refuses_null_and_collections)
{
	load_bad("str:", "t.yaml:1:5: str: expected a string, got null");
	load_bad("str: ~", "t.yaml:1:6: str: expected a string, got null");
	load_bad("str: [a]", "t.yaml:1:6: str: expected a string, got a list");
	load_bad("str: {a: 1}", "t.yaml:1:6: str: expected a string, got a mapping");
	load_bad("str: \"a\\0b\"",
	    "t.yaml:1:6: str: expected a string, got a string with a NUL byte");
}

Test(config_types, path_must_not_be_empty)
{
	load_ok("path: /var/lib/ndes");
	cr_assert_str_eq(cfg.path, "/var/lib/ndes");
	load_bad("path: \"\"", "t.yaml:1:7: path: expected a non-empty path, got \"\"");
}

Test(config_types, integer_limits)
{
	load_ok("num: -9223372036854775808");
	cr_assert_eq(cfg.num, INT64_MIN);
	load_ok("num: 9223372036854775807");
	cr_assert_eq(cfg.num, INT64_MAX);
	load_ok("num: +17");
	cr_assert_eq(cfg.num, 17);
	load_ok("num: \"42\"");
	cr_assert_eq(cfg.num, 42);
	load_bad("num: 9223372036854775808",
	    "t.yaml:1:6: num: expected an integer, got \"9223372036854775808\"");
	load_bad("num: 1.5", "t.yaml:1:6: num: expected an integer, got \"1.5\"");
	load_bad("num: 0x10", "t.yaml:1:6: num: expected an integer, got \"0x10\"");
	load_bad("num: \"12 \"", "t.yaml:1:6: num: expected an integer, got \"12 \"");
}

Test(config_types, integer_ranges)
{
	load_ok("port: 1");
	cr_assert_eq(cfg.port, 1);
	load_ok("port: 65535");
	cr_assert_eq(cfg.port, 65535);
	load_bad("port: 0",
	    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"0\"");
	load_bad("port: 65536",
	    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"65536\"");
	load_bad("port: http",
	    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"http\"");
	load_ok("low: 10");
	cr_assert_eq(cfg.low, 10);
	load_bad("low: 9",
	    "t.yaml:1:6: low: expected an integer of at least 10, got \"9\"");
	load_ok("neg: -1");
	cr_assert_eq(cfg.neg, -1);
	load_bad("neg: 0",
	    "t.yaml:1:6: neg: expected an integer of at most -1, got \"0\"");
}

Test(config_types, boolean_words)
{
	load_ok("flag: true");
	cr_assert(cfg.flag);
	load_ok("flag: no");
	cr_assert_not(cfg.flag);
	load_ok("flag: yes");
	cr_assert(cfg.flag);
	load_ok("flag: false");
	cr_assert_not(cfg.flag);
	load_bad("flag: on", "t.yaml:1:7: flag: expected a boolean (true, false, "
	    "yes or no), got \"on\"");
	load_bad("flag: True", "t.yaml:1:7: flag: expected a boolean (true, false, "
	    "yes or no), got \"True\"");
	load_bad("flag: 1", "t.yaml:1:7: flag: expected a boolean (true, false, "
	    "yes or no), got \"1\"");
}

Test(config_types, durations)
{
	load_ok("dur: 90");
	cr_assert_eq(cfg.dur, 90);
	load_ok("dur: 90s");
	cr_assert_eq(cfg.dur, 90);
	load_ok("dur: 60m");
	cr_assert_eq(cfg.dur, 3600);
	load_ok("dur: 2h");
	cr_assert_eq(cfg.dur, 7200);
	load_ok("dur: 30d");
	cr_assert_eq(cfg.dur, 2592000);
	load_ok("dur: 0");
	cr_assert_eq(cfg.dur, 0);
	load_bad("dur: 1w", "t.yaml:1:6: dur: expected a duration (e.g. 90s, 60m, "
	    "2h, 30d), got \"1w\"");
	load_bad("dur: -5s", "t.yaml:1:6: dur: expected a duration (e.g. 90s, 60m, "
	    "2h, 30d), got \"-5s\"");
	load_bad("dur: \"5 s\"", "t.yaml:1:6: dur: expected a duration (e.g. 90s, "
	    "60m, 2h, 30d), got \"5 s\"");
	load_bad("dur: 106751991167301d", "t.yaml:1:6: dur: expected a duration "
	    "(e.g. 90s, 60m, 2h, 30d), got \"106751991167301d\"");
}

Test(config_types, duration_ranges_print_units)
{
	load_ok("ttl: 1m");
	cr_assert_eq(cfg.ttl, 60);
	load_ok("ttl: 1d");
	cr_assert_eq(cfg.ttl, 86400);
	load_bad("ttl: 59s", "t.yaml:1:6: ttl: expected a duration between 1m and "
	    "1d, got \"59s\"");
	load_bad("ttl: 25h", "t.yaml:1:6: ttl: expected a duration between 1m and "
	    "1d, got \"25h\"");
}

Test(config_types, sizes)
{
	load_ok("size: 4096");
	cr_assert_eq(cfg.size, 4096);
	load_ok("size: 10B");
	cr_assert_eq(cfg.size, 10);
	load_ok("size: 64KiB");
	cr_assert_eq(cfg.size, 65536);
	load_ok("size: 1MiB");
	cr_assert_eq(cfg.size, 1048576);
	load_ok("size: 2GiB");
	cr_assert_eq(cfg.size, 2147483648ULL);
	load_ok("size: 1TiB");
	cr_assert_eq(cfg.size, 1099511627776ULL);
	load_bad("size: 1MB", "t.yaml:1:7: size: expected a size (e.g. 4096, 64KiB, "
	    "1MiB), got \"1MB\"");
	load_bad("size: 1.5MiB", "t.yaml:1:7: size: expected a size (e.g. 4096, "
	    "64KiB, 1MiB), got \"1.5MiB\"");
	load_bad("size: 8388608TiB", "t.yaml:1:7: size: expected a size (e.g. 4096, "
	    "64KiB, 1MiB), got \"8388608TiB\"");
	load_bad("body: 100", "t.yaml:1:7: body: expected a size between 512B and "
	    "1MiB, got \"100\"");
	load_ok("body: 1MiB");
	cr_assert_eq(cfg.body, 1048576);
}

Test(config_types, enums)
{
	load_ok("level: warning\nlevel_name: info");
	cr_assert_eq(cfg.level, 2);
	cr_assert_str_eq(cfg.level_name, "info");
	load_bad("level: verbose", "t.yaml:1:8: level: expected one of \"debug\", "
	    "\"info\", \"warning\", got \"verbose\"");
	load_bad("level_name: Info", "t.yaml:1:13: level_name: expected one of "
	    "\"debug\", \"info\", \"warning\", got \"Info\"");
}

Test(config_types, octal_modes)
{
	load_ok("mode: 0660");
	cr_assert_eq(cfg.mode, 0660);
	load_ok("mode: 640");
	cr_assert_eq(cfg.mode, 0640);
	load_ok("mode: 01777");
	cr_assert_eq(cfg.mode, 01777);
	load_ok("mode: \"0600\"");
	cr_assert_eq(cfg.mode, 0600);
	load_bad("mode: 0888", "t.yaml:1:7: mode: expected an octal file mode "
	    "(e.g. 0640), got \"0888\"");
	load_bad("mode: 0o660", "t.yaml:1:7: mode: expected an octal file mode "
	    "(e.g. 0640), got \"0o660\"");
	load_bad("mode: 17777", "t.yaml:1:7: mode: expected an octal file mode "
	    "(e.g. 0640), got \"17777\"");
	load_bad("mode: 007777", "t.yaml:1:7: mode: expected an octal file mode "
	    "(e.g. 0640), got \"007777\"");
}

Test(config_types, uid_by_number_or_name)
{
	load_ok("user: root\ngroup: root");
	cr_assert_eq(cfg.user, 0);
	cr_assert_eq(cfg.group, 0);
	load_ok("user: 12345\ngroup: 54321");
	cr_assert_eq(cfg.user, 12345);
	cr_assert_eq(cfg.group, 54321);
	load_ok("user: 4294967294");
	cr_assert_eq(cfg.user, 4294967294U);
}

Test(config_types, unknown_user_and_group_names)
{
	load_bad("user: no-such-user-ndes", "t.yaml:1:7: user: expected a user "
	    "name or uid, got \"no-such-user-ndes\" (no such user)");
	load_bad("group: no-such-group-ndes", "t.yaml:1:8: group: expected a group "
	    "name or gid, got \"no-such-group-ndes\" (no such group)");
	load_bad("user: 4294967295", "t.yaml:1:7: user: expected a user name or "
	    "uid, got \"4294967295\"");
	load_bad("group: -1", "t.yaml:1:8: group: expected a group name or gid, "
	    "got \"-1\"");
	load_bad("user: 12ab", "t.yaml:1:7: user: expected a user name or uid, "
	    "got \"12ab\"");
}

Test(config_types, long_values_are_cut_and_escaped)
{
	load_bad("num: \"tab\\there \\\"q\\\" back\\\\slash\"",
	    "t.yaml:1:6: num: expected an integer, got \"tab\\there \\\"q\\\" "
	    "back\\\\slash\"");
	load_bad("num: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "bbbbbbbbbb",
	    "t.yaml:1:6: num: expected an integer, got \"aaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"...");
	/* 64 characters, not bytes: the cut never splits a UTF-8 sequence */
	load_bad("num: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaxyz",
	    "t.yaml:1:6: num: expected an integer, got \"\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"...");
}

Test(config_types, absent_keys_stay_zero)
{
	load_ok("num: 5");
	cr_assert_null(cfg.str);
	cr_assert_null(cfg.path);
	cr_assert_eq(cfg.port, 0);
	cr_assert_not(cfg.flag);
	cr_assert_eq(cfg.size, 0);
	cr_assert_eq(cfg.level, 0);
	cr_assert_null(cfg.level_name);
	cr_assert_eq(cfg.mode, 0);
}
