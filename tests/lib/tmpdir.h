/* Temporary folders for the tests: one way to make, name and remove them.
 * Plain C without Criterion, so the policy module's dlopen host can use it
 * too; the Criterion tests assert on what it returns. */
#ifndef NDES_TEST_TMPDIR_H
#define NDES_TEST_TMPDIR_H

/* A fresh folder /tmp/<prefix>-XXXXXX (allocated; NULL on failure). */
char *tmpdir_make(const char *prefix);
/* dir "/" name (allocated; NULL on failure). */
char *tmpdir_path(const char *dir, const char *name);
/* Remove dir with everything below it, then free the string (NULL: nothing). */
void tmpdir_remove(char *dir);
/* The end of a harness's folder: rm -rf dir, unless $CRPD_TEST_KEEP is set
 * (to look at it after a failure); dir stays the caller's. */
void tmpdir_discard(const char *dir);

#endif
