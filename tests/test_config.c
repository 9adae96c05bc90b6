/* Config loader: structure (nested mappings, lists, lists of mappings),
 * defaults, validators, every kind of error with its exact position,
 * files, and the --check-config helper. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "lib/config_expect.h"

/* ---- A schema shaped like a daemon's ---------------------------------- */

struct http_cfg {
	char		*address;
	int64_t		 port;
};

struct listen_cfg {
	char		*socket;
	mode_t		 socket_mode;
	struct http_cfg	 http;
	bool		 has_http;
};

struct tls_cfg {
	char		*cert;
	char		*key;
};

struct user_cfg {
	char		*upn;
	char		*display;
	bool		 enabled;
	int64_t		 quota;
	char		**groups;
	size_t		 n_groups;
	int		 role;
};

struct crpd_cfg {
	struct listen_cfg listen;
	char		*state_dir;
	int64_t		 workers;
	bool		 debug;
	int64_t		 challenge_ttl;
	uint64_t	 max_body;
	int		 log_level;
	struct tls_cfg	 tls;
	bool		 has_tls;
	uid_t		*allow_uids;
	size_t		 n_allow_uids;
	gid_t		*allow_gids;
	size_t		 n_allow_gids;
	int64_t		*ports;
	size_t		 n_ports;
	char		**names;
	size_t		 n_names;
	struct user_cfg	*users;
	size_t		 n_users;
	bool		 has_users;
};

static const char *const log_levels[] = { "debug", "info", "warning", NULL };
static const char *const roles[] = { "user", "admin", NULL };

/* "must be a valid UPN": a dynamic message written into buf */
static const char *
check_upn(const void *value, char *buf, size_t len)
{
	const char	*upn = *(char *const *)value, *at = strchr(upn, '@');

	if (at != NULL && at != upn && at[1] != '\0' && strchr(at + 1, '@') == NULL)
		return NULL;
	snprintf(buf, len, "\"%s\" is not a user principal name (user@domain)",
	    upn);
	return buf;
}

static const char *
check_user(const void *value, char *buf, size_t len)
{
	const struct user_cfg	*u = value;

	if (u->role == 1 && !u->enabled)
		return "an admin cannot be disabled";
	return NULL;
}

static const char *
check_even(const void *value, char *buf, size_t len)
{
	return *(const int64_t *)value % 2 ? "must be even" : NULL;
}

static const char *
check_crpd(const void *value, char *buf, size_t len)
{
	const struct crpd_cfg	*c = value;

	if (c->has_tls && !c->listen.has_http)
		return "tls needs listen.http";
	return NULL;
}

static const struct ndes_config_field http_fields[] = {
	NDES_CFG_STRING("address", struct http_cfg, address,
	    NDES_CFG_DEFAULT("127.0.0.1")),
	NDES_CFG_INT("port", struct http_cfg, port, NDES_CFG_RANGE(1, 65535),
	    NDES_CFG_DEFAULT("8080")),
};
static const struct ndes_config_schema http_schema =
    NDES_CFG_SCHEMA(struct http_cfg, http_fields);

static const struct ndes_config_field listen_fields[] = {
	NDES_CFG_PATH("socket", struct listen_cfg, socket, NDES_CFG_REQUIRED),
	NDES_CFG_MODE("socket_mode", struct listen_cfg, socket_mode,
	    NDES_CFG_DEFAULT("0660")),
	NDES_CFG_MAP("http", struct listen_cfg, http, http_schema,
	    NDES_CFG_PRESENT(struct listen_cfg, has_http)),
};
static const struct ndes_config_schema listen_schema =
    NDES_CFG_SCHEMA(struct listen_cfg, listen_fields);

static const struct ndes_config_field tls_fields[] = {
	NDES_CFG_PATH("cert", struct tls_cfg, cert, NDES_CFG_REQUIRED),
	NDES_CFG_PATH("key", struct tls_cfg, key, NDES_CFG_REQUIRED),
};
static const struct ndes_config_schema tls_schema =
    NDES_CFG_SCHEMA(struct tls_cfg, tls_fields);

static const struct ndes_config_field user_fields[] = {
	NDES_CFG_STRING("upn", struct user_cfg, upn, NDES_CFG_REQUIRED,
	    NDES_CFG_VALIDATE(check_upn)),
	NDES_CFG_STRING("display", struct user_cfg, display),
	NDES_CFG_BOOL("enabled", struct user_cfg, enabled, NDES_CFG_DEFAULT("true")),
	NDES_CFG_INT("quota", struct user_cfg, quota, NDES_CFG_MIN(0),
	    NDES_CFG_DEFAULT("10")),
	NDES_CFG_STRING_LIST("groups", struct user_cfg, groups, n_groups),
	NDES_CFG_ENUM("role", struct user_cfg, role, roles),
};
static const struct ndes_config_schema user_schema =
    NDES_CFG_SCHEMA(struct user_cfg, user_fields);

