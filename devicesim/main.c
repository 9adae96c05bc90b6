/* ndes-device-sim: a managed device for the emulator (docs/devicesim.md).
 *   enroll  the profile's certificate (renewed instead when one is due)
 *   renew   renew when due, say why not otherwise
 *   show    what the state folder holds
 *   fleet   many devices of the inventory in one process
 *   keygen  keys made before a fleet run (fleet --keys) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dsim.h"
#include "dsim_cli.h"
#include "dsim_fleet.h"
#include "dsim_keys.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ndes-device-sim enroll --cloud URL --device NAME|ID --profile P\n"
	    "                              --state DIR [--user U] [--payload FILE]\n"
	    "                              [--clock-offset T] [-v]...\n"
	    "       ndes-device-sim renew  (the same options) [--force]\n"
	    "       ndes-device-sim show   --state DIR [--device ID] [--profile P]\n"
	    "       ndes-device-sim fleet  --cloud URL --devices N --concurrency C\n"
	    "                              [--rate R] [--duration S] [--profile P]\n"
	    "                              [--skip K] [--keys DIR] [--json] [-v]...\n"
	    "       ndes-device-sim keygen --count N --profile-key rsa:BITS|ec:p256|ec:p384|ec:p521\n"
	    "                              --out DIR\n"
	    "       ndes-device-sim --check-config FILE [-v]...\n"
	    "       ndes-device-sim --help | --version\n"
	    "--cloud is the emulator's admin URL (http://127.0.0.1:PORT); --clock-offset\n"
	    "shifts the device's clock (\"+700d\", \"-2h\", \"90m\", \"30s\").\n"
	    "-v, --verbose: warnings only by default; -v adds info lines, -vv debug lines\n"
	    "(each request to a SCEP URL, each failed device of a fleet, ...).\n"
	    "The device reads no configuration file: everything comes from the command\n"
	    "line and the emulator.  --check-config FILE checks a saved profile payload\n"
	    "(what --payload reads): exit 0 and \"FILE: OK\", or exit 1 and one line,\n"
	    "FILE:LINE:COLUMN: what (bad JSON) or FILE: profile payload: \"field\": what;\n"
	    "with -vv it also says what the payload asks for.\n");
}

static const struct option long_opts[] = {
	{ "cloud", required_argument, NULL, 'c' },
	{ "device", required_argument, NULL, 'd' },
	{ "profile", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "state", required_argument, NULL, 's' },
	{ "payload", required_argument, NULL, 'P' },
	{ "clock-offset", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "devices", required_argument, NULL, 'n' },
	{ "concurrency", required_argument, NULL, 'C' },
	{ "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'D' },
	{ "skip", required_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "keys", required_argument, NULL, 'K' },
	{ "count", required_argument, NULL, 'N' },
	{ "profile-key", required_argument, NULL, 'T' },
	{ "out", required_argument, NULL, 'O' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "check-config", required_argument, NULL, 'X' },
	{ NULL, 0, NULL, 0 },
};

struct main_args {
	struct dsim_device_opts dev;
	struct dsim_fleet_opts fleet;
	int64_t offset;
	int verbose;
	const char *check;	/* --check-config */
	int keygen_count;
	const char *keygen_spec, *keygen_out;
};

