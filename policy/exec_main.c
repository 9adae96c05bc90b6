/* ndes-policy-exec: command line.  docs/policy.md.
 *
 * Compiled twice: as ndes-policy-exec (verify mode; libyaml and libc only)
 * and, with EXEC_WATCHER, as the depot watcher ndes-policy-watch (OpenSSL,
 * libsystemd, libndes-common).  `ndes-policy-exec watch-depot ...` becomes
 * the watcher with the same arguments (execv), so the hook that runs once
 * per enrollment loads nothing the watcher needs. */
#include "config.h"

#include "exec.h"
#include "config_loader.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef EXEC_WATCHER
#include "log.h"
#endif

#ifndef NDES_PKGLIBEXECDIR
#define NDES_PKGLIBEXECDIR "/usr/libexec/ndes"
#endif
#define EXEC_WATCHER_NAME "ndes-policy-watch"
#ifdef EXEC_WATCHER
#define PROGRAM_NAME EXEC_WATCHER_NAME /* its --version names itself */
#else
#define PROGRAM_NAME EXEC_NAME
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " EXEC_NAME " [-v]... [-c FILE]\n"
	    "           verify the DER PKCS#10 request on stdin: exit 0 allowed, 1 refused\n"
	    "       " EXEC_NAME " [-v]... [-c FILE] watch-depot [--once] [--state-dir DIR]\n"
	    "           [--retry SECONDS] DEPOT\n"
	    "           notify ndes-crpd of the certificates micromdm's scepserver issues\n"
	    "       " EXEC_NAME " --check-config FILE [-v]...\n"
	    "       " EXEC_NAME " --version | --help\n"
	    "-v, --verbose: refusals and warnings (info) by default; -v (or -vv) adds the\n"
	    "  debug lines (the module's own warnings, each depot file looked at); with\n"
	    "  --check-config, the keys the file sets\n"
	    "--check-config FILE: exit 0 and \"FILE: OK\" when FILE loads, else exit 1 and\n"
	    "  FILE:LINE:COLUMN: KEY: WHAT on stderr\n"
	    "The configuration is FILE, else $NDES_POLICY_CONFIG, else %s.\n",
	    policy_config_default_path());
}

static int
check_config(const char *path, int verbose)
{
	struct policy_cfg cfg;
	char err[NDES_ERR_MAX];

	if (policy_config_load(path, &cfg, err, sizeof(err)) == -1)
		return ndes_config_check_report(path, err, verbose > 0);
	policy_config_free(&cfg);
	return ndes_config_check_report(path, NULL, verbose > 0);
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

#ifndef EXEC_WATCHER
/* The watcher beside this program (the build tree), else the installed
 * one.  Only a file of the same owner's installation is ever run: nothing
 * here comes from the environment. */
static void
exec_watcher(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof(EXEC_WATCHER_NAME)];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/" EXEC_WATCHER_NAME, self);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	execv(NDES_PKGLIBEXECDIR "/" EXEC_WATCHER_NAME, argv);
	fprintf(stderr, EXEC_NAME ": cannot run " NDES_PKGLIBEXECDIR "/" EXEC_WATCHER_NAME
	    ": %s\n", strerror(errno));
}
#endif

static int
run(const char *config, int verbose, int argc, char **argv)
{
	struct exec_watch_opts wo = { .retry_ms = 5000 };
	struct policy_cfg cfg;
	char err[NDES_ERR_MAX];
	int rc;

	if (argc > 0 && (strcmp(argv[0], "watch-depot") != 0 || watch_args(argc, argv, &wo) == -1)) {
		usage(stderr);
		return EXEC_USAGE;
	}
#ifdef EXEC_WATCHER
	if (argc == 0) {
		usage(stderr);
		return EXEC_USAGE;
	}
#endif
	if (policy_config_load(config, &cfg, err, sizeof(err)) == -1) {
		/* Refused, as the SCEP server sees it; the reason on stderr. */
		fprintf(stderr, EXEC_NAME ": refused: configuration: %s\n", err);
		return EXEC_USAGE;
	}
	exec_log_init(cfg.exec.log_journal, verbose > 0);
#ifdef EXEC_WATCHER
	rc = exec_watch_main(&cfg, &wo);
#else
	rc = exec_verify_main(&cfg);
#endif
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
	const char *config = getenv("NDES_POLICY_CONFIG"), *check = NULL;
	int c, verbose = 0;

	if (config != NULL && config[0] == '\0')
		config = NULL;
	while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf(PROGRAM_NAME " " PACKAGE_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXEC_USAGE;
		}
	}
	if (check != NULL && optind != argc) {
		usage(stderr);
		return EXEC_USAGE;
	}
	if (check != NULL)
		return check_config(check, verbose);
#ifdef EXEC_WATCHER
	log_init(EXEC_NAME, log_level_raise(LOG_LEVEL_INFO, verbose));
#else
	if (optind < argc && strcmp(argv[optind], "watch-depot") == 0) {
		exec_watcher(argv);
		return EXEC_USAGE;
	}
#endif
	return run(config, verbose, argc - optind, argv + optind);
}
