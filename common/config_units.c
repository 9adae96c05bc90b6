/* Config value types with units: durations (stored as seconds) and sizes
 * (stored as bytes). */
#include "config_types.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct cfg_unit {
	const char	*suffix;
	uint64_t	 factor;
};

static const struct cfg_unit cfg_duration_units[] = {
	{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { "", 1 },
};

static const struct cfg_unit cfg_size_units[] = {
	{ "TiB", UINT64_C(1) << 40 }, { "GiB", UINT64_C(1) << 30 },
	{ "MiB", UINT64_C(1) << 20 }, { "KiB", UINT64_C(1) << 10 },
	{ "B", 1 }, { "", 1 },
};

#define CFG_NUNITS(u) (sizeof(u) / sizeof((u)[0]))

/* <digits><suffix>, the product no larger than INT64_MAX. */
static int
cfg_parse_units(const char *text, const struct cfg_unit *units, size_t n,
    int64_t *out)
{
	const char	*end;
	uint64_t	 v;
	size_t		 i;

	if (ndes_cfg_parse_u64(text, &end, &v) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > (uint64_t)INT64_MAX / units[i].factor)
			return -1;
		*out = (int64_t)(v * units[i].factor);
		return 0;
	}
	return -1;
}

/* The largest unit that divides v exactly: 86400 -> "1d", 90 -> "90s". */
static void
cfg_fmt_units(int64_t v, const struct cfg_unit *units, size_t n,
    char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < n && v > 0; i++)
		if ((uint64_t)v % units[i].factor == 0)
			break;
	if (v <= 0 || i == n)
		snprintf(buf, len, "%" PRId64 "%s", v, units[n - 1].suffix);
	else
		snprintf(buf, len, "%" PRIu64 "%s", (uint64_t)v / units[i].factor,
		    units[i].suffix);
}

static void
cfg_fmt_duration(int64_t v, char *buf, size_t len)
{
	/* the first four units: d, h, m, s */
	if (v == 0)
		snprintf(buf, len, "0s");
	else
		cfg_fmt_units(v, cfg_duration_units, 4, buf, len);
}

static void
cfg_fmt_size(int64_t v, char *buf, size_t len)
{
	/* KiB and up, else plain bytes */
	cfg_fmt_units(v, cfg_size_units, 5, buf, len);
}

void
ndes_cfg_describe_duration(const struct ndes_config_field *f, char *buf,
    size_t len)
{
	if (!f->has_range)
		snprintf(buf, len, "a duration (e.g. 90s, 60m, 2h, 30d)");
	else
		ndes_cfg_describe_range(f, "a duration", cfg_fmt_duration, buf,
		    len);
}

int
ndes_cfg_convert_duration(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	int64_t	v;

	if (cfg_parse_units(text, cfg_duration_units,
	    CFG_NUNITS(cfg_duration_units), &v) == -1 || !ndes_cfg_in_range(f, v))
		return -1;
	*(int64_t *)dst = v;
	return 0;
}

void
ndes_cfg_describe_size(const struct ndes_config_field *f, char *buf,
    size_t len)
{
	if (!f->has_range)
		snprintf(buf, len, "a size (e.g. 4096, 64KiB, 1MiB)");
	else
		ndes_cfg_describe_range(f, "a size", cfg_fmt_size, buf, len);
}

int
ndes_cfg_convert_size(const struct ndes_config_field *f, const char *text,
    void *dst, char *detail, size_t dlen)
{
	int64_t	v;

	if (cfg_parse_units(text, cfg_size_units, CFG_NUNITS(cfg_size_units),
	    &v) == -1 || !ndes_cfg_in_range(f, v))
		return -1;
	*(uint64_t *)dst = (uint64_t)v;
	return 0;
}