static const struct ndes_config_field crpd_fields[] = {
	NDES_CFG_MAP("listen", struct crpd_cfg, listen, listen_schema,
	    NDES_CFG_REQUIRED),
	NDES_CFG_PATH("state_dir", struct crpd_cfg, state_dir,
	    NDES_CFG_DEFAULT("/var/lib/ndes")),
	NDES_CFG_INT("workers", struct crpd_cfg, workers, NDES_CFG_RANGE(1, 64),
	    NDES_CFG_DEFAULT("4")),
	NDES_CFG_BOOL("debug", struct crpd_cfg, debug, NDES_CFG_DEFAULT("no")),
	NDES_CFG_DURATION("challenge_ttl", struct crpd_cfg, challenge_ttl,
	    NDES_CFG_DEFAULT("60m")),
	NDES_CFG_SIZE("max_body", struct crpd_cfg, max_body,
	    NDES_CFG_DEFAULT("64KiB")),
	NDES_CFG_ENUM("log_level", struct crpd_cfg, log_level, log_levels,
	    NDES_CFG_DEFAULT("info")),
	NDES_CFG_MAP("tls", struct crpd_cfg, tls, tls_schema,
	    NDES_CFG_PRESENT(struct crpd_cfg, has_tls)),
	NDES_CFG_UID_LIST("allow_uids", struct crpd_cfg, allow_uids, n_allow_uids),
	NDES_CFG_GID_LIST("allow_gids", struct crpd_cfg, allow_gids, n_allow_gids),
	NDES_CFG_INT_LIST("ports", struct crpd_cfg, ports, n_ports,
	    NDES_CFG_RANGE(1, 65535), NDES_CFG_VALIDATE(check_even)),
	NDES_CFG_STRING_LIST("names", struct crpd_cfg, names, n_names),
	NDES_CFG_MAP_LIST("users", struct crpd_cfg, users, n_users, user_schema,
	    NDES_CFG_PRESENT(struct crpd_cfg, has_users),
	    NDES_CFG_VALIDATE(check_user)),
};
static const struct ndes_config_schema crpd_schema =
    NDES_CFG_SCHEMA(struct crpd_cfg, crpd_fields, .validate = check_crpd);

#define ALL_KEYS "listen, state_dir, workers, debug, challenge_ttl, max_body, " \
	"log_level, tls, allow_uids, allow_gids, ports, names, users"

static struct crpd_cfg	cfg;
static char		err[NDES_CONFIG_ERR_MAX];

static void
teardown(void)
{
	ndes_config_free(&crpd_schema, &cfg);
}

TestSuite(config, .fini = teardown);

static int
load(const char *yaml)
{
	ndes_config_free(&crpd_schema, &cfg);
	memset(err, 0, sizeof(err));
	return ndes_config_load_string("crpd.yaml", yaml, &crpd_schema, &cfg, err,
	    sizeof(err));
}

static void
load_bad(const char *yaml, const char *expected)
{
	cr_assert_eq(load(yaml), -1, "accepted:\n%s", yaml);
	cr_assert_str_eq(err, expected);
}

static char *
data_path(const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		*path;

	cr_assert_neq(asprintf(&path, "%s/tests/data/config/%s", top ? top : ".",
	    name), -1);
	return path;
}

/* ---- What loads --------------------------------------------------------- */

static const char full_yaml[] =
    "listen:\n"
    "  socket: /run/ndes/crp.sock\n"
    "  socket_mode: 0600\n"
    "  http:\n"
    "    address: 0.0.0.0\n"
    "    port: 8443\n"
    "state_dir: /srv/ndes\n"
    "workers: 8\n"
    "debug: yes\n"
    "challenge_ttl: 2h\n"
    "max_body: 1MiB\n"
    "log_level: debug\n"
    "tls:\n"
    "  cert: /etc/ndes/crp.pem\n"
    "  key: /etc/ndes/crp.key\n"
    "allow_uids: [root, 1000]\n"
    "allow_gids:\n"
    "  - 0\n"
    "  - root\n"
    "ports: [80, 8080]\n"
    "names: [a, \"b c\"]\n"
    "users:\n"
    "  - upn: alice@contoso.com\n"
    "    display: Alice\n"
    "    groups: [staff, vpn]\n"
    "    role: admin\n"
    "  - upn: bob@contoso.com\n"
    "    enabled: false\n"
    "    quota: 0\n";

