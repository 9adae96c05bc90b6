/* Config loader: every scalar type, what it accepts and the exact message
 * for what it refuses. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_loader.h"
#include "lib/config_expect.h"

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

/* One accepted document and the value one member then holds: a string
 * (STR; NULL: none) or a number compared at the member's size (NUM). */
struct ok_case {
	const char	*yaml;
	size_t		 off, size;	/* size 0: a string */
	const char	*str;
	uint64_t	 num;
};
#define STR(y, m, v)	{ (y), offsetof(struct tcfg, m), 0, (v), 0 }
#define NUM(y, m, v)	{ (y), offsetof(struct tcfg, m), \
	sizeof(((struct tcfg *)0)->m), NULL, (uint64_t)(v) }

/* One refused document and the exact message. */
struct bad_case {
	const char	*yaml, *message;
};

static uint64_t
member_value(size_t off, size_t size)
{
	const char *p = (const char *)&cfg + off;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case sizeof(bool):
		return *(const bool *)p;
	case sizeof(uint32_t):
		memcpy(&u32, p, sizeof(u32));
		return u32;
	}
	memcpy(&u64, p, sizeof(u64));
	return u64;
}

static void
check_ok(const struct ok_case *c, size_t n)
{
	const char *s;

	for (; n > 0; n--, c++) {
		load_ok(c->yaml);
		if (c->size == 0) {
			memcpy(&s, (const char *)&cfg + c->off, sizeof(s));
			if (c->str == NULL)
				cr_assert_null(s, "\"%s\"", c->yaml);
			else
				cr_assert_str_eq(s, c->str, "\"%s\"", c->yaml);
		} else
			cr_assert_eq(member_value(c->off, c->size), c->num,
			    "\"%s\": %" PRIu64 ", not %" PRIu64, c->yaml,
			    member_value(c->off, c->size), c->num);
	}
}

static void
check_bad(const struct bad_case *c, size_t n)
{
	for (; n > 0; n--, c++) {
		ndes_config_free(&tschema, &cfg);
		config_expect_refused("t.yaml", c->yaml, &tschema, &cfg, c->message);
	}
}

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define CHECK_OK(t)	check_ok((t), NCASES(t))
#define CHECK_BAD(t)	check_bad((t), NCASES(t))

Test(config_types, string_takes_any_scalar)
{
	static const struct ok_case ok[] = {
		STR("str: hello world", str, "hello world"),
		STR("str: 8080", str, "8080"),
		STR("str: ''", str, ""),
		STR("str: \"caf\\u00e9\"", str, "caf\xc3\xa9"),
	};

	CHECK_OK(ok);
}

Test(config_types, string_refuses_null_and_collections)
{
	static const struct bad_case bad[] = {
		{ "str:", "t.yaml:1:5: str: expected a string, got null" },
		{ "str: ~", "t.yaml:1:6: str: expected a string, got null" },
		{ "str: [a]", "t.yaml:1:6: str: expected a string, got a list" },
		{ "str: {a: 1}", "t.yaml:1:6: str: expected a string, got a mapping" },
		{ "str: \"a\\0b\"",
		    "t.yaml:1:6: str: expected a string, got a string with a NUL byte" },
	};

	CHECK_BAD(bad);
}

