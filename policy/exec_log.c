/* ndes-policy-exec's diagnostics: stderr, plus journald.  libsystemd is
 * loaded (dlopen) at the first line that goes to the journal, not at the
 * start: the verify hook runs once per enrollment and an allowed request
 * logs nothing, so it never pays for loading libsystemd and what it
 * links (gcrypt, lz4, zstd, lzma, cap). */
#include "exec.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define EXEC_MAX_FIELDS 16

typedef int (*exec_sendv_fn)(const struct iovec *iov, int n);

static bool exec_journal;
static bool exec_verbose;

/* sd_journal_sendv from libsystemd, loaded once; NULL when it cannot be
 * (the line then goes to stderr only). */
static exec_sendv_fn
exec_journal_sendv(void)
{
	static bool tried;
	static exec_sendv_fn fn;
	void *lib;

	if (tried)
		return fn;
	tried = true;
	if ((lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL)) != NULL)
		*(void **)&fn = dlsym(lib, "sd_journal_sendv");
	if (fn == NULL)
		fprintf(stderr, "%s: journald: cannot load libsystemd.so.0's "
		    "sd_journal_sendv\n", EXEC_NAME);
	return fn;
}

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
	exec_sendv_fn sendv = exec_journal_sendv();
	int n = 0;

	if (sendv == NULL)
		return;
	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(p, sizeof(p), "PRIORITY=%d", priority);
	iov[n++] = (struct iovec){ m, strlen(m) };
	iov[n++] = (struct iovec){ p, strlen(p) };
	iov[n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=" EXEC_NAME,
	    strlen("SYSLOG_IDENTIFIER=" EXEC_NAME) };
	for (; fields != NULL && *fields != NULL && n < EXEC_MAX_FIELDS + 3; fields++)
		iov[n++] = (struct iovec){ (char *)*fields, strlen(*fields) };
	sendv(iov, n);
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