Test(config, full_document_fills_every_member)
{
	cr_assert_eq(load(full_yaml), 0, "%s", err);
	cr_assert_str_eq(cfg.listen.socket, "/run/ndes/crp.sock");
	cr_assert_eq(cfg.listen.socket_mode, 0600);
	cr_assert(cfg.listen.has_http);
	cr_assert_str_eq(cfg.listen.http.address, "0.0.0.0");
	cr_assert_eq(cfg.listen.http.port, 8443);
	cr_assert_str_eq(cfg.state_dir, "/srv/ndes");
	cr_assert_eq(cfg.workers, 8);
	cr_assert(cfg.debug);
	cr_assert_eq(cfg.challenge_ttl, 7200);
	cr_assert_eq(cfg.max_body, 1048576);
	cr_assert_eq(cfg.log_level, 0);
	cr_assert(cfg.has_tls);
	cr_assert_str_eq(cfg.tls.cert, "/etc/ndes/crp.pem");
	cr_assert_str_eq(cfg.tls.key, "/etc/ndes/crp.key");
	cr_assert_eq(cfg.n_allow_uids, 2);
	cr_assert_eq(cfg.allow_uids[0], 0);
	cr_assert_eq(cfg.allow_uids[1], 1000);
	cr_assert_eq(cfg.n_allow_gids, 2);
	cr_assert_eq(cfg.allow_gids[0], 0);
	cr_assert_eq(cfg.allow_gids[1], 0);
	cr_assert_eq(cfg.n_ports, 2);
	cr_assert_eq(cfg.ports[0], 80);
	cr_assert_eq(cfg.ports[1], 8080);
	cr_assert_eq(cfg.n_names, 2);
	cr_assert_str_eq(cfg.names[1], "b c");
}

/* full_yaml with the first `from` replaced by `to`, loaded into out. */
static void
load_edited(struct crpd_cfg *out, const char *from, const char *to)
{
	const char *at = strstr(full_yaml, from);
	char *yaml;

	cr_assert_not_null(at, "%s not in full_yaml", from);
	cr_assert_neq(asprintf(&yaml, "%.*s%s%s", (int)(at - full_yaml), full_yaml, to,
	    at + strlen(from)), -1);
	cr_assert_eq(ndes_config_load_string("b.yaml", yaml, &crpd_schema, out, err,
	    sizeof(err)), 0, "%s", err);
	free(yaml);
}

/* What a reloading daemon compares: keys, dotted paths, lists element by
 * element, lists of mappings, "present" flags, strings by content. */
Test(config, key_equal_follows_the_schema)
{
	struct crpd_cfg port, quota, group, notls;
	const struct { struct crpd_cfg *b; const char *key; int want; } cases[] = {
		{ &cfg, NULL, 1 }, { &port, NULL, 0 }, { &port, "listen.http.port", 0 },
		{ &port, "listen.http.address", 1 }, { &port, "listen.socket", 1 },
		{ &port, "users", 1 }, { &quota, "users", 0 }, { &quota, "listen", 1 },
		{ &group, "users", 0 }, { &group, "names", 1 }, { &notls, "tls", 0 },
		{ &notls, "tls.cert", 0 }, { &notls, "state_dir", 1 },
		{ &port, "nope", -1 }, { &port, "state_dir.x", -1 }, { &port, "listen.nope", -1 },
	};

	cr_assert_eq(load(full_yaml), 0, "%s", err);
	load_edited(&port, "port: 8443", "port: 8444");
	load_edited(&quota, "quota: 0", "quota: 1");
	load_edited(&group, "[staff, vpn]", "[staff, wifi]");
	load_edited(&notls, "tls:\n  cert: /etc/ndes/crp.pem\n  key: /etc/ndes/crp.key\n", "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(ndes_config_key_equal(&crpd_schema, cases[i].key, &cfg, cases[i].b),
		    cases[i].want, "case %zu (%s)", i, cases[i].key ? cases[i].key : "whole");
	ndes_config_free(&crpd_schema, &port);
	ndes_config_free(&crpd_schema, &quota);
	ndes_config_free(&crpd_schema, &group);
	ndes_config_free(&crpd_schema, &notls);
}

Test(config, list_of_mappings_with_defaults_per_element)
{
	cr_assert_eq(load(full_yaml), 0, "%s", err);
	cr_assert(cfg.has_users);
	cr_assert_eq(cfg.n_users, 2);
	cr_assert_str_eq(cfg.users[0].upn, "alice@contoso.com");
	cr_assert_str_eq(cfg.users[0].display, "Alice");
	cr_assert(cfg.users[0].enabled);
	cr_assert_eq(cfg.users[0].quota, 10);
	cr_assert_eq(cfg.users[0].n_groups, 2);
	cr_assert_str_eq(cfg.users[0].groups[0], "staff");
	cr_assert_str_eq(cfg.users[0].groups[1], "vpn");
	cr_assert_eq(cfg.users[0].role, 1);
	cr_assert_str_eq(cfg.users[1].upn, "bob@contoso.com");
	cr_assert_null(cfg.users[1].display);
	cr_assert_not(cfg.users[1].enabled);
	cr_assert_eq(cfg.users[1].quota, 0);
	cr_assert_null(cfg.users[1].groups);
	cr_assert_eq(cfg.users[1].n_groups, 0);
	cr_assert_eq(cfg.users[1].role, 0);
}

