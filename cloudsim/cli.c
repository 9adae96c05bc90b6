/* Admin subcommands: options, the call to the admin endpoint, the output
 * (cli.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cloudsim_cli.h"
#include "http_client.h"
#include "log.h"
#include "model.h"
#include "service.h"

struct cli {
	const char *admin_url, *config;
	const char *device, *profile, *user, *serial, *issuer, *ca_conf, *request_id;
	long long expires_in, lifetime;
	bool has_expires_in, has_lifetime, raw, openssl_cnf;
	int verbose;	/* -v given */
};

struct cli_cmd {
	const char *name;
	const char *allowed;             /* option letters */
	int (*run)(struct cli *, int argc, char **argv);
};

static int cli_token(struct cli *, int, char **);
static int cli_challenge(struct cli *, int, char **);
static int cli_revoke(struct cli *, int, char **);
static int cli_pkcs_request(struct cli *, int, char **);
static int cli_pkcs_open(struct cli *, int, char **);
static int cli_show(struct cli *, int, char **);

static const struct cli_cmd cli_cmds[] = {
	{ "token", "acrl", cli_token },
	{ "challenge", "acdpuero", cli_challenge },
	{ "revoke", "acsiCr", cli_revoke },
	{ "pkcs-request", "acdpuCr", cli_pkcs_request },
	{ "pkcs-open", "acR", cli_pkcs_open },
	{ "show", "ac", cli_show },
};

void
cloudsim_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ndes-cloud-sim [-v]... serve --config FILE [--listen-port N] [--admin-port N]\n"
	    "                 [--lease-seconds S] [--connector-cert-lifetime S] [-v]...\n"
	    "       ndes-cloud-sim --check-config FILE [-v]...\n"
	    "       ndes-cloud-sim --version | --help\n"
	    "       ndes-cloud-sim token [--lifetime S] [--raw]\n"
	    "       ndes-cloud-sim challenge --device D --profile P [--user U] [--expires-in S] "
	    "[--raw | --openssl-cnf]\n"
	    "       ndes-cloud-sim revoke --serial S [--issuer N] [--ca-configuration C] [--raw]\n"
	    "       ndes-cloud-sim pkcs-request --device D --profile P [--user U] "
	    "[--ca-configuration C] [--raw]\n"
	    "       ndes-cloud-sim pkcs-open --request-id R\n"
	    "       ndes-cloud-sim show connectors|notifications|revocations|pkcs|challenges|"
	    "profiles|devices|device-reports\n"
	    "  every subcommand takes --admin URL (default %s) or --config FILE\n"
	    "  -v, --verbose (before or after the subcommand), one log level more per -v:\n"
	    "    serve logs info by default, -v (or -vv) adds debug lines; the other\n"
	    "    subcommands print warnings only, -v adds info, -vv debug (each request);\n"
	    "    with --check-config, -v names the keys the file sets\n"
	    "  --check-config FILE: exit 0 and \"FILE: OK\" when FILE loads, else exit 1\n"
	    "    and FILE:LINE:COLUMN: KEY: WHAT on stderr\n"
	    "  exit codes: 0 ok, 1 refused by the service, 2 usage, 3 service unreachable\n",
	    CLOUDSIM_DEFAULT_ADMIN_URL);
}

static int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ndes-cloud-sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cloudsim_usage(stderr);
	return CLOUDSIM_EXIT_USAGE;
}

int
cloudsim_cli_known(const char *cmd)
{
	for (size_t i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(cli_cmds[i].name, cmd) == 0)
			return 1;
	return 0;
}

static int
cli_number(const char *text, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	return errno == 0 && end != text && *end == '\0' ? 0 : -1;
}

