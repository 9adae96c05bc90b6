/* ndes-connector: options, configuration, dispatch. */
#include "cli.h"

#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crpd_config.h"
#include "log.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ndes-connector [--config FILE] [--state-dir DIR] [-v]... COMMAND [options]\n"
	    "       ndes-connector --check-config FILE [-v]...\n"
	    "       ndes-connector --version | --help\n"
	    "  register --cloud URL --token T [--ca-cert PEM] [--name N] [--force]\n"
	    "  status [--json] [--crpd-config FILE]   registration, certificate expiry,\n"
	    "                      outbox, whether the daemons answer, current errors\n"
	    "  renew               renew the registration certificates now\n"
	    "  unregister          tell the cloud and remove the registration\n"
	    "  queue [--json] [--limit N]   what waits in the outbox\n"
	    "  queue --purge-rejected [--older-than DURATION]   delete the items the cloud\n"
	    "                      refused for good (all, or those stored more than\n"
	    "                      DURATION ago: 90s, 60m, 12h, 30d); prints how many\n"
	    "  diagnose [--json] [--crpd-config FILE] [--scep-user NAME]   check the whole\n"
	    "                      setup: files, keys, certificates, sockets, the cloud, the\n"
	    "                      CA folder, the clock, the SCEP server's user\n"
	    "exit codes: 0 ok, 1 failure, 2 usage, 3 registration token refused, 4 cloud\n"
	    "  unreachable, 5 cloud certificate not trusted, 6 state folder or key file\n"
	    "  permissions, 7 not registered, 8 refused by the cloud, 9 diagnose found a\n"
	    "  failure, 10 status: a daemon does not answer, 11 status: an error is current\n"
	    "-v, --verbose: warnings only by default; -v adds info lines, -vv debug lines\n"
	    "  (which configuration and state folder were read, ...)\n"
	    "--check-config FILE: exit 0 and \"FILE: OK\" when FILE (connector.yaml, the\n"
	    "  file ndes-connectord reads) loads, else exit 1 and FILE:LINE:COLUMN: KEY: WHAT\n"
	    "  on stderr; with -vv it also names the keys the file sets\n"
	    "Default configuration: " CONN_DEFAULT_CONFIG " (built-in defaults without it)\n");
}

static const struct option cli_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, 'S' },
	{ "cloud", required_argument, NULL, 'u' },
	{ "token", required_argument, NULL, 't' },
	{ "ca-cert", required_argument, NULL, 'a' },
	{ "name", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'f' },
	{ "limit", required_argument, NULL, 'l' },
	{ "crpd-config", required_argument, NULL, 'C' },
	{ "scep-user", required_argument, NULL, 'U' },
	{ "purge-rejected", no_argument, NULL, 'P' },
	{ "older-than", required_argument, NULL, 'O' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check-config", required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 },
};

const char *
cli_crpd_config_path(const struct cli *c)
{
	if (c->crpd_config != NULL)
		return c->crpd_config;
	return access(CRPD_DEFAULT_CONFIG, F_OK) == 0 ? CRPD_DEFAULT_CONFIG : NULL;
}

static int
cli_load(struct cli *c, const char *config, const char *state_dir)
{
	char err[NDES_CONFIG_ERR_MAX];

	if (config == NULL && access(CONN_DEFAULT_CONFIG, F_OK) == 0)
		config = CONN_DEFAULT_CONFIG;
	if (conn_conf_load(config, &c->cfg, err, sizeof(err)) == -1)
		return cli_fail(CLI_FAIL, "%s", err);
	log_debug("configuration: %s", config != NULL ? config : "none, the built-in defaults");
	if (state_dir != NULL) {
		free(c->cfg.state_dir);
		if ((c->cfg.state_dir = strdup(state_dir)) == NULL)
			return CLI_FAIL;
	}
	if (conn_state_init(&c->st, c->cfg.state_dir) == -1)
		return CLI_FAIL;
	log_debug("state folder: %s", c->cfg.state_dir);
	return CLI_OK;
}

static int
cli_dispatch(struct cli *c, const char *cmd)
{
	static const struct { const char *name; int (*run)(struct cli *); } cmds[] = {
		{ "register", cli_register }, { "status", cli_status }, { "renew", cli_renew },
		{ "unregister", cli_unregister }, { "queue", cli_queue },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			return cmds[i].run(c);
	usage(stderr);
	return cli_fail(CLI_USAGE, "unknown command \"%s\"", cmd);
}

int
main(int argc, char **argv)
{
	struct cli c = { .limit = 100 };
	const char *check = NULL;
	int opt, r, verbose = 0;

	log_init("ndes-connector", LOG_LEVEL_WARN);
	while ((opt = getopt_long(argc, argv, "c:vh", cli_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c.config_path = optarg; break;
		case 'S': c.state_dir_opt = optarg; break;
		case 'C': c.crpd_config = optarg; break;
		case 'U': c.scep_user = optarg; break;
		case 'u': c.cloud = optarg; break;
		case 't': c.token = optarg; break;
		case 'a': c.ca_cert = optarg; break;
		case 'n': c.name = optarg; break;
		case 'j': c.json = true; break;
		case 'f': c.force = true; break;
		case 'P': c.purge_rejected = true; break;
		case 'O': c.older_than = optarg; break;
		case 'v': verbose++; break;
		case 'K': check = optarg; break;
		case 'l':
			if ((c.limit = strtol(optarg, NULL, 10)) < 1)
				return cli_fail(CLI_USAGE, "--limit needs a positive number");
			break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': printf("ndes-connector %s\n", PACKAGE_VERSION); return CLI_OK;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	log_init(NULL, log_level_raise(LOG_LEVEL_WARN, verbose));
	if (check != NULL && optind == argc)
		return ndes_config_check(check, &conn_config_schema, sizeof(struct conn_cfg),
		    log_level_raise(LOG_LEVEL_WARN, verbose) == LOG_LEVEL_DEBUG);
	if (check != NULL || optind != argc - 1) {
		usage(stderr);
		return CLI_USAGE;
	}
	if ((c.purge_rejected || c.older_than != NULL) && strcmp(argv[optind], "queue") != 0)
		return cli_fail(CLI_USAGE, "--purge-rejected and --older-than go with queue");
	if (c.older_than != NULL && !c.purge_rejected)
		return cli_fail(CLI_USAGE, "--older-than goes with --purge-rejected");
	if (strcmp(argv[optind], "diagnose") == 0)
		r = cli_diagnose(&c);
	else if ((r = cli_load(&c, c.config_path, c.state_dir_opt)) == CLI_OK)
		r = cli_dispatch(&c, argv[optind]);
	conn_state_clear(&c.st);
	conn_conf_free(&c.cfg);
	return r;
}
