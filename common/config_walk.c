/* Walk a YAML document tree with a schema, writing typed values into the
 * caller's struct.  The first error wins: keys are checked in document
 * order, then missing keys in schema order. */
#include "config_walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_types.h"

static int cfg_walk_map(struct ndes_cfg_ctx *, const struct ndes_config_schema *,
    const struct ndes_cfg_node *, char *);
static int cfg_defaults(struct ndes_cfg_ctx *, const struct ndes_config_schema *,
    const struct ndes_cfg_node *, char *);

static bool
cfg_key_is(const struct ndes_cfg_node *k, const char *key)
{
	size_t	len = strlen(key);

	return k->kind == NDES_CFG_NODE_SCALAR && k->len == len &&
	    memcmp(k->text, key, len) == 0;
}

static const struct ndes_cfg_node *
cfg_map_get(const struct ndes_cfg_node *map, const char *key)
{
	size_t	i;

	for (i = 0; i + 1 < map->nkids; i += 2)
		if (cfg_key_is(map->kids[i], key))
			return map->kids[i + 1];
	return NULL;
}

static int
cfg_check(struct ndes_cfg_ctx *c, ndes_config_validate_fn fn, const void *value,
    const struct ndes_cfg_node *at)
{
	char		 buf[256] = "";
	const char	*msg;

	if (fn == NULL || (msg = fn(value, buf, sizeof(buf))) == NULL)
		return 0;
	return ndes_cfg_err(c, at, "%s", msg);
}