static const struct option cli_longopts[] = {
	{ "admin", required_argument, NULL, 'a' },
	{ "config", required_argument, NULL, 'c' },
	{ "device", required_argument, NULL, 'd' },
	{ "profile", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "expires-in", required_argument, NULL, 'e' },
	{ "raw", no_argument, NULL, 'r' },
	{ "serial", required_argument, NULL, 's' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "ca-configuration", required_argument, NULL, 'C' },
	{ "request-id", required_argument, NULL, 'R' },
	{ "lifetime", required_argument, NULL, 'l' },
	{ "openssl-cnf", no_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int
cli_set(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'a': c->admin_url = arg; return 0;
	case 'c': c->config = arg; return 0;
	case 'd': c->device = arg; return 0;
	case 'p': c->profile = arg; return 0;
	case 'u': c->user = arg; return 0;
	case 'r': c->raw = true; return 0;
	case 'o': c->openssl_cnf = true; return 0;
	case 's': c->serial = arg; return 0;
	case 'i': c->issuer = arg; return 0;
	case 'C': c->ca_conf = arg; return 0;
	case 'R': c->request_id = arg; return 0;
	case 'e':
		c->has_expires_in = true;
		return cli_number(arg, &c->expires_in);
	case 'l':
		c->has_lifetime = true;
		return cli_number(arg, &c->lifetime);
	default:
		return -1;
	}
}

/* Options of argv (argv[0] is the subcommand); *first gets the index of the
 * first operand. */
static int
cli_parse(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv, int *first)
{
	const struct option *o;
	int opt, idx = 0;

	optind = 0;	/* glibc: start over, options may follow operands */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":v", cli_longopts, &idx)) != -1) {
		if (opt == '?' || opt == ':')
			return cli_usage_error("%s: unknown option or missing value",
			    argv[optind - 1]);
		if (opt == 'v') {
			c->verbose++;
			continue;
		}
		for (o = cli_longopts; o->name != NULL && o->val != opt; o++)
			;
		if (strchr(cmd->allowed, opt) == NULL)
			return cli_usage_error("--%s does not apply here", o->name);
		if (cli_set(c, opt, optarg) != 0)
			return cli_usage_error("--%s: not a number", o->name);
	}
	if (c->admin_url != NULL && c->config != NULL)
		return cli_usage_error("%s", "--admin and --config exclude each other");
	*first = optind;
	return CLOUDSIM_EXIT_OK;
}

int
cloudsim_cli(int argc, char **argv, int verbose)
{
	struct cli c = { .verbose = verbose };
	int first = 1, rc;

	for (size_t i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++) {
		if (strcmp(cli_cmds[i].name, argv[0]) != 0)
			continue;
		if ((rc = cli_parse(&c, &cli_cmds[i], argc, argv, &first)) != CLOUDSIM_EXIT_OK)
			return rc;
		log_init("ndes-cloud-sim", log_level_raise(LOG_LEVEL_WARN, c.verbose));
		return cli_cmds[i].run(&c, argc - first, argv + first);
	}
	return cli_usage_error("unknown command \"%s\"", argv[0]);
}

static int
cli_no_operands(int argc, char **argv)
{
	return argc == 0 ? CLOUDSIM_EXIT_OK :
	    cli_usage_error("unexpected argument \"%s\"", argv[0]);
}

/* Print the answer, or one member of it with --raw. */
static int
cli_print(const struct cli *c, json_t *answer, const char *raw_member)
{
	const char *s;

	if (c->raw && raw_member != NULL &&
	    (s = json_string_value(json_object_get(answer, raw_member))) != NULL)
		printf("%s\n", s);
	else {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		printf("\n");
	}
	json_decref(answer);
	return fflush(stdout) == 0 ? CLOUDSIM_EXIT_OK : CLOUDSIM_EXIT_REFUSED;
}

static int
cli_post(struct cli *c, const char *path, json_t *body, const char *raw_member)
{
	json_t *answer = NULL;
	int rc = cloudsim_cli_call(c->admin_url, c->config, "POST", path, body, &answer);

	json_decref(body);
	return rc == CLOUDSIM_EXIT_OK ? cli_print(c, answer, raw_member) : rc;
}

static int
cli_token(struct cli *c, int argc, char **argv)
{
	json_t *body = json_object();

	if (cli_no_operands(argc, argv) != CLOUDSIM_EXIT_OK) {
		json_decref(body);
		return CLOUDSIM_EXIT_USAGE;
	}
	if (c->has_lifetime)
		json_object_set_new(body, "lifetimeSeconds", json_integer(c->lifetime));
	return cli_post(c, "/admin/tokens", body, "token");
}

