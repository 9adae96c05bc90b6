/* Internal to the config loader: walking a document tree with a schema,
 * and the error reporting shared by the walk. */
#ifndef NDES_CONFIG_WALK_H
#define NDES_CONFIG_WALK_H

#include <stddef.h>

#include "config_loader.h"
#include "config_node.h"

#define NDES_CFG_PATH_MAX 512
#define NDES_CFG_GOT_MAX 300	/* holds any ndes_cfg_repr() */

struct ndes_cfg_ctx {
	const char	*name;			/* the file name in messages */
	char		*err;
	size_t		 errlen;
	char		 path[NDES_CFG_PATH_MAX];	/* "users[2].upn" */
	size_t		 plen;
};

/* Write "<name>:<line>:<col>: [<path>: ]<message>" at node `at`; -1. */
int	ndes_cfg_err(struct ndes_cfg_ctx *, const struct ndes_cfg_node *at,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
/* Append ".key" (or "key" at the top) or "[i]"; return the length to
 * restore with ndes_cfg_path_pop(). */
size_t	ndes_cfg_path_key(struct ndes_cfg_ctx *, const char *);
size_t	ndes_cfg_path_index(struct ndes_cfg_ctx *, size_t);
void	ndes_cfg_path_pop(struct ndes_cfg_ctx *, size_t);
/* How a node reads in a message: "a mapping", "a list", "null", or the
 * scalar quoted, escaped and cut at 64 characters. */
const char *ndes_cfg_repr(const struct ndes_cfg_node *, char *, size_t);
/* Check the schema itself (sizes and types of every field); -1 with the
 * culprit named in the context's error. */
int	ndes_cfg_schema_check(struct ndes_cfg_ctx *,
	    const struct ndes_config_schema *, int depth);

/* Walk `root` (NULL for an empty document) into `out`. */
int	ndes_cfg_walk(struct ndes_cfg_ctx *, const struct ndes_cfg_node *root,
	    const struct ndes_config_schema *, void *out);

#endif
