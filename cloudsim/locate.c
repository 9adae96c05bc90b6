/* Positions for the errors found after the schema load: the key path
 * ("scep_profiles[1].template") is looked up again in the document tree
 * of the config loader, so that every message reads like the loader's own
 * ("file:line:column: key.path: what"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_node.h"
#include "text.h"
#include "model_int.h"

int
cloudsim_check_fail(struct cloudsim_check *chk, const char *msg, const char *pathfmt, ...)
{
	va_list ap;

	va_start(ap, pathfmt);
	vsnprintf(chk->path, sizeof(chk->path), pathfmt, ap);
	va_end(ap);
	ndes_text_one_line(msg, chk->msg, sizeof(chk->msg));
	return -1;
}

static const struct ndes_cfg_node *
map_get(const struct ndes_cfg_node *map, const char *key, size_t len)
{
	for (size_t i = 0; i + 1 < map->nkids; i += 2)
		if (map->kids[i]->kind == NDES_CFG_NODE_SCALAR &&
		    strlen(map->kids[i]->text) == len &&
		    memcmp(map->kids[i]->text, key, len) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* The deepest node on `path` that exists. */
static const struct ndes_cfg_node *
walk(const struct ndes_cfg_node *node, const char *path)
{
	const struct ndes_cfg_node *next;
	const char *p = path;
	size_t len;
	char *end;
	unsigned long idx;

	while (node != NULL && *p != '\0') {
		if (*p == '[') {
			idx = strtoul(p + 1, &end, 10);
			if (*end != ']' || node->kind != NDES_CFG_NODE_SEQ ||
			    idx >= node->nkids)
				return node;
			next = node->kids[idx];
			p = end + 1;
		} else {
			if (*p == '.')
				p++;
			len = strcspn(p, ".[");
			if (node->kind != NDES_CFG_NODE_MAP ||
			    (next = map_get(node, p, len)) == NULL)
				return node;
			p += len;
		}
		node = next;
	}
	return node;
}

void
cloudsim_locate(const char *name, const char *yaml, size_t len, const char *path,
    const char *msg, char *err, size_t errlen)
{
	struct ndes_cfg_node *root = NULL;
	const struct ndes_cfg_node *at;
	size_t line = 1, col = 1;

	if (ndes_cfg_parse(name, yaml, len, &root, NULL, 0) == 0 &&
	    (at = walk(root, path)) != NULL) {
		line = at->line;
		col = at->col;
	}
	ndes_cfg_node_free(root);
	if (path[0] != '\0')
		cloudsim_errf(err, errlen, "%s:%zu:%zu: %s: %s", name, line, col, path, msg);
	else
		cloudsim_errf(err, errlen, "%s:%zu:%zu: %s", name, line, col, msg);
}