Test(config, defaults_fill_absent_keys)
{
	cr_assert_eq(load("listen:\n  socket: /run/crp.sock\n"), 0, "%s", err);
	cr_assert_eq(cfg.listen.socket_mode, 0660);
	cr_assert_not(cfg.listen.has_http);
	/* an absent optional mapping still gets its defaults */
	cr_assert_str_eq(cfg.listen.http.address, "127.0.0.1");
	cr_assert_eq(cfg.listen.http.port, 8080);
	cr_assert_str_eq(cfg.state_dir, "/var/lib/ndes");
	cr_assert_eq(cfg.workers, 4);
	cr_assert_not(cfg.debug);
	cr_assert_eq(cfg.challenge_ttl, 3600);
	cr_assert_eq(cfg.max_body, 65536);
	cr_assert_eq(cfg.log_level, 1);
	/* an absent optional mapping does not ask for its required keys */
	cr_assert_not(cfg.has_tls);
	cr_assert_null(cfg.tls.cert);
	cr_assert_null(cfg.allow_uids);
	cr_assert_eq(cfg.n_allow_uids, 0);
	cr_assert_null(cfg.users);
	cr_assert_eq(cfg.n_users, 0);
	cr_assert_not(cfg.has_users);
}

Test(config, empty_collections_and_bare_keys)
{
	cr_assert_eq(load("listen:\n  socket: /s\n  http:\nnames: []\nusers:\n"
	    "ports:\n"), 0, "%s", err);
	/* "http:" with nothing under it is an empty mapping: defaults apply */
	cr_assert(cfg.listen.has_http);
	cr_assert_eq(cfg.listen.http.port, 8080);
	cr_assert_null(cfg.names);
	cr_assert_eq(cfg.n_names, 0);
	cr_assert(cfg.has_users);
	cr_assert_eq(cfg.n_users, 0);
	cr_assert_eq(cfg.n_ports, 0);
}

Test(config, flow_style_and_quoting)
{
	cr_assert_eq(load("{listen: {socket: '/s', http: {port: \"443\"}}, "
	    "names: [\"x\", 'y']}"), 0, "%s", err);
	cr_assert_str_eq(cfg.listen.socket, "/s");
	cr_assert_eq(cfg.listen.http.port, 443);
	cr_assert_str_eq(cfg.names[0], "x");
	cr_assert_str_eq(cfg.names[1], "y");
}

Test(config, crlf_line_endings)
{
	cr_assert_eq(load("listen:\r\n  socket: /s\r\nworkers: 2\r\n"), 0, "%s", err);
	cr_assert_str_eq(cfg.listen.socket, "/s");
	cr_assert_eq(cfg.workers, 2);
	load_bad("listen:\r\n  socket: /s\r\nworkers: two\r\n",
	    "crpd.yaml:3:10: workers: expected an integer between 1 and 64, "
	    "got \"two\"");
}

/* ---- Unknown keys -------------------------------------------------------- */

Test(config, unknown_top_level_key)
{
	load_bad("listen:\n"
	    "  socket: /run/ndes/crp.sock\n"
	    "state_dir: /var/lib/ndes\n"
	    "lisen: 5\n",
	    "crpd.yaml:4:1: unknown key \"lisen\" (expected one of: " ALL_KEYS ")");
}

Test(config, unknown_nested_key)
{
	load_bad("listen:\n"
	    "  socket: /run/ndes/crp.sock\n"
	    "  http:\n"
	    "    address: ::1\n"
	    "    prot: 80\n",
	    "crpd.yaml:5:5: listen.http: unknown key \"prot\" (expected one of: "
	    "address, port)");
}

Test(config, unknown_key_in_list_element)
{
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@b\n"
	    "  - upn: c@d\n"
	    "    mail: c@d\n",
	    "crpd.yaml:5:5: users[1]: unknown key \"mail\" (expected one of: "
	    "upn, display, enabled, quota, groups, role)");
}

/* ---- Wrong types and bad values ------------------------------------------ */

Test(config, bad_nested_value)
{
	load_bad("# crpd\n"
	    "listen:\n"
	    "  socket: /run/ndes/crp.sock\n"
	    "  http:\n"
	    "    address: 0.0.0.0\n"
	    "\n"
	    "    port: http\n",
	    "crpd.yaml:7:11: listen.http.port: expected an integer between 1 and "
	    "65535, got \"http\"");
}

Test(config, scalar_where_mapping_expected)
{
	load_bad("listen: /run/crp.sock\n",
	    "crpd.yaml:1:9: listen: expected a mapping, got \"/run/crp.sock\"");
}

Test(config, mapping_where_scalar_expected)
{
	load_bad("listen:\n  socket:\n    path: /s\n",
	    "crpd.yaml:3:5: listen.socket: expected a non-empty path, got a mapping");
}

Test(config, scalar_where_list_expected)
{
	load_bad("listen: {socket: /s}\nnames: alice\n",
	    "crpd.yaml:2:8: names: expected a list of strings, got \"alice\"");
	load_bad("listen: {socket: /s}\nallow_uids: {a: 1}\n",
	    "crpd.yaml:2:13: allow_uids: expected a list of user names or uids, "
	    "got a mapping");
	load_bad("listen: {socket: /s}\nusers: bob\n",
	    "crpd.yaml:2:8: users: expected a list of mappings, got \"bob\"");
}

