/* ndes-cloud-sim: the Intune cloud emulator (docs/cloud-api.md,
 * docs/cloud-sim.md).  `serve` runs the service; the other subcommands
 * talk to a running one over its admin endpoint. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudsim_cli.h"
#include "log.h"
#include "model.h"
#include "service.h"

static int
main_port(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

static int
main_seconds(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end != '\0' || v < 1 || v > 100L * 365 * 86400)
		return -1;
	*out = (int)v;
	return 0;
}

static int
main_serve(int argc, char **argv, int verbose)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen-port", required_argument, NULL, 'l' },
		{ "admin-port", required_argument, NULL, 'a' },
		{ "lease-seconds", required_argument, NULL, 's' },
		{ "connector-cert-lifetime", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct cloudsim_overrides ov = { .listen_port = -1, .admin_port = -1 };
	const char *config = NULL;
	int opt, lease = 0, life = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if ((opt == 'c' && (config = optarg) == NULL) ||
		    (opt == 'l' && main_port(optarg, &ov.listen_port) != 0) ||
		    (opt == 'a' && main_port(optarg, &ov.admin_port) != 0) ||
		    (opt == 's' && main_seconds(optarg, &lease) != 0) ||
		    (opt == 't' && main_seconds(optarg, &life) != 0) || opt == '?') {
			cloudsim_usage(stderr);
			return CLOUDSIM_EXIT_USAGE;
		}
		if (opt == 'v')
			verbose++;
	}
	if (config == NULL || optind != argc) {
		fprintf(stderr, "ndes-cloud-sim: serve needs --config FILE and nothing else\n");
		return CLOUDSIM_EXIT_USAGE;
	}
	ov.lease_s = lease;
	ov.cert_lifetime_s = life;
	log_init("ndes-cloud-sim", log_level_raise(LOG_LEVEL_INFO, verbose));
	return cloudsim_serve(config, &ov);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *check = NULL;
	int opt, verbose = 0;

	while ((opt = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': cloudsim_usage(stdout); return CLOUDSIM_EXIT_OK;
		case 'V': printf("ndes-cloud-sim %s\n", PACKAGE_VERSION); return CLOUDSIM_EXIT_OK;
		case 'C': check = optarg; break;
		case 'v': verbose++; break;
		default: cloudsim_usage(stderr); return CLOUDSIM_EXIT_USAGE;
		}
	}
	if ((check != NULL && optind != argc) || (check == NULL && optind == argc)) {
		cloudsim_usage(stderr);
		return CLOUDSIM_EXIT_USAGE;
	}
	if (check != NULL)
		return cloudsim_config_check(check, verbose > 0);	/* -v: the keys too */
	if (strcmp(argv[optind], "serve") == 0)
		return main_serve(argc - optind, argv + optind, verbose);
	return cloudsim_cli(argc - optind, argv + optind, verbose);
}
