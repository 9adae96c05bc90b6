/* main() of fuzz/replay-<name>: runs a fuzz target's entry point over every
 * file of its corpus without libFuzzer, as `make check` does in every build.
 *
 *   replay-<name> [--tap=-] [FILE|DIR]...
 *
 * Without FILE or DIR it replays $top_srcdir/fuzz/corpus/<name> (or the
 * folder compiled in as FUZZ_CORPUS).  Each file runs in a child process
 * of its own with a time limit, so a crash or a hang is reported against
 * that file; the output is TAP, one line per file.  Exit status 1 when a
 * file failed. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET (the target's name) must be defined"
#endif
#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "fuzz/corpus/" FUZZ_TARGET
#endif
#define REPLAY_TIMEOUT_S 20
#define REPLAY_MAX_INPUT (4 * 1024 * 1024)

/* The target defines it only when it needs set-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct files {
	char **v;
	size_t n, cap;
};

static void
files_add(struct files *f, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		if ((f->v = realloc(f->v, f->cap * sizeof(*f->v))) == NULL)
			abort();
	}
	if ((f->v[f->n++] = strdup(path)) == NULL)
		abort();
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or the regular files of a folder (not recursive), sorted. */
static void
collect(struct files *f, const char *path)
{
	struct dirent *de;
	struct stat sb;
	char child[4096];
	size_t first = f->n;
	DIR *dir;

	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		files_add(f, path);
		return;
	}
	if ((dir = opendir(path)) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((de = readdir(dir)) != NULL) {
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (de->d_name[0] != '.' && stat(child, &sb) == 0 && S_ISREG(sb.st_mode))
			files_add(f, child);
	}
	closedir(dir);
	qsort(f->v + first, f->n - first, sizeof(*f->v), by_name);
}

static uint8_t *
read_input(const char *path, size_t *len)
{
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	FILE *fp = fopen(path, "rb");

	if (buf == NULL || fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	*len = fread(buf, 1, REPLAY_MAX_INPUT, fp);
	fclose(fp);
	return buf;
}

/* Run one input in a child; 0 when it returned normally. */
static int
replay_one(const char *path, char *why, size_t whylen)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		size_t len;
		uint8_t *data = read_input(path, &len);

		alarm(REPLAY_TIMEOUT_S);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		exit(0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "%s", WTERMSIG(status) == SIGALRM ? "timed out" :
		    strsignal(WTERMSIG(status)));
	else
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	return -1;
}

static const char *
display_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int
main(int argc, char **argv)
{
	struct files f = { 0 };
	char def[4096], why[128];
	const char *top = getenv("top_srcdir");
	int failed = 0;

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--tap", 5) != 0)
			collect(&f, argv[i]);
	if (f.n == 0) {
		if (top != NULL)
			snprintf(def, sizeof(def), "%s/fuzz/corpus/%s", top, FUZZ_TARGET);
		else
			snprintf(def, sizeof(def), "%s", FUZZ_CORPUS);
		collect(&f, def);
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", f.n);
	for (size_t i = 0; i < f.n; i++) {
		if (replay_one(f.v[i], why, sizeof(why)) == 0) {
			printf("ok %zu - %s/%s\n", i + 1, FUZZ_TARGET, display_name(f.v[i]));
		} else {
			printf("not ok %zu - %s/%s: %s\n", i + 1, FUZZ_TARGET,
			    display_name(f.v[i]), why);
			failed = 1;
		}
		free(f.v[i]);
	}
	free(f.v);
	return failed;
}