Test(config, bad_list_elements_name_their_index)
{
	load_bad("listen: {socket: /s}\nports: [80, 8080, http]\n",
	    "crpd.yaml:2:19: ports[2]: expected an integer between 1 and 65535, "
	    "got \"http\"");
	load_bad("listen: {socket: /s}\nallow_uids:\n  - root\n  - nobody-ndes-x\n",
	    "crpd.yaml:4:5: allow_uids[1]: expected a user name or uid, got "
	    "\"nobody-ndes-x\" (no such user)");
	load_bad("listen: {socket: /s}\nallow_gids: [0, no-such-group-ndes]\n",
	    "crpd.yaml:2:17: allow_gids[1]: expected a group name or gid, got "
	    "\"no-such-group-ndes\" (no such group)");
	load_bad("listen: {socket: /s}\nnames: [a, [b]]\n",
	    "crpd.yaml:2:12: names[1]: expected a string, got a list");
}

Test(config, bad_values_inside_lists_of_mappings)
{
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "  - upn: b@contoso.com\n"
	    "    groups: [staff, {x: 1}]\n",
	    "crpd.yaml:5:21: users[1].groups[1]: expected a string, got a mapping");
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "    quota: -1\n",
	    "crpd.yaml:4:12: users[0].quota: expected an integer of at least 0, "
	    "got \"-1\"");
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "  - just-a-name\n",
	    "crpd.yaml:4:5: users[1]: expected a mapping, got \"just-a-name\"");
}

/* ---- Missing required keys ----------------------------------------------- */

Test(config, missing_top_level_key_points_at_the_document)
{
	load_bad("state_dir: /x\n",
	    "crpd.yaml:1:1: listen: missing required key");
	load_bad("# comment\n\nstate_dir: /x\n",
	    "crpd.yaml:3:1: listen: missing required key");
}

Test(config, missing_nested_key_points_at_its_mapping)
{
	load_bad("workers: 2\n"
	    "listen:\n"
	    "  socket_mode: 0600\n",
	    "crpd.yaml:3:3: listen.socket: missing required key");
	load_bad("listen: {http: {port: 80}}\n",
	    "crpd.yaml:1:9: listen.socket: missing required key");
}

Test(config, optional_mapping_given_must_be_complete)
{
	load_bad("listen: {socket: /s}\n"
	    "tls:\n"
	    "  cert: /c.pem\n",
	    "crpd.yaml:3:3: tls.key: missing required key");
	/* "tls:" alone is an empty mapping, reported where its value would be */
	load_bad("listen: {socket: /s}\ntls:\n",
	    "crpd.yaml:2:5: tls.cert: missing required key");
}

Test(config, missing_key_in_list_element)
{
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "  - display: Nobody\n",
	    "crpd.yaml:4:5: users[1].upn: missing required key");
}

Test(config, empty_document_lacks_required_keys)
{
	load_bad("", "crpd.yaml:1:1: listen: missing required key");
	load_bad("# only a comment\n", "crpd.yaml:1:1: listen: missing required key");
	load_bad("---\n", "crpd.yaml:1:1: listen: missing required key");
	load_bad("~\n", "crpd.yaml:1:1: listen: missing required key");
}

/* ---- Document shape ------------------------------------------------------- */

Test(config, top_level_must_be_a_mapping)
{
	load_bad("- listen\n- state_dir\n",
	    "crpd.yaml:1:1: expected a mapping at the top level, got a list");
	load_bad("\n\nhello\n",
	    "crpd.yaml:3:1: expected a mapping at the top level, got \"hello\"");
}

Test(config, duplicate_keys)
{
	load_bad("listen: {socket: /s}\n"
	    "state_dir: /a\n"
	    "workers: 2\n"
	    "state_dir: /b\n",
	    "crpd.yaml:4:1: duplicate key \"state_dir\" (first at line 2, column 1)");
	load_bad("listen:\n"
	    "  socket: /s\n"
	    "  socket: /t\n",
	    "crpd.yaml:3:3: listen: duplicate key \"socket\" (first at line 2, "
	    "column 3)");
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - {upn: a@b, role: user, role: admin}\n",
	    "crpd.yaml:3:28: users[0]: duplicate key \"role\" (first at line 3, "
	    "column 16)");
}

Test(config, duplicate_unknown_keys_are_duplicates_first)
{
	load_bad("listen: {socket: /s}\nfoo: 1\nfoo: 2\n",
	    "crpd.yaml:2:1: unknown key \"foo\" (expected one of: " ALL_KEYS ")");
}

Test(config, non_scalar_key)
{
	load_bad("listen: {socket: /s}\n? [a, b]\n: 1\n",
	    "crpd.yaml:2:3: expected a key, got a list");
}

