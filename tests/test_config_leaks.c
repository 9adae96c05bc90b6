/* Config loader leak check.  Criterion runs each test in a child that
 * leaves with _exit(), so LeakSanitizer never looks at it; this plain
 * program runs every kind of load (good ones and each kind of error, after
 * allocations were made) in one process and exits normally, so that the
 * sanitizer build (--enable-sanitizers) fails it on any leak.  It prints
 * TAP and checks the results too. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_loader.h"

struct item {
	char		*name;
	char		**tags;
	size_t		 n_tags;
	char		*kind;
	struct item	*kids;
	size_t		 n_kids;
};

struct sub {
	char		*path;
	int64_t		 port;
};

struct top {
	char		*name;
	char		*level;
	struct sub	 sub;
	char		**names;
	size_t		 n_names;
	char		**levels;
	size_t		 n_levels;
	uid_t		*uids;
	size_t		 n_uids;
	struct item	*items;
	size_t		 n_items;
	int64_t		 ttl;
};

static const char *const kinds[] = { "a", "b", NULL };

static const char *
no_x(const void *value, char *buf, size_t len)
{
	return strchr(*(char *const *)value, 'x') ? "no x allowed" : NULL;
}

static const struct ndes_config_schema item_schema;
static const struct ndes_config_field item_fields[] = {
	NDES_CFG_STRING("name", struct item, name, NDES_CFG_REQUIRED,
	    NDES_CFG_VALIDATE(no_x)),
	NDES_CFG_STRING_LIST("tags", struct item, tags, n_tags),
	NDES_CFG_ENUM_STRING("kind", struct item, kind, kinds,
	    NDES_CFG_DEFAULT("a")),
	NDES_CFG_MAP_LIST("kids", struct item, kids, n_kids, item_schema),
};
static const struct ndes_config_schema item_schema =
    NDES_CFG_SCHEMA(struct item, item_fields);

static const struct ndes_config_field sub_fields[] = {
	NDES_CFG_PATH("path", struct sub, path, NDES_CFG_DEFAULT("/run/x")),
	NDES_CFG_INT("port", struct sub, port, NDES_CFG_RANGE(1, 9)),
};
static const struct ndes_config_schema sub_schema =
    NDES_CFG_SCHEMA(struct sub, sub_fields);

static const struct ndes_config_field top_fields[] = {
	NDES_CFG_STRING("name", struct top, name, NDES_CFG_DEFAULT("top")),
	NDES_CFG_ENUM_STRING("level", struct top, level, kinds),
	NDES_CFG_MAP("sub", struct top, sub, sub_schema),
	NDES_CFG_STRING_LIST("names", struct top, names, n_names,
	    NDES_CFG_VALIDATE(no_x)),
	NDES_CFG_ENUM_STRING_LIST("levels", struct top, levels, n_levels, kinds),
	NDES_CFG_UID_LIST("uids", struct top, uids, n_uids),
	NDES_CFG_MAP_LIST("items", struct top, items, n_items, item_schema),
	NDES_CFG_DURATION("ttl", struct top, ttl, NDES_CFG_REQUIRED),
};
static const struct ndes_config_schema top_schema =
    NDES_CFG_SCHEMA(struct top, top_fields);

#define GOOD "name: n\nlevel: b\nsub: {path: /p, port: 3}\nnames: [a, b]\n" \
	"levels: [a, b, a]\nuids: [root, 7]\nttl: 1h\n" \
	"items:\n  - name: i1\n    tags: [t1, t2]\n    kids:\n" \
	"      - {name: k1, tags: [u], kind: b}\n      - {name: k2}\n" \
	"  - name: i2\n"

static const struct {
	const char	*yaml;
	const char	*err;		/* NULL: loads */
} cases[] = {
	{ GOOD, NULL },
	{ "ttl: 5\n", NULL },
	{ GOOD "bogus: 1\n", "t.yaml:15:1: unknown key \"bogus\" (expected one "
	    "of: name, level, sub, names, levels, uids, items, ttl)" },
	{ GOOD "name: again\n", "t.yaml:15:1: duplicate key \"name\" (first at "
	    "line 1, column 1)" },
	{ GOOD "  - name: i3\n    kids: [{name: kx}]\n", "t.yaml:16:19: "
	    "items[2].kids[0].name: no x allowed" },
	{ GOOD "  - name: i3\n    tags: [a, [b]]\n", "t.yaml:16:15: "
	    "items[2].tags[1]: expected a string, got a list" },
	{ GOOD "  - {tags: [a, b]}\n", "t.yaml:15:5: items[2].name: missing "
	    "required key" },
	{ "names: [a, b]\nlevels: [a, c]\nttl: 1\n", "t.yaml:2:13: levels[1]: "
	    "expected one of \"a\", \"b\", got \"c\"" },
	{ "names: [a, x]\nttl: 1\n", "t.yaml:1:12: names[1]: no x allowed" },
	{ "name: n\nlevel: a\nsub: {path: /p, port: 10}\nttl: 1\n", "t.yaml:3:23: "
	    "sub.port: expected an integer between 1 and 9, got \"10\"" },
	{ "name: n\nuids: [1, no-such-user-ndes]\nttl: 1\n", "t.yaml:2:11: "
	    "uids[1]: expected a user name or uid, got \"no-such-user-ndes\" "
	    "(no such user)" },
	{ "name: n\nnames: [a]\n", "t.yaml:1:1: ttl: missing required key" },
	{ "name: n\nnames: [a\n", "t.yaml:3:1: YAML syntax error: did not find "
	    "expected ',' or ']' (while parsing a flow sequence at line 2, "
	    "column 8)" },
	{ "name: &a n\nlevel: *a\n", "t.yaml:2:8: YAML aliases are not supported" },
	{ "ttl: 1\n---\nttl: 2\n", "t.yaml:2:1: a second YAML document is not "
	    "allowed" },
	{ "names: [\xc3\x28]\n", "t.yaml:1:10: invalid input: invalid trailing "
	    "UTF-8 octet" },
	{ "- a\n", "t.yaml:1:1: expected a mapping at the top level, got a list" },
};

