/* Comparing two loaded configurations by their schema (config_loader.h):
 * what a daemon reloading its file uses to tell what changed. */
#include "config_loader.h"

#include <stdbool.h>
#include <string.h>

#include "config_types.h"

static bool cfg_equal_struct(const struct ndes_config_schema *s, const char *a,
    const char *b);

/* One value of type `type` (size bytes) at a and at b. */
static bool
cfg_equal_value(enum ndes_config_type type, size_t size, const char *a, const char *b)
{
	const struct ndes_cfg_type *t = ndes_cfg_type_get(type);
	const char *x, *y;

	if (t == NULL || !t->owns_string)
		return memcmp(a, b, size) == 0;
	x = *(char *const *)a;
	y = *(char *const *)b;
	return x == NULL ? y == NULL : y != NULL && strcmp(x, y) == 0;
}

static bool
cfg_equal_list(const struct ndes_config_field *f, const char *a, const char *b)
{
	size_t n = *(const size_t *)(a + f->count_offset);
	const char *x = *(char *const *)(a + f->offset), *y = *(char *const *)(b + f->offset);

	if (n != *(const size_t *)(b + f->count_offset))
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *xi = x + i * f->elem_size, *yi = y + i * f->elem_size;

		if (f->type == NDES_CFG_TYPE_MAP_LIST ? !cfg_equal_struct(f->sub, xi, yi) :
		    !cfg_equal_value(f->elem_type, f->elem_size, xi, yi))
			return false;
	}
	return true;
}

static bool
cfg_equal_field(const struct ndes_config_field *f, const char *a, const char *b)
{
	if (f->has_present &&
	    *(const bool *)(a + f->present_offset) != *(const bool *)(b + f->present_offset))
		return false;
	switch (f->type) {
	case NDES_CFG_TYPE_LIST:
	case NDES_CFG_TYPE_MAP_LIST:
		return cfg_equal_list(f, a, b);
	case NDES_CFG_TYPE_MAP:
		return cfg_equal_struct(f->sub, a + f->offset, b + f->offset);
	default:
		return cfg_equal_value(f->type, f->size, a + f->offset, b + f->offset);
	}
}

static bool
cfg_equal_struct(const struct ndes_config_schema *s, const char *a, const char *b)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!cfg_equal_field(&s->fields[i], a, b))
			return false;
	return true;
}

/* The field named by the first component of key in s; *rest the remainder
 * after a dot ("" when none). */
static const struct ndes_config_field *
cfg_find_field(const struct ndes_config_schema *s, const char *key, const char **rest)
{
	size_t len = strcspn(key, ".");

	*rest = key[len] == '.' ? key + len + 1 : "";
	for (size_t i = 0; i < s->nfields; i++)
		if (strlen(s->fields[i].key) == len && strncmp(s->fields[i].key, key, len) == 0)
			return &s->fields[i];
	return NULL;
}

int
ndes_config_key_equal(const struct ndes_config_schema *schema, const char *key,
    const void *a, const void *b)
{
	const struct ndes_config_field *f;
	const char *x = a, *y = b, *rest;

	if (key == NULL || key[0] == '\0')
		return cfg_equal_struct(schema, x, y);
	while ((f = cfg_find_field(schema, key, &rest)) != NULL && rest[0] != '\0') {
		if (f->type != NDES_CFG_TYPE_MAP)
			return -1;
		schema = f->sub;
		x += f->offset;
		y += f->offset;
		key = rest;
	}
	return f == NULL ? -1 : cfg_equal_field(f, x, y);
}
