/* ndes-policy-exec: command line.  docs/policy.md. */
#include "config.h"

#include "exec.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " EXEC_NAME " [-v] [-c FILE]\n"
	    "           verify the DER PKCS#10 request on stdin: exit 0 allowed, 1 refused\n"
	    "       " EXEC_NAME " [-v] [-c FILE] watch-depot [--once] [--state-dir DIR]\n"
	    "           [--retry SECONDS] DEPOT\n"
	    "           notify ndes-crpd of the certificates micromdm's scepserver issues\n"
	    "       " EXEC_NAME " --check-config FILE\n"
	    "       " EXEC_NAME " --version\n"
	    "The configuration is FILE, else $NDES_POLICY_CONFIG, else %s.\n",
	    policy_config_default_path());
}

static int
check_config(const char *path)
{
	struct policy_cfg cfg;
	char err[NDES_ERR_MAX];

	if (policy_config_load(path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	policy_config_free(&cfg);
	printf("%s: OK\n", path);
	return 0;
}

static int
watch_args(int argc, char **argv, struct exec_watch_opts *o)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "retry", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			o->once = true;
		else if (c == 's')
			o->state_dir = optarg;
		else if (c == 'r' && atoi(optarg) > 0 && atoi(optarg) <= 3600)
			o->retry_ms = atoi(optarg) * 1000;
		else
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	o->depot = argv[optind];
	return 0;
}

static int
run(const char *config, bool verbose, int argc, char **argv)
{
	struct exec_watch_opts wo = { .retry_ms = 5000 };
	struct policy_cfg cfg;
	char err[NDES_ERR_MAX];
	int rc;

	if (argc > 0 && (strcmp(argv[0], "watch-depot") != 0 || watch_args(argc, argv, &wo) == -1)) {
		usage(stderr);
		return EXEC_USAGE;
	}
	if (policy_config_load(config, &cfg, err, sizeof(err)) == -1) {
		/* Refused, as the SCEP server sees it; the reason on stderr. */
		fprintf(stderr, EXEC_NAME ": refused: configuration: %s\n", err);
		return EXEC_USAGE;
	}
	exec_log_init(cfg.exec.log_journal, verbose);
	rc = argc > 0 ? exec_watch_main(&cfg, &wo) : exec_verify_main(&cfg);
	policy_config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = getenv("NDES_POLICY_CONFIG");
	bool verbose = false;
	int c;

	log_init(EXEC_NAME, LOG_LEVEL_INFO);
	if (config != NULL && config[0] == '\0')
		config = NULL;
	while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			return check_config(optarg);
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf(EXEC_NAME " " PACKAGE_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXEC_USAGE;
		}
	}
	return run(config, verbose, argc - optind, argv + optind);
}
