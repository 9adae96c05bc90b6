/* A temporary working folder per test: see workdir.h. */
#include "workdir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char workdir[1024];

void
workdir_enter(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(workdir, sizeof(workdir), "%s/%s-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", prefix);
	cr_assert_not_null(mkdtemp(workdir));
	cr_assert_eq(chdir(workdir), 0);
	if (getenv("OPENSSL") == NULL || getenv("OPENSSL")[0] == '\0')
		setenv("OPENSSL", "openssl", 1);
}

void
workdir_leave(void)
{
	char cmd[sizeof(workdir) + 32];

	if (workdir[0] == '\0' || chdir("/") != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", workdir);
}

const char *
workdir_path(const char *name)
{
	static char bufs[4][sizeof(workdir) + 256];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", workdir, name);
	return b;
}