/* {device, profile[, user]} for challenge and pkcs-request. */
static json_t *
cli_target(const struct cli *c, const char *cmd)
{
	if (c->device == NULL || c->profile == NULL) {
		cli_usage_error("%s needs --device and --profile", cmd);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:o}", "device", c->device, "profile", c->profile,
	    "user", cloudsim_json_str(c->user));
}

/* challenge --openssl-cnf: the recipe as it is, not JSON. */
static int
cli_openssl_cnf(struct cli *c, json_t *body)
{
	json_t *answer = NULL;
	const char *cnf;
	int rc = cloudsim_cli_call(c->admin_url, c->config, "POST", "/admin/challenges", body,
	    &answer);

	json_decref(body);
	if (rc != CLOUDSIM_EXIT_OK)
		return rc;
	if ((cnf = json_string_value(json_object_get(answer, "opensslCnf"))) != NULL)
		fputs(cnf, stdout);
	else {
		fprintf(stderr, "ndes-cloud-sim: the profile asks for an empty subject, which "
		    "openssl req cannot make from a configuration\n");
		rc = CLOUDSIM_EXIT_REFUSED;
	}
	json_decref(answer);
	return fflush(stdout) == 0 ? rc : CLOUDSIM_EXIT_REFUSED;
}

static int
cli_challenge(struct cli *c, int argc, char **argv)
{
	json_t *body;

	if (cli_no_operands(argc, argv) != CLOUDSIM_EXIT_OK ||
	    (body = cli_target(c, "challenge")) == NULL)
		return CLOUDSIM_EXIT_USAGE;
	if (c->has_expires_in)
		json_object_set_new(body, "expiresIn", json_integer(c->expires_in));
	if (c->openssl_cnf)
		return cli_openssl_cnf(c, body);
	return cli_post(c, "/admin/challenges", body, "challenge");
}

static int
cli_revoke(struct cli *c, int argc, char **argv)
{
	if (cli_no_operands(argc, argv) != CLOUDSIM_EXIT_OK)
		return CLOUDSIM_EXIT_USAGE;
	if (c->serial == NULL)
		return cli_usage_error("%s", "revoke needs --serial");
	return cli_post(c, "/admin/revocations", json_pack("{s:s, s:o, s:o}", "serial",
	    c->serial, "issuerName", cloudsim_json_str(c->issuer), "caConfiguration",
	    cloudsim_json_str(c->ca_conf)), "requestContext");
}

static int
cli_pkcs_request(struct cli *c, int argc, char **argv)
{
	json_t *body;

	if (cli_no_operands(argc, argv) != CLOUDSIM_EXIT_OK ||
	    (body = cli_target(c, "pkcs-request")) == NULL)
		return CLOUDSIM_EXIT_USAGE;
	json_object_set_new(body, "caConfiguration", cloudsim_json_str(c->ca_conf));
	return cli_post(c, "/admin/pkcs-requests", body, "requestId");
}

static int
cli_pkcs_open(struct cli *c, int argc, char **argv)
{
	if (cli_no_operands(argc, argv) != CLOUDSIM_EXIT_OK)
		return CLOUDSIM_EXIT_USAGE;
	if (c->request_id == NULL)
		return cli_usage_error("%s", "pkcs-open needs --request-id");
	return cli_post(c, "/admin/pkcs-open", json_pack("{s:s}", "requestId", c->request_id),
	    NULL);
}

static int
cli_show(struct cli *c, int argc, char **argv)
{
	static const char *const what[] = { "connectors", "notifications", "revocations",
	    "pkcs", "challenges", "profiles", "devices", "device-reports" };
	json_t *answer = NULL;
	char path[64];
	int rc;

	if (argc != 1)
		return cli_usage_error("%s", "show needs one of connectors, notifications, "
		    "revocations, pkcs, challenges, profiles, devices, device-reports");
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		if (strcmp(argv[0], what[i]) != 0)
			continue;
		snprintf(path, sizeof(path), "/admin/%s", what[i]);
		rc = cloudsim_cli_call(c->admin_url, c->config, "GET", path, NULL, &answer);
		return rc == CLOUDSIM_EXIT_OK ? cli_print(c, answer, NULL) : rc;
	}
	return cli_usage_error("show: unknown list \"%s\"", argv[0]);
}
