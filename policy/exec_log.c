/* ndes-policy-exec's diagnostics: stderr, plus journald. */
#include "exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#define EXEC_MAX_FIELDS 16

static bool exec_journal;
static bool exec_verbose;

void
exec_log_init(bool journal, bool verbose)
{
	exec_journal = journal && access("/run/systemd/journal/socket", F_OK) == 0;
	exec_verbose = verbose;
}

static void
exec_journal_send(int priority, const char *msg, const char *const *fields)
{
	struct iovec iov[EXEC_MAX_FIELDS + 3];
	char m[sizeof("MESSAGE=") + NDES_ERR_MAX], p[16];
	int n = 0;

	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(p, sizeof(p), "PRIORITY=%d", priority);
	iov[n++] = (struct iovec){ m, strlen(m) };
	iov[n++] = (struct iovec){ p, strlen(p) };
	iov[n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=" EXEC_NAME,
	    strlen("SYSLOG_IDENTIFIER=" EXEC_NAME) };
	for (; fields != NULL && *fields != NULL && n < EXEC_MAX_FIELDS + 3; fields++)
		iov[n++] = (struct iovec){ (char *)*fields, strlen(*fields) };
	sd_journal_sendv(iov, n);
}

void
exec_log(int priority, const char *const *fields, const char *fmt, ...)
{
	char msg[NDES_ERR_MAX];
	va_list ap;

	if (priority >= LOG_DEBUG && !exec_verbose)
		return;
	va_start(ap, fmt);
	ndes_err_vset(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", EXEC_NAME, msg);
	if (exec_journal)
		exec_journal_send(priority, msg, fields);
}

void
exec_log_module(void *arg, int level, const char *message)
{
	/* The module's warnings repeat what the caller reports itself: they
	 * are shown with -v only. */
	exec_log(LOG_DEBUG, NULL, "%s", message);
}
