/* Helpers for the policy module's tests: see policy_host_util.h. */
#include "policy_host_util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *
ptest_build_path(const char *rel)
{
	const char *top = getenv("top_builddir");

	return tmpdir_path(top != NULL && top[0] != '\0' ? top : ".", rel);
}

static int
peer_ready(const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return rc == 0;
}

pid_t
ptest_peer_start(const char *sock, const char *logfile)
{
	char *bin = ptest_build_path("tests/policy_host_peer");
	pid_t pid;
	int i;

	unlink(sock);
	if ((pid = fork()) == 0) {
		execl(bin, bin, sock, logfile, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	free(bin);
	for (i = 0; pid > 0 && i < 500; i++) {
		if (peer_ready(sock))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	ptest_peer_stop(pid, SIGKILL);
	return -1;
}

void
ptest_peer_stop(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig != 0 ? sig : SIGTERM);
	waitpid(pid, NULL, 0);
}

char *
ptest_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;

	if (f != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		fclose(f);
	}
	fclose(m);
	return buf;
}

int
ptest_log_count(const char *logfile, const char *needle)
{
	char *text = ptest_read_file(logfile), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, needle) != NULL)
			n++;
	free(text);
	return n;
}

int64_t
ptest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
