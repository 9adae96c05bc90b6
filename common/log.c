#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char log_name[64] = "ndes";
static enum log_level log_max = LOG_LEVEL_INFO;

void
log_init(const char *procname, enum log_level level)
{
	if (procname != NULL)
		snprintf(log_name, sizeof(log_name), "%s", procname);
	log_max = level;
}

const char *const log_level_names[] = { "warn", "info", "debug", NULL };

enum log_level
log_level_from_name(const char *name)
{
	int i;

	for (i = 0; log_level_names[i] != NULL; i++)
		if (name != NULL && strcmp(name, log_level_names[i]) == 0)
			return (enum log_level)i;
	return LOG_LEVEL_INFO;
}

const char *
log_procname(void)
{
	return log_name;
}

static void __attribute__((format(printf, 4, 0)))
log_vemit(enum log_level level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s: %s: %s\n", log_name, msg, strerror(saved_errno));
	else
		fprintf(stderr, "%s: %s\n", log_name, msg);
}

#define LOG_BODY(level, with_errno)                          \
	do {                                                 \
		int saved_errno = errno;                     \
		va_list ap;                                  \
		va_start(ap, fmt);                           \
		log_vemit(level, with_errno, saved_errno, fmt, ap); \
		va_end(ap);                                  \
		errno = saved_errno;                         \
	} while (0)

void log_warn(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
	exit(1);
}