/* Convert scalar node n of type t (f gives the range, names) into dst. */
static int
cfg_scalar(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    enum ndes_config_type t, const struct ndes_cfg_node *n, void *dst)
{
	const struct ndes_cfg_type	*ty = ndes_cfg_type_get(t);
	char				 what[NDES_ERR_MAX], got[NDES_CFG_GOT_MAX];
	char				 detail[NDES_ERR_MAX] = "";
	const char			*shown;
	bool				 nul;

	nul = n->kind == NDES_CFG_NODE_SCALAR && strlen(n->text) != n->len;
	if (n->kind == NDES_CFG_NODE_SCALAR && !nul &&
	    !ndes_cfg_node_is_null(n) &&
	    ty->convert(f, n->text, dst, detail, sizeof(detail)) == 0)
		return 0;
	ty->describe(f, what, sizeof(what));
	shown = nul ? "a string with a NUL byte" : ndes_cfg_repr(n, got, sizeof(got));
	return ndes_cfg_err(c, n, "expected %s, got %s%s%s%s", what, shown,
	    detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
}

static int
cfg_list(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    const struct ndes_cfg_node *v, char *base)
{
	const struct ndes_cfg_type	*ty = ndes_cfg_type_get(f->elem_type);
	const struct ndes_cfg_node	*kid;
	char				*arr, got[NDES_CFG_GOT_MAX];
	size_t				 i, saved;
	int				 rc;

	if (v->kind != NDES_CFG_NODE_SEQ)
		return ndes_cfg_err(c, v, "expected a list of %s, got %s",
		    ty->plural, ndes_cfg_repr(v, got, sizeof(got)));
	if (v->nkids == 0)
		return 0;
	if ((arr = calloc(v->nkids, f->elem_size)) == NULL)
		return ndes_cfg_err(c, v, "out of memory");
	*(void **)(base + f->offset) = arr;
	*(size_t *)(base + f->count_offset) = v->nkids;
	for (i = 0; i < v->nkids; i++) {
		kid = v->kids[i];
		saved = ndes_cfg_path_index(c, i);
		rc = cfg_scalar(c, f, f->elem_type, kid, arr + i * f->elem_size);
		if (rc == 0)
			rc = cfg_check(c, f->validate, arr + i * f->elem_size, kid);
		ndes_cfg_path_pop(c, saved);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
cfg_map_list(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    const struct ndes_cfg_node *v, char *base)
{
	const struct ndes_cfg_node	*kid;
	char				*arr, *elem, got[NDES_CFG_GOT_MAX];
	size_t				 i, saved;
	int				 rc;

	if (v->kind != NDES_CFG_NODE_SEQ)
		return ndes_cfg_err(c, v, "expected a list of mappings, got %s",
		    ndes_cfg_repr(v, got, sizeof(got)));
	if (v->nkids == 0)
		return 0;
	if ((arr = calloc(v->nkids, f->elem_size)) == NULL)
		return ndes_cfg_err(c, v, "out of memory");
	*(void **)(base + f->offset) = arr;
	*(size_t *)(base + f->count_offset) = v->nkids;
	for (i = 0, rc = 0; i < v->nkids && rc == 0; i++) {
		kid = v->kids[i];
		elem = arr + i * f->elem_size;
		saved = ndes_cfg_path_index(c, i);
		if (kid->kind != NDES_CFG_NODE_MAP)
			rc = ndes_cfg_err(c, kid, "expected a mapping, got %s",
			    ndes_cfg_repr(kid, got, sizeof(got)));
		else if ((rc = cfg_walk_map(c, f->sub, kid, elem)) == 0)
			rc = cfg_check(c, f->validate, elem, kid);
		ndes_cfg_path_pop(c, saved);
	}
	return rc;
}

/* An empty mapping standing at the position of `at`. */
static const struct ndes_cfg_node *
cfg_empty_map(const struct ndes_cfg_node *at, struct ndes_cfg_node *empty)
{
	memset(empty, 0, sizeof(*empty));
	empty->kind = NDES_CFG_NODE_MAP;
	empty->line = at != NULL ? at->line : 1;
	empty->col = at != NULL ? at->col : 1;
	return empty;
}

static int
cfg_field(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    const struct ndes_cfg_node *v, char *base)
{
	struct ndes_cfg_node	 empty;
	char			*dst = base + f->offset, got[NDES_CFG_GOT_MAX];

	if (f->has_present)
		*(bool *)(base + f->present_offset) = true;
	/* "key:" with nothing under it: an empty mapping or list */
	if (ndes_cfg_node_is_null(v) && f->type == NDES_CFG_TYPE_MAP)
		v = cfg_empty_map(v, &empty);
	else if (ndes_cfg_node_is_null(v) && (f->type == NDES_CFG_TYPE_LIST ||
	    f->type == NDES_CFG_TYPE_MAP_LIST))
		return 0;
	switch (f->type) {
	case NDES_CFG_TYPE_LIST:
		return cfg_list(c, f, v, base);
	case NDES_CFG_TYPE_MAP_LIST:
		return cfg_map_list(c, f, v, base);
	case NDES_CFG_TYPE_MAP:
		if (v->kind != NDES_CFG_NODE_MAP)
			return ndes_cfg_err(c, v, "expected a mapping, got %s",
			    ndes_cfg_repr(v, got, sizeof(got)));
		if (cfg_walk_map(c, f->sub, v, dst) == -1)
			return -1;
		return cfg_check(c, f->validate, dst, v);
	default:
		if (cfg_scalar(c, f, f->type, v, dst) == -1)
			return -1;
		return cfg_check(c, f->validate, dst, v);
	}
}

/* The default of an absent optional key; `at` is the enclosing mapping. */
static int
cfg_default(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    const struct ndes_cfg_node *at, char *base)
{
	const struct ndes_cfg_type	*ty = ndes_cfg_type_get(f->type);
	char				 what[NDES_ERR_MAX], detail[NDES_ERR_MAX] = "";

	if (f->type == NDES_CFG_TYPE_MAP)
		return cfg_defaults(c, f->sub, at, base + f->offset);
	if (ty == NULL || f->def == NULL)
		return 0;
	if (ty->convert(f, f->def, base + f->offset, detail, sizeof(detail)) == 0)
		return 0;
	ty->describe(f, what, sizeof(what));
	return ndes_cfg_err(c, at, "internal error: default \"%s\" is not %s",
	    f->def, what);
}

static int
cfg_defaults(struct ndes_cfg_ctx *c, const struct ndes_config_schema *s,
    const struct ndes_cfg_node *at, char *base)
{
	size_t	i, saved;
	int	rc;

	for (i = 0; i < s->nfields; i++) {
		saved = ndes_cfg_path_key(c, s->fields[i].key);
		rc = cfg_default(c, &s->fields[i], at, base);
		ndes_cfg_path_pop(c, saved);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
cfg_unknown_key(struct ndes_cfg_ctx *c, const struct ndes_config_schema *s,
    const struct ndes_cfg_node *k)
{
	char	keys[512] = "", got[NDES_CFG_GOT_MAX];
	size_t	i, n = 0;
	int	w;

	for (i = 0; i < s->nfields && n < sizeof(keys); i++) {
		w = snprintf(keys + n, sizeof(keys) - n, "%s%s", i ? ", " : "",
		    s->fields[i].key);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	ndes_cfg_repr(k, got, sizeof(got));
	if (s->nfields == 0)
		return ndes_cfg_err(c, k, "unknown key %s (no keys are allowed here)",
		    got);
	return ndes_cfg_err(c, k, "unknown key %s (expected one of: %s)", got, keys);
}

/* The key at map->kids[i]: a scalar, not seen before, known to s. */
static const struct ndes_config_field *
cfg_key(struct ndes_cfg_ctx *c, const struct ndes_config_schema *s,
    const struct ndes_cfg_node *map, size_t i)
{
	const struct ndes_cfg_node	*k = map->kids[i], *prev;
	char				 got[NDES_CFG_GOT_MAX];
	size_t				 j;

	if (k->kind != NDES_CFG_NODE_SCALAR) {
		ndes_cfg_err(c, k, "expected a key, got %s",
		    ndes_cfg_repr(k, got, sizeof(got)));
		return NULL;
	}
	for (j = 0; j < i; j += 2) {
		prev = map->kids[j];
		if (prev->kind == NDES_CFG_NODE_SCALAR && prev->len == k->len &&
		    memcmp(prev->text, k->text, k->len) == 0) {
			ndes_cfg_err(c, k, "duplicate key %s (first at line %zu, "
			    "column %zu)", ndes_cfg_repr(k, got, sizeof(got)),
			    prev->line, prev->col);
			return NULL;
		}
	}
	for (j = 0; j < s->nfields; j++)
		if (cfg_key_is(k, s->fields[j].key))
			return &s->fields[j];
	cfg_unknown_key(c, s, k);
	return NULL;
}

static int
cfg_walk_map(struct ndes_cfg_ctx *c, const struct ndes_config_schema *s,
    const struct ndes_cfg_node *map, char *base)
{
	const struct ndes_config_field	*f;
	size_t				 i, saved;
	int				 rc;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if ((f = cfg_key(c, s, map, i)) == NULL)
			return -1;
		saved = ndes_cfg_path_key(c, f->key);
		rc = cfg_field(c, f, map->kids[i + 1], base);
		ndes_cfg_path_pop(c, saved);
		if (rc == -1)
			return -1;
	}
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (cfg_map_get(map, f->key) != NULL)
			continue;
		saved = ndes_cfg_path_key(c, f->key);
		if (f->required)
			rc = ndes_cfg_err(c, map, "missing required key");
		else
			rc = cfg_default(c, f, map, base);
		ndes_cfg_path_pop(c, saved);
		if (rc == -1)
			return -1;
	}
	return cfg_check(c, s->validate, base, map);
}

int
ndes_cfg_walk(struct ndes_cfg_ctx *c, const struct ndes_cfg_node *root,
    const struct ndes_config_schema *s, void *out)
{
	struct ndes_cfg_node	empty;
	char			got[NDES_CFG_GOT_MAX];

	/* an empty file or an empty document: an empty mapping at 1:1 */
	if (root == NULL || ndes_cfg_node_is_null(root))
		return cfg_walk_map(c, s, cfg_empty_map(NULL, &empty), out);
	if (root->kind != NDES_CFG_NODE_MAP)
		return ndes_cfg_err(c, root,
		    "expected a mapping at the top level, got %s",
		    ndes_cfg_repr(root, got, sizeof(got)));
	return cfg_walk_map(c, s, root, out);
}