Test(config, yaml_syntax_errors)
{
	load_bad("listen:\n"
	    "  socket: /s\n"
	    " workers: 2\n",
	    "crpd.yaml:3:2: YAML syntax error: did not find expected key (while "
	    "parsing a block mapping at line 1, column 1)");
	load_bad("listen:\n  socket: \"/s\n",
	    "crpd.yaml:3:1: YAML syntax error: found unexpected end of stream "
	    "(while scanning a quoted scalar at line 2, column 11)");
	load_bad("listen: {socket: /s\n",
	    "crpd.yaml:2:1: YAML syntax error: did not find expected ',' or '}' "
	    "(while parsing a flow mapping at line 1, column 9)");
	load_bad("listen: {socket: /s}\nworkers: 2: 3\n",
	    "crpd.yaml:2:11: YAML syntax error: mapping values are not allowed in "
	    "this context");
	load_bad("listen:\n\tsocket: /s\n",
	    "crpd.yaml:2:1: YAML syntax error: found character that cannot start "
	    "any token (while scanning for the next token at line 2, column 1)");
}

Test(config, invalid_utf8_is_reported_with_its_position)
{
	load_bad("listen: {socket: /s}\nnames: [ab\xff]\n",
	    "crpd.yaml:2:11: invalid input: invalid leading UTF-8 octet");
}

Test(config, aliases_and_second_documents_are_refused)
{
	load_bad("listen: &l {socket: /s}\ntls: *l\n",
	    "crpd.yaml:2:6: YAML aliases are not supported");
	load_bad("listen: {socket: /s}\n---\nlisten: {socket: /t}\n",
	    "crpd.yaml:2:1: a second YAML document is not allowed");
}

Test(config, nesting_is_bounded)
{
	char	yaml[256];

	memset(yaml, 0, sizeof(yaml));
	memcpy(yaml, "names: ", 7);
	memset(yaml + 7, '[', 70);
	load_bad(yaml, "crpd.yaml:1:71: nesting deeper than 64 levels");
}

/* ---- Validators ------------------------------------------------------------ */

Test(config, field_validator_message_and_position)
{
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "  - upn: b@contoso.com\n"
	    "  - upn:   carol.contoso.com\n",
	    "crpd.yaml:5:12: users[2].upn: \"carol.contoso.com\" is not a user "
	    "principal name (user@domain)");
}

Test(config, list_element_validator)
{
	load_bad("listen: {socket: /s}\nports: [80, 8080, 8088, 81]\n",
	    "crpd.yaml:2:25: ports[3]: must be even");
}

Test(config, list_of_mappings_element_validator)
{
	load_bad("listen: {socket: /s}\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "    role: admin\n"
	    "    enabled: no\n",
	    "crpd.yaml:3:5: users[0]: an admin cannot be disabled");
}

Test(config, schema_validator_sees_the_whole_struct)
{
	load_bad("listen: {socket: /s}\n"
	    "tls: {cert: /c, key: /k}\n",
	    "crpd.yaml:1:1: tls needs listen.http");
	cr_assert_eq(load("listen: {socket: /s, http: {}}\n"
	    "tls: {cert: /c, key: /k}\n"), 0, "%s", err);
}

/* ---- After an error -------------------------------------------------------- */

Test(config, failed_load_leaves_nothing_allocated)
{
	load_bad("listen: {socket: /s, http: {address: a}}\n"
	    "names: [x, y]\n"
	    "users:\n"
	    "  - upn: a@contoso.com\n"
	    "    groups: [g]\n"
	    "  - upn: 5@\n",
	    "crpd.yaml:6:10: users[1].upn: \"5@\" is not a user principal name "
	    "(user@domain)");
	cr_assert_null(cfg.listen.socket);
	cr_assert_null(cfg.listen.http.address);
	/* not just the allocations: the whole struct is cleared */
	cr_assert_not(cfg.listen.has_http);
	cr_assert_not(cfg.has_users);
	cr_assert_null(cfg.names);
	cr_assert_eq(cfg.n_names, 0);
	cr_assert_null(cfg.users);
	cr_assert_eq(cfg.n_users, 0);
	ndes_config_free(&crpd_schema, &cfg);
	ndes_config_free(&crpd_schema, &cfg);
	ndes_config_free(&crpd_schema, NULL);
	ndes_config_free(NULL, &cfg);
}

Test(config, error_buffer_is_optional_and_truncated)
{
	char	small[16];

	cr_assert_eq(ndes_config_load_string("crpd.yaml", "workers: x\n",
	    &crpd_schema, &cfg, NULL, 0), -1);
	cr_assert_eq(ndes_config_load_string("crpd.yaml", "workers: x\n",
	    &crpd_schema, &cfg, small, sizeof(small)), -1);
	cr_assert_str_eq(small, "crpd.yaml:1:10:");
	cr_assert_eq(ndes_config_load_string("crpd.yaml", "workers: [\n",
	    &crpd_schema, &cfg, small, sizeof(small)), -1);
	cr_assert_str_eq(small, "crpd.yaml:2:1: ");
}

/* ---- Schemas that are themselves wrong ------------------------------------- */

struct bad_cfg {
	int	 small;
	int64_t	 num;
};

static const struct ndes_config_field bad_size_fields[] = {
	{ .key = "small", .type = NDES_CFG_TYPE_INT,
	  .offset = offsetof(struct bad_cfg, small), .size = sizeof(int) },
};
static const struct ndes_config_schema bad_size_schema =
    NDES_CFG_SCHEMA(struct bad_cfg, bad_size_fields);