static int
main_number(const char *text, long min, long max, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
main_option(struct main_args *a, int opt)
{
	switch (opt) {
	case 'c': a->dev.cloud = a->fleet.cloud = optarg; return 0;
	case 'd': a->dev.device = optarg; return 0;
	case 'p': a->dev.profile = a->fleet.profile = optarg; return 0;
	case 'u': a->dev.user = optarg; return 0;
	case 's': a->dev.state = optarg; return 0;
	case 'P': a->dev.payload_file = optarg; return 0;
	case 'f': a->dev.force = true; return 0;
	case 'j': a->fleet.json = true; return 0;
	case 'K': a->fleet.keys_dir = optarg; return 0;
	case 'T': a->keygen_spec = optarg; return 0;
	case 'O': a->keygen_out = optarg; return 0;
	case 'N': return main_number(optarg, 1, 10000000, &a->keygen_count);
	case 'v': a->verbose++; return 0;
	case 'X': a->check = optarg; return 0;
	case 'o': return dsim_clock_offset_parse(optarg, &a->offset);
	case 'n': return main_number(optarg, 1, 10000000, &a->fleet.devices);
	case 'C': return main_number(optarg, 1, 100000, &a->fleet.concurrency);
	case 'r': return main_number(optarg, 1, 1000000, &a->fleet.rate);
	case 'D': return main_number(optarg, 1, 86400 * 30, &a->fleet.duration_s);
	case 'k': return main_number(optarg, 0, 10000000, &a->fleet.skip);
	default: return -1;
	}
}

static int
main_need(const char *what, const char *value)
{
	if (value != NULL)
		return 0;
	fprintf(stderr, "ndes-device-sim: %s is required\n", what);
	return -1;
}

static int
main_keygen(struct main_args *a)
{
	char err[DSIM_ERR_MAX];
	const char *type;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int bits;

	if (main_need("--count", a->keygen_count ? "" : NULL) ||
	    main_need("--profile-key", a->keygen_spec) || main_need("--out", a->keygen_out))
		return DSIM_EXIT_USAGE;
	if (dsim_key_spec_parse(a->keygen_spec, &type, &bits, err, sizeof(err)) != 0) {
		fprintf(stderr, "ndes-device-sim: %s\n", err);
		return DSIM_EXIT_USAGE;
	}
	if (dsim_keygen(a->keygen_out, type, bits, a->keygen_count, cpus > 0 ? (int)cpus : 2,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "ndes-device-sim: keygen: %s\n", err);
		return DSIM_EXIT_FAILED;
	}
	printf("%d %s %d keys in %s\n", a->keygen_count, type, bits, a->keygen_out);
	return DSIM_EXIT_OK;
}

static int
main_run(const char *cmd, struct main_args *a)
{
	if (strcmp(cmd, "keygen") == 0)
		return main_keygen(a);
	if (strcmp(cmd, "show") == 0)
		return main_need("--state", a->dev.state) ? DSIM_EXIT_USAGE :
		    dsim_show(a->dev.state, a->dev.device, a->dev.profile);
	if (strcmp(cmd, "fleet") == 0) {
		if (main_need("--cloud", a->fleet.cloud) || main_need("--devices",
		    a->fleet.devices ? "" : NULL) || main_need("--concurrency",
		    a->fleet.concurrency ? "" : NULL))
			return DSIM_EXIT_USAGE;
		return dsim_fleet_run(&a->fleet);
	}
	if (strcmp(cmd, "enroll") != 0 && strcmp(cmd, "renew") != 0) {
		fprintf(stderr, "ndes-device-sim: unknown command \"%s\"\n", cmd);
		return DSIM_EXIT_USAGE;
	}
	a->dev.mode = strcmp(cmd, "renew") == 0 ? DSIM_MODE_RENEW : DSIM_MODE_ENROLL;
	if ((a->dev.payload_file == NULL && main_need("--cloud", a->dev.cloud)) ||
	    main_need("--device", a->dev.device) || main_need("--profile", a->dev.profile) ||
	    main_need("--state", a->dev.state))
		return DSIM_EXIT_USAGE;
	return dsim_device_run(&a->dev);
}

int
main(int argc, char **argv)
{
	struct main_args a = { 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "vhV", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return DSIM_EXIT_OK;
		}
		if (opt == 'V') {
			printf("ndes-device-sim %s\n", PACKAGE_VERSION);
			return DSIM_EXIT_OK;
		}
		if (main_option(&a, opt) != 0) {
			usage(stderr);
			return DSIM_EXIT_USAGE;
		}
	}
	if (optind + (a.check == NULL) != argc) {
		usage(stderr);
		return DSIM_EXIT_USAGE;
	}
	log_init("ndes-device-sim", log_level_raise(LOG_LEVEL_WARN, a.verbose));
	if (a.check != NULL)
		return dsim_payload_check_file(a.check) == 0 ? DSIM_EXIT_OK : DSIM_EXIT_FAILED;
	dsim_clock_set_offset(a.offset);
	return main_run(argv[optind], &a);
}
