/* Scalar value types of the config loader: strings, paths, integers,
 * booleans, enums, file modes, and the type table.  Durations and sizes
 * live in config_units.c, user and group ids in config_ids.c. */
#include "config_types.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
ndes_cfg_parse_u64(const char *s, const char **end, uint64_t *v)
{
	uint64_t	n = 0;
	unsigned	d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*end = s;
	*v = n;
	return 0;
}

bool
ndes_cfg_in_range(const struct ndes_config_field *f, int64_t v)
{
	return !f->has_range || (v >= f->min && v <= f->max);
}

void
ndes_cfg_describe_range(const struct ndes_config_field *f, const char *noun,
    void (*fmt)(int64_t, char *, size_t), char *buf, size_t len)
{
	char	lo[32], hi[32];

	fmt(f->min, lo, sizeof(lo));
	fmt(f->max, hi, sizeof(hi));
	if (!f->has_range || (f->min == INT64_MIN && f->max == INT64_MAX))
		snprintf(buf, len, "%s", noun);
	else if (f->max == INT64_MAX)
		snprintf(buf, len, "%s of at least %s", noun, lo);
	else if (f->min == INT64_MIN)
		snprintf(buf, len, "%s of at most %s", noun, hi);
	else
		snprintf(buf, len, "%s between %s and %s", noun, lo, hi);
}

static void
cfg_describe_string(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "a string");
}

static int
cfg_convert_string(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	char	*s;

	if ((s = strdup(text)) == NULL) {
		snprintf(detail, dlen, "out of memory");
		return -1;
	}
	*(char **)dst = s;
	return 0;
}

static void
cfg_describe_path(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "a non-empty path");
}

static int
cfg_convert_path(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	if (*text == '\0')
		return -1;
	return cfg_convert_string(f, text, dst, detail, dlen);
}

static void
cfg_fmt_int(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, v);
}

static void
cfg_describe_int(const struct ndes_config_field *f, char *buf, size_t len)
{
	ndes_cfg_describe_range(f, "an integer", cfg_fmt_int, buf, len);
}

static int
cfg_convert_int(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	const char	*end;
	uint64_t	 mag;
	int64_t		 v;
	bool		 neg = *text == '-';

	if (*text == '-' || *text == '+')
		text++;
	if (ndes_cfg_parse_u64(text, &end, &mag) == -1 || *end != '\0')
		return -1;
	if (mag > (uint64_t)INT64_MAX + neg)
		return -1;
	if (neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v = (int64_t)mag;
	if (!ndes_cfg_in_range(f, v))
		return -1;
	*(int64_t *)dst = v;
	return 0;
}

static void
cfg_describe_bool(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "a boolean (true, false, yes or no)");
}

static int
cfg_convert_bool(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0)
		*(bool *)dst = true;
	else if (strcmp(text, "false") == 0 || strcmp(text, "no") == 0)
		*(bool *)dst = false;
	else
		return -1;
	return 0;
}

static void
cfg_describe_enum(const struct ndes_config_field *f, char *buf, size_t len)
{
	size_t	i, n;
	int	w;

	n = (size_t)snprintf(buf, len, "one of");
	for (i = 0; f->names != NULL && f->names[i] != NULL && n < len; i++) {
		w = snprintf(buf + n, len - n, "%s \"%s\"", i ? "," : "",
		    f->names[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int
cfg_enum_index(const struct ndes_config_field *f, const char *text)
{
	int	i;

	for (i = 0; f->names != NULL && f->names[i] != NULL; i++)
		if (strcmp(f->names[i], text) == 0)
			return i;
	return -1;
}

static int
cfg_convert_enum(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	int	i;

	if ((i = cfg_enum_index(f, text)) == -1)
		return -1;
	*(int *)dst = i;
	return 0;
}

static int
cfg_convert_enum_string(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	if (cfg_enum_index(f, text) == -1)
		return -1;
	return cfg_convert_string(f, text, dst, detail, dlen);
}

static void
cfg_describe_mode(const struct ndes_config_field *f, char *buf, size_t len)
{
	snprintf(buf, len, "an octal file mode (e.g. 0640)");
}

/* Always octal, whatever YAML 1.1 thinks of the leading zero. */
static int
cfg_convert_mode(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	unsigned long	 v = 0;
	size_t		 n;

	for (n = 0; text[n] != '\0'; n++) {
		if (text[n] < '0' || text[n] > '7' || n == 5)
			return -1;
		v = v * 8 + (unsigned long)(text[n] - '0');
	}
	if (n == 0 || v > 07777)
		return -1;
	*(mode_t *)dst = (mode_t)v;
	return 0;
}

static const struct ndes_cfg_type cfg_types[] = {
	[NDES_CFG_TYPE_STRING] = { "strings", sizeof(char *), true,
	    cfg_describe_string, cfg_convert_string },
	[NDES_CFG_TYPE_PATH] = { "paths", sizeof(char *), true,
	    cfg_describe_path, cfg_convert_path },
	[NDES_CFG_TYPE_INT] = { "integers", sizeof(int64_t), false,
	    cfg_describe_int, cfg_convert_int },
	[NDES_CFG_TYPE_BOOL] = { "booleans", sizeof(bool), false,
	    cfg_describe_bool, cfg_convert_bool },
	[NDES_CFG_TYPE_DURATION] = { "durations", sizeof(int64_t), false,
	    ndes_cfg_describe_duration, ndes_cfg_convert_duration },
	[NDES_CFG_TYPE_SIZE] = { "sizes", sizeof(uint64_t), false,
	    ndes_cfg_describe_size, ndes_cfg_convert_size },
	[NDES_CFG_TYPE_ENUM] = { "names", sizeof(int), false,
	    cfg_describe_enum, cfg_convert_enum },
	[NDES_CFG_TYPE_ENUM_STRING] = { "names", sizeof(char *), true,
	    cfg_describe_enum, cfg_convert_enum_string },
	[NDES_CFG_TYPE_MODE] = { "file modes", sizeof(mode_t), false,
	    cfg_describe_mode, cfg_convert_mode },
	[NDES_CFG_TYPE_UID] = { "user names or uids", sizeof(uid_t), false,
	    ndes_cfg_describe_uid, ndes_cfg_convert_uid },
	[NDES_CFG_TYPE_GID] = { "group names or gids", sizeof(gid_t), false,
	    ndes_cfg_describe_gid, ndes_cfg_convert_gid },
};

const struct ndes_cfg_type *
ndes_cfg_type_get(enum ndes_config_type t)
{
	if ((size_t)t >= sizeof(cfg_types) / sizeof(cfg_types[0]))
		return NULL;
	if (cfg_types[t].convert == NULL)
		return NULL;
	return &cfg_types[t];
}
