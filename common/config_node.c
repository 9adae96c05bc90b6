/* YAML text to a small document tree (struct ndes_cfg_node), built from
 * libyaml's events so that every node keeps its start position.  Aliases
 * and multi-document streams are refused: a configuration never needs
 * them and they make positions ambiguous. */
#include "config_node.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "errmsg.h"

struct cfg_builder {
	const char		*name;
	char			*err;
	size_t			 errlen;
	struct ndes_cfg_node	*root;
	struct ndes_cfg_node	*stack[NDES_CFG_MAX_DEPTH];
	size_t			 depth;
	int			 ndocs;
};

static int cfg_builder_err(struct cfg_builder *, size_t, size_t,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static int
cfg_builder_err(struct cfg_builder *b, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->err == NULL || b->errlen == 0)
		return -1;
	n = snprintf(b->err, b->errlen, "%s:%zu:%zu: ", b->name, line, col);
	if (n < 0 || (size_t)n >= b->errlen)
		return -1;
	va_start(ap, fmt);
	ndes_err_vset(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void
ndes_cfg_node_free(struct ndes_cfg_node *node)
{
	size_t	i;

	if (node == NULL)
		return;
	for (i = 0; i < node->nkids; i++)
		ndes_cfg_node_free(node->kids[i]);
	free(node->kids);
	free(node->text);
	free(node);
}

bool
ndes_cfg_node_is_null(const struct ndes_cfg_node *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t	i;

	if (node->kind != NDES_CFG_NODE_SCALAR || !node->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->text, nulls[i]) == 0)
			return true;
	return false;
}

static int
cfg_node_add(struct ndes_cfg_node *parent, struct ndes_cfg_node *kid)
{
	struct ndes_cfg_node	**kids;
	size_t			  cap;

	if (parent->nkids == parent->cap) {
		cap = parent->cap ? parent->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof(*kids))
			return -1;
		kids = realloc(parent->kids, cap * sizeof(*kids));
		if (kids == NULL)
			return -1;
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* Hang a new node under the open container (or make it the root). */
static int
cfg_builder_attach(struct cfg_builder *b, struct ndes_cfg_node *node)
{
	size_t	line, col;

	if (b->depth == 0) {
		b->root = node;
		return 0;
	}
	if (cfg_node_add(b->stack[b->depth - 1], node) == -1) {
		line = node->line;
		col = node->col;
		ndes_cfg_node_free(node);
		return cfg_builder_err(b, line, col, "out of memory");
	}
	return 0;
}

static struct ndes_cfg_node *
cfg_node_new(enum ndes_cfg_node_kind kind, const yaml_mark_t *mark)
{
	struct ndes_cfg_node	*node;

	if ((node = calloc(1, sizeof(*node))) == NULL)
		return NULL;
	node->kind = kind;
	node->line = mark->line + 1;
	node->col = mark->column + 1;
	return node;
}

static int
cfg_builder_scalar(struct cfg_builder *b, const yaml_event_t *ev)
{
	struct ndes_cfg_node	*node;
	size_t			 len = ev->data.scalar.length;

	if ((node = cfg_node_new(NDES_CFG_NODE_SCALAR, &ev->start_mark)) == NULL ||
	    (node->text = malloc(len + 1)) == NULL) {
		ndes_cfg_node_free(node);
		return cfg_builder_err(b, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, "out of memory");
	}
	memcpy(node->text, ev->data.scalar.value, len);
	node->text[len] = '\0';
	node->len = len;
	node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return cfg_builder_attach(b, node);
}

static int
cfg_builder_open(struct cfg_builder *b, enum ndes_cfg_node_kind kind,
    const yaml_mark_t *mark)
{
	struct ndes_cfg_node	*node;

	if (b->depth == NDES_CFG_MAX_DEPTH)
		return cfg_builder_err(b, mark->line + 1, mark->column + 1,
		    "nesting deeper than %d levels", NDES_CFG_MAX_DEPTH);
	if ((node = cfg_node_new(kind, mark)) == NULL)
		return cfg_builder_err(b, mark->line + 1, mark->column + 1,
		    "out of memory");
	if (cfg_builder_attach(b, node) == -1)
		return -1;
	b->stack[b->depth++] = node;
	return 0;
}

static int
cfg_builder_event(struct cfg_builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t	*m = &ev->start_mark;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs++ > 0)
			return cfg_builder_err(b, m->line + 1, m->column + 1,
			    "a second YAML document is not allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return cfg_builder_err(b, m->line + 1, m->column + 1,
		    "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
		return cfg_builder_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return cfg_builder_open(b, NDES_CFG_NODE_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		return cfg_builder_open(b, NDES_CFG_NODE_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* libyaml's reader reports a byte offset only: count lines up to it. */
static int
cfg_builder_reader_err(struct cfg_builder *b, const yaml_parser_t *p,
    const char *buf, size_t len)
{
	size_t	i, line = 1, col = 1;

	for (i = 0; i < p->problem_offset && i < len; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80)
			col++;
	}
	return cfg_builder_err(b, line, col, "invalid input: %s", p->problem);
}

static int
cfg_builder_syntax_err(struct cfg_builder *b, const yaml_parser_t *p,
    const char *buf, size_t len)
{
	const yaml_mark_t	*pm = &p->problem_mark, *cm = &p->context_mark;

	if (p->error == YAML_MEMORY_ERROR || p->problem == NULL)
		return cfg_builder_err(b, 1, 1, "out of memory");
	if (p->error == YAML_READER_ERROR)
		return cfg_builder_reader_err(b, p, buf, len);
	if (p->context == NULL)
		return cfg_builder_err(b, pm->line + 1, pm->column + 1,
		    "YAML syntax error: %s", p->problem);
	return cfg_builder_err(b, pm->line + 1, pm->column + 1,
	    "YAML syntax error: %s (%s at line %zu, column %zu)", p->problem,
	    p->context, cm->line + 1, cm->column + 1);
}

int
ndes_cfg_parse(const char *name, const char *buf, size_t len,
    struct ndes_cfg_node **root, char *err, size_t errlen)
{
	struct cfg_builder	b = { .name = name, .err = err, .errlen = errlen };
	yaml_parser_t		p;
	yaml_event_t		ev;
	int			rc = 0, done = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return cfg_builder_err(&b, 1, 1, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (rc == 0 && !done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = cfg_builder_syntax_err(&b, &p, buf, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = cfg_builder_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == -1) {
		ndes_cfg_node_free(b.root);
		return -1;
	}
	*root = b.root;
	return 0;
}