static int
check(int n, const char *yaml, const char *want)
{
	struct top	t;
	char		err[NDES_CONFIG_ERR_MAX] = "";
	int		rc;

	rc = ndes_config_load_string("t.yaml", yaml, &top_schema, &t, err,
	    sizeof(err));
	if (want == NULL && rc == 0 && strcmp(t.name, yaml == cases[0].yaml ?
	    "n" : "top") == 0) {
		ndes_config_free(&top_schema, &t);
		printf("ok %d - loads\n", n);
		return 0;
	}
	ndes_config_free(&top_schema, &t);
	if (want != NULL && rc == -1 && strcmp(err, want) == 0) {
		printf("ok %d - %s\n", n, err);
		return 0;
	}
	printf("not ok %d - rc %d, got \"%s\"\n", n, rc, err);
	return 1;
}

/* A file holding GOOD, for the success path of the file loader. */
static int
write_good(char *path, size_t len)
{
	int	fd;

	snprintf(path, len, "/tmp/test_config_leaks.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (write(fd, GOOD, strlen(GOOD)) != (ssize_t)strlen(GOOD)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* The file loader and the --check-config helper, output silenced. */
static int
check_files(int n)
{
	char	 good[64];
	int	 out, errfd, null, fail = 0;

	if (write_good(good, sizeof(good)) == -1) {
		printf("not ok %d - cannot write a temporary file\n", n);
		return 1;
	}
	fflush(stdout);
	out = dup(1);
	errfd = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	dup2(null, 2);
	fail |= ndes_config_check_main(good, &top_schema, 0) != 0;
	fail |= ndes_config_check_main("/nonexistent.yaml", &top_schema, 0) != 1;
	fail |= ndes_config_check_main("/", &top_schema, 0) != 1;
	fflush(stdout);
	dup2(out, 1);
	dup2(errfd, 2);
	close(out);
	close(errfd);
	close(null);
	unlink(good);
	printf("%s %d - files and --check-config\n", fail ? "not ok" : "ok", n);
	return fail;
}

int
main(void)
{
	size_t	i, n = sizeof(cases) / sizeof(cases[0]);
	int	fail = 0;

	printf("1..%zu\n", n + 1);
	for (i = 0; i < n; i++)
		fail |= check((int)i + 1, cases[i].yaml, cases[i].err);
	fail |= check_files((int)n + 1);
	return fail;
}
