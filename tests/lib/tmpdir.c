/* Temporary folders for the tests: see tmpdir.h. */
#include "tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
tmpdir_make(const char *prefix)
{
	char *dir;

	if (asprintf(&dir, "/tmp/%s-XXXXXX", prefix) == -1)
		return NULL;
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *
tmpdir_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		return NULL;
	return p;
}

void
tmpdir_remove(char *dir)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char *p;

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			    (p = tmpdir_path(dir, de->d_name)) == NULL)
				continue;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				tmpdir_remove(p);
			else {
				unlink(p);
				free(p);
			}
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

void
tmpdir_discard(const char *dir)
{
	char *cmd;

	if (getenv("CRPD_TEST_KEEP") != NULL || asprintf(&cmd, "rm -rf '%s'", dir) == -1)
		return;
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}
