/* Internal to the config loader: a YAML document as a small tree with
 * 1-based positions, built from libyaml's event stream. */
#ifndef NDES_CONFIG_NODE_H
#define NDES_CONFIG_NODE_H

#include <stdbool.h>
#include <stddef.h>

#define NDES_CFG_MAX_DEPTH 64

enum ndes_cfg_node_kind {
	NDES_CFG_NODE_SCALAR,
	NDES_CFG_NODE_SEQ,
	NDES_CFG_NODE_MAP,
};

struct ndes_cfg_node {
	enum ndes_cfg_node_kind	  kind;
	size_t			  line;		/* 1-based */
	size_t			  col;		/* 1-based, in characters */
	char			 *text;		/* scalars: NUL-terminated */
	size_t			  len;		/* scalars: bytes, may hold NULs */
	bool			  plain;	/* scalars: unquoted */
	struct ndes_cfg_node	**kids;		/* seq: items; map: key, value, ... */
	size_t			  nkids;
	size_t			  cap;
};

/* Parse `len` bytes.  *root is NULL for a stream without content.
 * Returns 0, or -1 with "<name>:<line>:<col>: <problem>" in err. */
int	ndes_cfg_parse(const char *name, const char *buf, size_t len,
	    struct ndes_cfg_node **root, char *err, size_t errlen);
void	ndes_cfg_node_free(struct ndes_cfg_node *node);
/* A plain scalar that YAML reads as null: empty, ~, null, Null, NULL. */
bool	ndes_cfg_node_is_null(const struct ndes_cfg_node *node);

#endif