Test(config_types, path_must_not_be_empty)
{
	static const struct ok_case ok[] = {
		STR("path: /var/lib/ndes", path, "/var/lib/ndes"),
	};
	static const struct bad_case bad[] = {
		{ "path: \"\"", "t.yaml:1:7: path: expected a non-empty path, got \"\"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

Test(config_types, integer_limits)
{
	static const struct ok_case ok[] = {
		NUM("num: -9223372036854775808", num, INT64_MIN),
		NUM("num: 9223372036854775807", num, INT64_MAX),
		NUM("num: +17", num, 17),
		NUM("num: \"42\"", num, 42),
	};
	static const struct bad_case bad[] = {
		{ "num: 9223372036854775808",
		    "t.yaml:1:6: num: expected an integer, got \"9223372036854775808\"" },
		{ "num: 1.5", "t.yaml:1:6: num: expected an integer, got \"1.5\"" },
		{ "num: 0x10", "t.yaml:1:6: num: expected an integer, got \"0x10\"" },
		{ "num: \"12 \"", "t.yaml:1:6: num: expected an integer, got \"12 \"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

Test(config_types, integer_ranges)
{
	static const struct ok_case ok[] = {
		NUM("port: 1", port, 1),
		NUM("port: 65535", port, 65535),
		NUM("low: 10", low, 10),
		NUM("neg: -1", neg, -1),
	};
	static const struct bad_case bad[] = {
		{ "port: 0",
		    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"0\"" },
		{ "port: 65536",
		    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"65536\"" },
		{ "port: http",
		    "t.yaml:1:7: port: expected an integer between 1 and 65535, got \"http\"" },
		{ "low: 9", "t.yaml:1:6: low: expected an integer of at least 10, got \"9\"" },
		{ "neg: 0", "t.yaml:1:6: neg: expected an integer of at most -1, got \"0\"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

#define BOOL_MSG(v) "t.yaml:1:7: flag: expected a boolean (true, false, " \
	"yes or no), got \"" v "\""

Test(config_types, boolean_words)
{
	static const struct ok_case ok[] = {
		NUM("flag: true", flag, true),
		NUM("flag: no", flag, false),
		NUM("flag: yes", flag, true),
		NUM("flag: false", flag, false),
	};
	static const struct bad_case bad[] = {
		{ "flag: on", BOOL_MSG("on") },
		{ "flag: True", BOOL_MSG("True") },
		{ "flag: 1", BOOL_MSG("1") },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

#define DUR_MSG(v) "t.yaml:1:6: dur: expected a duration (e.g. 90s, 60m, 2h, 30d), " \
	"got \"" v "\""

Test(config_types, durations)
{
	static const struct ok_case ok[] = {
		NUM("dur: 90", dur, 90),
		NUM("dur: 90s", dur, 90),
		NUM("dur: 60m", dur, 3600),
		NUM("dur: 2h", dur, 7200),
		NUM("dur: 30d", dur, 2592000),
		NUM("dur: 0", dur, 0),
	};
	static const struct bad_case bad[] = {
		{ "dur: 1w", DUR_MSG("1w") },
		{ "dur: -5s", DUR_MSG("-5s") },
		{ "dur: \"5 s\"", DUR_MSG("5 s") },
		{ "dur: 106751991167301d", DUR_MSG("106751991167301d") },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

Test(config_types, duration_ranges_print_units)
{
	static const struct ok_case ok[] = {
		NUM("ttl: 1m", ttl, 60),
		NUM("ttl: 1d", ttl, 86400),
	};
	static const struct bad_case bad[] = {
		{ "ttl: 59s", "t.yaml:1:6: ttl: expected a duration between 1m and 1d, "
		    "got \"59s\"" },
		{ "ttl: 25h", "t.yaml:1:6: ttl: expected a duration between 1m and 1d, "
		    "got \"25h\"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

#define SIZE_MSG(v) "t.yaml:1:7: size: expected a size (e.g. 4096, 64KiB, 1MiB), " \
	"got \"" v "\""

Test(config_types, sizes)
{
	static const struct ok_case ok[] = {
		NUM("size: 4096", size, 4096),
		NUM("size: 10B", size, 10),
		NUM("size: 64KiB", size, 65536),
		NUM("size: 1MiB", size, 1048576),
		NUM("size: 2GiB", size, 2147483648ULL),
		NUM("size: 1TiB", size, 1099511627776ULL),
		NUM("body: 1MiB", body, 1048576),
	};
	static const struct bad_case bad[] = {
		{ "size: 1MB", SIZE_MSG("1MB") },
		{ "size: 1.5MiB", SIZE_MSG("1.5MiB") },
		{ "size: 8388608TiB", SIZE_MSG("8388608TiB") },
		{ "body: 100", "t.yaml:1:7: body: expected a size between 512B and 1MiB, "
		    "got \"100\"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

Test(config_types, enums)
{
	static const struct ok_case ok[] = {
		NUM("level: warning\nlevel_name: info", level, 2),
		STR("level: warning\nlevel_name: info", level_name, "info"),
	};
	static const struct bad_case bad[] = {
		{ "level: verbose", "t.yaml:1:8: level: expected one of \"debug\", "
		    "\"info\", \"warning\", got \"verbose\"" },
		{ "level_name: Info", "t.yaml:1:13: level_name: expected one of "
		    "\"debug\", \"info\", \"warning\", got \"Info\"" },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

#define MODE_MSG(v) "t.yaml:1:7: mode: expected an octal file mode (e.g. 0640), " \
	"got \"" v "\""

Test(config_types, octal_modes)
{
	static const struct ok_case ok[] = {
		NUM("mode: 0660", mode, 0660),
		NUM("mode: 640", mode, 0640),
		NUM("mode: 01777", mode, 01777),
		NUM("mode: \"0600\"", mode, 0600),
	};
	static const struct bad_case bad[] = {
		{ "mode: 0888", MODE_MSG("0888") },
		{ "mode: 0o660", MODE_MSG("0o660") },
		{ "mode: 17777", MODE_MSG("17777") },
		{ "mode: 007777", MODE_MSG("007777") },
	};

	CHECK_OK(ok);
	CHECK_BAD(bad);
}

Test(config_types, uid_by_number_or_name)
{
	static const struct ok_case ok[] = {
		NUM("user: root\ngroup: root", user, 0),
		NUM("user: root\ngroup: root", group, 0),
		NUM("user: 12345\ngroup: 54321", user, 12345),
		NUM("user: 12345\ngroup: 54321", group, 54321),
		NUM("user: 4294967294", user, 4294967294U),
	};

	CHECK_OK(ok);
}

Test(config_types, unknown_user_and_group_names)
{
	static const struct bad_case bad[] = {
		{ "user: no-such-user-ndes", "t.yaml:1:7: user: expected a user name or "
		    "uid, got \"no-such-user-ndes\" (no such user)" },
		{ "group: no-such-group-ndes", "t.yaml:1:8: group: expected a group name "
		    "or gid, got \"no-such-group-ndes\" (no such group)" },
		{ "user: 4294967295", "t.yaml:1:7: user: expected a user name or uid, "
		    "got \"4294967295\"" },
		{ "group: -1", "t.yaml:1:8: group: expected a group name or gid, got \"-1\"" },
		{ "user: 12ab", "t.yaml:1:7: user: expected a user name or uid, "
		    "got \"12ab\"" },
	};

	CHECK_BAD(bad);
}

Test(config_types, long_values_are_cut_and_escaped)
{
	static const struct bad_case bad[] = {
		{ "num: \"tab\\there \\\"q\\\" back\\\\slash\"",
		    "t.yaml:1:6: num: expected an integer, got \"tab\\there \\\"q\\\" "
		    "back\\\\slash\"" },
		{ "num: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "bbbbbbbbbb",
		    "t.yaml:1:6: num: expected an integer, got \"aaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"..." },
		/* 64 characters, not bytes: the cut never splits a UTF-8 sequence */
		{ "num: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaxyz",
		    "t.yaml:1:6: num: expected an integer, got \"\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"..." },
	};

	CHECK_BAD(bad);
}

Test(config_types, absent_keys_stay_zero)
{
	static const struct ok_case ok[] = {
		STR("num: 5", str, NULL),
		STR("num: 5", path, NULL),
		NUM("num: 5", port, 0),
		NUM("num: 5", flag, false),
		NUM("num: 5", size, 0),
		NUM("num: 5", level, 0),
		STR("num: 5", level_name, NULL),
		NUM("num: 5", mode, 0),
	};

	CHECK_OK(ok);
}