static const struct ndes_config_field bad_default_fields[] = {
	NDES_CFG_INT("num", struct bad_cfg, num, NDES_CFG_RANGE(1, 9),
	    NDES_CFG_DEFAULT("10")),
};
static const struct ndes_config_schema bad_default_schema =
    NDES_CFG_SCHEMA(struct bad_cfg, bad_default_fields);

struct bad_list_cfg {
	char	**names;
	size_t	  n_names;
	int64_t	  num;
};

static const struct ndes_config_field list_default_fields[] = {
	NDES_CFG_INT("num", struct bad_list_cfg, num),
	NDES_CFG_STRING_LIST("names", struct bad_list_cfg, names, n_names,
	    NDES_CFG_DEFAULT("[a]")),
};
static const struct ndes_config_schema list_default_schema =
    NDES_CFG_SCHEMA(struct bad_list_cfg, list_default_fields);

static const struct ndes_config_field required_default_fields[] = {
	NDES_CFG_INT("num", struct bad_list_cfg, num, NDES_CFG_REQUIRED,
	    NDES_CFG_DEFAULT("1")),
};
static const struct ndes_config_schema required_default_schema =
    NDES_CFG_SCHEMA(struct bad_list_cfg, required_default_fields);

Test(config, defaults_only_on_optional_scalars)
{
	struct bad_list_cfg	b;

	config_expect_refused("x.yaml", "num: 1\n", &list_default_schema, &b,
	    "x.yaml: internal error: bad schema entry 1 (\"names\")");
	config_expect_refused("x.yaml", "num: 1\n", &required_default_schema, &b,
	    "x.yaml: internal error: bad schema entry 0 (\"num\")");
}

Test(config, schema_mistakes_are_reported_not_crashed_on)
{
	struct bad_cfg	b;

	config_expect_refused("x.yaml", "small: 1\n", &bad_size_schema, &b,
	    "x.yaml: internal error: bad schema entry 0 (\"small\")");
	config_expect_refused("x.yaml", "{}\n", &bad_default_schema, &b,
	    "x.yaml:1:1: num: internal error: default \"10\" is not an integer between 1 and 9");
}

/* ---- A schema that refers to itself: a tree -------------------------------- */

struct tree_node {
	char			*name;
	struct tree_node	*kids;
	size_t			 n_kids;
};

static const struct ndes_config_schema tree_schema;
static const struct ndes_config_field tree_fields[] = {
	NDES_CFG_STRING("name", struct tree_node, name, NDES_CFG_REQUIRED),
	NDES_CFG_MAP_LIST("kids", struct tree_node, kids, n_kids, tree_schema),
};
static const struct ndes_config_schema tree_schema =
    NDES_CFG_SCHEMA(struct tree_node, tree_fields);

