/* Config loader messages: the "<file>:<line>:<col>: <path>: <what>" line,
 * the key path, how a node is shown, and the schema's own sanity check. */
#include "config_walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_types.h"
#include "errmsg.h"
#include "text.h"

#define CFG_REPR_MAX	64	/* characters of a scalar shown in a message */

int
ndes_cfg_err(struct ndes_cfg_ctx *c, const struct ndes_cfg_node *at,
    const char *fmt, ...)
{
	char	what[NDES_ERR_MAX];
	va_list	ap;
	int	n;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	/* The place first, whole; the message in the room left ends in "..."
	 * when it does not fit (only a buffer too small for the place itself
	 * cuts that, silently: tests/test_config.c pins it). */
	if (c->plen > 0)
		n = snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: ", c->name,
		    at->line, at->col, c->path);
	else
		n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->name,
		    at->line, at->col);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	/* Validators may quote a value as it is: keep the message one line. */
	va_start(ap, fmt);
	ndes_err_vset(what, sizeof(what), fmt, ap);
	va_end(ap);
	ndes_text_one_line(what, c->err + n, c->errlen - (size_t)n);
	return -1;
}

static size_t
cfg_path_append(struct ndes_cfg_ctx *c, const char *sep, const char *part)
{
	size_t	saved = c->plen, room = sizeof(c->path) - c->plen;
	int	n;

	n = snprintf(c->path + c->plen, room, "%s%s", sep, part);
	if (n < 0)
		c->path[saved] = '\0';
	else
		c->plen += (size_t)n < room ? (size_t)n : room - 1;
	return saved;
}

size_t
ndes_cfg_path_key(struct ndes_cfg_ctx *c, const char *key)
{
	return cfg_path_append(c, c->plen > 0 ? "." : "", key);
}

size_t
ndes_cfg_path_index(struct ndes_cfg_ctx *c, size_t i)
{
	char	part[32];

	snprintf(part, sizeof(part), "[%zu]", i);
	return cfg_path_append(c, "", part);
}

void
ndes_cfg_path_pop(struct ndes_cfg_ctx *c, size_t saved)
{
	c->plen = saved;
	c->path[saved] = '\0';
}

/* One byte of a scalar, escaped for a double-quoted message. */
static size_t
cfg_repr_byte(unsigned char ch, char *out)
{
	if (ch == '"' || ch == '\\')
		return (size_t)sprintf(out, "\\%c", ch);
	return ndes_text_char(ch, out);
}

const char *
ndes_cfg_repr(const struct ndes_cfg_node *node, char *buf, size_t len)
{
	char	tmp[CFG_REPR_MAX * 4 + 8];
	size_t	i, n = 0, chars = 0;

	if (node->kind == NDES_CFG_NODE_MAP)
		return "a mapping";
	if (node->kind == NDES_CFG_NODE_SEQ)
		return "a list";
	if (ndes_cfg_node_is_null(node))
		return "null";
	tmp[n++] = '"';
	for (i = 0; i < node->len; i++) {
		/* count characters, not UTF-8 continuation bytes */
		if ((((unsigned char)node->text[i] & 0xC0) != 0x80 &&
		    chars++ == CFG_REPR_MAX) || n > sizeof(tmp) - 8)
			break;
		n += cfg_repr_byte((unsigned char)node->text[i], tmp + n);
	}
	tmp[n++] = '"';
	tmp[n] = '\0';
	snprintf(buf, len, "%s%s", tmp, i < node->len ? "..." : "");
	return buf;
}

static int
cfg_field_check(struct ndes_cfg_ctx *c, const struct ndes_config_field *f,
    int depth)
{
	const struct ndes_cfg_type	*t = ndes_cfg_type_get(f->type);
	const struct ndes_cfg_type	*et = ndes_cfg_type_get(f->elem_type);
	bool				 enm;

	/* defaults exist for scalars only, and a required key has none */
	if (f->def != NULL && (t == NULL || f->required))
		return -1;
	switch (f->type) {
	case NDES_CFG_TYPE_LIST:
		enm = f->elem_type == NDES_CFG_TYPE_ENUM ||
		    f->elem_type == NDES_CFG_TYPE_ENUM_STRING;
		return et == NULL || et->size != f->elem_size ||
		    f->size != sizeof(void *) || (enm && f->names == NULL) ? -1 : 0;
	case NDES_CFG_TYPE_MAP:
		if (f->sub == NULL || f->sub->size != f->size)
			return -1;
		return ndes_cfg_schema_check(c, f->sub, depth + 1);
	case NDES_CFG_TYPE_MAP_LIST:
		if (f->sub == NULL || f->sub->size != f->elem_size ||
		    f->size != sizeof(void *))
			return -1;
		return ndes_cfg_schema_check(c, f->sub, depth + 1);
	default:
		enm = f->type == NDES_CFG_TYPE_ENUM ||
		    f->type == NDES_CFG_TYPE_ENUM_STRING;
		return t == NULL || t->size != f->size ||
		    (enm && f->names == NULL) ? -1 : 0;
	}
}

int
ndes_cfg_schema_check(struct ndes_cfg_ctx *c,
    const struct ndes_config_schema *s, int depth)
{
	size_t	i;

	/* a list of mappings may describe a tree: check a few levels only */
	if (depth > 8)
		return 0;
	for (i = 0; i < s->nfields; i++) {
		if (s->fields[i].key == NULL || cfg_field_check(c, &s->fields[i],
		    depth) == -1) {
			if (c->err != NULL && c->errlen > 0 && c->err[0] == '\0')
				snprintf(c->err, c->errlen,
				    "%s: internal error: bad schema entry %zu (\"%s\")",
				    c->name, i, s->fields[i].key ? s->fields[i].key : "");
			return -1;
		}
	}
	return 0;
}
