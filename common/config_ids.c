/* Config value types for user and group ids: a number, or a name looked
 * up with the reentrant getpwnam_r/getgrnam_r (thread-safe). */
#include "config_types.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_ID_BUF_MAX	(1024 * 1024)

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is 32 bits");
_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");

/* A decimal id; (id_t)-1 means "no change" to chown() and is refused. */
static int
cfg_parse_id(const char *text, uint32_t *id)
{
	const char	*end;
	uint64_t	 v;

	if (ndes_cfg_parse_u64(text, &end, &v) == -1 || *end != '\0')
		return -1;
	if (v >= UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* Looks like a number (so never a name): a digit or a sign first. */
static bool
cfg_is_number(const char *text)
{
	return (text[0] >= '0' && text[0] <= '9') || text[0] == '-' ||
	    text[0] == '+';
}

/* Look a name up; lookup is getpwnam_r or getgrnam_r behind a small
 * adapter.  0 found, -1 with detail set. */
static int
cfg_lookup(const char *name, uint32_t *id, const char *what,
    int (*lookup)(const char *, char *, size_t, uint32_t *, int *),
    char *detail, size_t dlen)
{
	char	*buf = NULL, *nbuf;
	size_t	 len = 1024;
	int	 found = 0, rc;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			rc = ENOMEM;
			break;
		}
		buf = nbuf;
		rc = lookup(name, buf, len, id, &found);
		if (rc != ERANGE || len >= CFG_ID_BUF_MAX)
			break;
		len *= 2;
	}
	free(buf);
	if (rc == 0 && found)
		return 0;
	if (rc == 0 || rc == ENOENT || rc == ESRCH)
		snprintf(detail, dlen, "no such %s", what);
	else
		snprintf(detail, dlen, "%s lookup failed: %s", what,
		    strerror_r(rc, (char[64]){ 0 }, 64));
	return -1;
}

static int
cfg_getpw(const char *name, char *buf, size_t len, uint32_t *id, int *found)
{
	struct passwd	pw, *res = NULL;
	int		rc;

	rc = getpwnam_r(name, &pw, buf, len, &res);
	if (rc == 0 && res != NULL) {
		*id = (uint32_t)pw.pw_uid;
		*found = 1;
	}
	return rc;
}

static int
cfg_getgr(const char *name, char *buf, size_t len, uint32_t *id, int *found)
{
	struct group	gr, *res = NULL;
	int		rc;

	rc = getgrnam_r(name, &gr, buf, len, &res);
	if (rc == 0 && res != NULL) {
		*id = (uint32_t)gr.gr_gid;
		*found = 1;
	}
	return rc;
}

/* A decimal id, or a name (never empty) looked up with lookup. */
static int
cfg_convert_id(const char *text, uint32_t *id, const char *what,
    int (*lookup)(const char *, char *, size_t, uint32_t *, int *),
    char *detail, size_t dlen)
{
	if (cfg_is_number(text))
		return cfg_parse_id(text, id);
	if (*text == '\0')
		return -1;
	return cfg_lookup(text, id, what, lookup, detail, dlen);
}

void
ndes_cfg_describe_uid(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "a user name or uid");
}

int
ndes_cfg_convert_uid(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	uint32_t	id;

	if (cfg_convert_id(text, &id, "user", cfg_getpw, detail, dlen) == -1)
		return -1;
	*(uid_t *)dst = (uid_t)id;
	return 0;
}

void
ndes_cfg_describe_gid(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "a group name or gid");
}

int
ndes_cfg_convert_gid(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	uint32_t	id;

	if (cfg_convert_id(text, &id, "group", cfg_getgr, detail, dlen) == -1)
		return -1;
	*(gid_t *)dst = (gid_t)id;
	return 0;
}