Test(config, recursive_schema_and_deep_key_paths)
{
	struct tree_node	t;

	cr_assert_eq(ndes_config_load_string("tree.yaml",
	    "name: root\n"
	    "kids:\n"
	    "  - name: a\n"
	    "    kids: [{name: a1}, {name: a2}]\n"
	    "  - name: b\n", &tree_schema, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.n_kids, 2);
	cr_assert_str_eq(t.kids[0].kids[1].name, "a2");
	cr_assert_str_eq(t.kids[1].name, "b");
	ndes_config_free(&tree_schema, &t);
	cr_assert_null(t.kids);

	cr_assert_eq(ndes_config_load_string("tree.yaml",
	    "name: root\n"
	    "kids:\n"
	    "  - name: a\n"
	    "    kids: [{name: a1}, {name: [x]}]\n", &tree_schema, &t, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "tree.yaml:4:31: kids[0].kids[1].name: expected a "
	    "string, got a list");
}

/* ---- Files ----------------------------------------------------------------- */

Test(config, load_file)
{
	char	*path = data_path("crpd-valid.yaml");

	cr_assert_eq(ndes_config_load(path, &crpd_schema, &cfg, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_str_eq(cfg.listen.socket, "/run/ndes/crp.sock");
	cr_assert_eq(cfg.listen.http.port, 8443);
	cr_assert_eq(cfg.challenge_ttl, 3600);
	cr_assert_eq(cfg.n_users, 2);
	cr_assert_str_eq(cfg.users[1].upn, "bob@contoso.com");
	free(path);
}

Test(config, file_errors_name_the_file)
{
	char	*path = data_path("crpd-bad-port.yaml"), *expected;

	cr_assert_eq(ndes_config_load(path, &crpd_schema, &cfg, err, sizeof(err)),
	    -1);
	cr_assert_neq(asprintf(&expected, "%s:7:11: listen.http.port: expected "
	    "an integer between 1 and 65535, got \"http\"", path), -1);
	cr_assert_str_eq(err, expected);
	free(expected);
	free(path);
}

Test(config, missing_file)
{
	cr_assert_eq(ndes_config_load("/nonexistent/ndes/crpd.yaml", &crpd_schema,
	    &cfg, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "/nonexistent/ndes/crpd.yaml: cannot open: No such "
	    "file or directory");
}

Test(config, directory_is_not_a_file)
{
	cr_assert_eq(ndes_config_load("/", &crpd_schema, &cfg, err, sizeof(err)),
	    -1);
	cr_assert_str_eq(err, "/: cannot read: Is a directory");
}

/* ---- --check-config --------------------------------------------------------- */

static void
redirect_all(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

Test(config, check_main_ok, .init = redirect_all)
{
	char	*path = data_path("crpd-valid.yaml"), *expected;

	cr_assert_eq(ndes_config_check_main(path, &crpd_schema,
	    sizeof(struct crpd_cfg)), 0);
	fflush(stdout);
	fflush(stderr);
	cr_assert_neq(asprintf(&expected, "%s: OK\n", path), -1);
	cr_assert_stdout_eq_str(expected);
	cr_assert_stderr_eq_str("");
	free(expected);
	free(path);
}

/* What a check of crpd-unknown-key.yaml prints: its one error line on
 * stderr, nothing on stdout. */
static void
assert_only_the_unknown_key_line(const char *path)
{
	char	*expected;

	fflush(stdout);
	fflush(stderr);
	cr_assert_neq(asprintf(&expected, "%s:4:1: unknown key \"lisen\" "
	    "(expected one of: " ALL_KEYS ")\n", path), -1);
	cr_assert_stderr_eq_str(expected);
	cr_assert_stdout_eq_str("");
	free(expected);
}

Test(config, check_main_error, .init = redirect_all)
{
	char	*path = data_path("crpd-unknown-key.yaml");

	cr_assert_eq(ndes_config_check_main(path, &crpd_schema, 0), 1);
	assert_only_the_unknown_key_line(path);
	free(path);
}

/* -v at the debug level: "FILE: OK" as before, and the top-level keys the
 * file sets, by name only, on stderr. */
Test(config, check_with_keys_names_the_keys_the_file_sets, .init = redirect_all)
{
	char	*path = data_path("crpd-valid.yaml"), *out, *keys;

	cr_assert_eq(ndes_config_check(path, &crpd_schema, sizeof(struct crpd_cfg), true), 0);
	fflush(stdout);
	fflush(stderr);
	cr_assert_neq(asprintf(&out, "%s: OK\n", path), -1);
	cr_assert_neq(asprintf(&keys, "%s: sets listen, state_dir, workers, challenge_ttl, max_body, log_level, "
	    "allow_uids, users; every other key takes its default\n",
	    path), -1);
	cr_assert_stdout_eq_str(out);
	cr_assert_stderr_eq_str(keys);
	free(out);
	free(keys);
	free(path);
}

/* A file that does not load: the error line only, no list of keys. */
Test(config, check_with_keys_on_a_bad_file_says_only_the_error, .init = redirect_all)
{
	char	*path = data_path("crpd-unknown-key.yaml");

	cr_assert_eq(ndes_config_check(path, &crpd_schema, 0, true), 1);
	assert_only_the_unknown_key_line(path);
	free(path);
}

Test(config, check_main_missing_file, .init = redirect_all)
{
	cr_assert_eq(ndes_config_check_main("/nonexistent.yaml", &crpd_schema,
	    sizeof(struct crpd_cfg)), 1);
	fflush(stderr);
	cr_assert_stderr_eq_str("/nonexistent.yaml: cannot open: No such file or "
	    "directory\n");
}

/* ---- No global state ------------------------------------------------------- */

static void *
load_many(void *arg)
{
	struct crpd_cfg	c;
	char		e[NDES_CONFIG_ERR_MAX];
	long		i, bad = 0;

	for (i = 0; i < 200; i++) {
		if (ndes_config_load_string("t.yaml", full_yaml, &crpd_schema, &c,
		    e, sizeof(e)) != 0 || c.n_users != 2 ||
		    strcmp(c.users[0].groups[1], "vpn") != 0)
			bad++;
		ndes_config_free(&crpd_schema, &c);
		if (ndes_config_load_string("t.yaml", "workers: 99\n", &crpd_schema,
		    &c, e, sizeof(e)) != -1 || strcmp(e, "t.yaml:1:10: workers: "
		    "expected an integer between 1 and 64, got \"99\"") != 0)
			bad++;
	}
	return (void *)bad;
}

Test(config, concurrent_loads)
{
	pthread_t	th[4];
	void		*bad;
	int		i;

	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, load_many, NULL), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(th[i], &bad), 0);
		cr_assert_eq((long)bad, 0);
	}
}

Test(config, paths_relative_to_a_folder)
{
	char *p;

	p = ndes_config_path("/var/lib/ndes", "registration/crp.pem");
	cr_assert_str_eq(p, "/var/lib/ndes/registration/crp.pem");
	free(p);
	p = ndes_config_path("/var/lib/ndes", "/etc/ndes/crp.pem");
	cr_assert_str_eq(p, "/etc/ndes/crp.pem");
	free(p);
}
