/* The config loader's entry points: load a file or a string, free what a
 * load allocated, the `--check-config FILE` helper and config-relative paths. */
#include "config_loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_node.h"
#include "config_types.h"
#include "config_walk.h"

#define CFG_FILE_MAX	(16 * 1024 * 1024)

static void cfg_free_struct(const struct ndes_config_schema *, char *, int);

static void
cfg_free_list(const struct ndes_config_field *f, char *base, int depth)
{
	char	**slot = (char **)(base + f->offset);
	size_t	 *count = (size_t *)(base + f->count_offset);
	const struct ndes_cfg_type *et = ndes_cfg_type_get(f->elem_type);
	size_t	  i;

	if (*slot != NULL && f->type == NDES_CFG_TYPE_MAP_LIST)
		for (i = 0; i < *count; i++)
			cfg_free_struct(f->sub, *slot + i * f->elem_size, depth + 1);
	else if (*slot != NULL && et != NULL && et->owns_string)
		for (i = 0; i < *count; i++)
			free(((char **)*slot)[i]);
	free(*slot);
	*slot = NULL;
	*count = 0;
}

static void
cfg_free_struct(const struct ndes_config_schema *s, char *base, int depth)
{
	const struct ndes_config_field	*f;
	const struct ndes_cfg_type	*t;
	size_t				 i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		switch (f->type) {
		case NDES_CFG_TYPE_LIST:
		case NDES_CFG_TYPE_MAP_LIST:
			cfg_free_list(f, base, depth);
			break;
		case NDES_CFG_TYPE_MAP:
			cfg_free_struct(f->sub, base + f->offset, depth + 1);
			break;
		default:
			t = ndes_cfg_type_get(f->type);
			if (t != NULL && t->owns_string) {
				free(*(char **)(base + f->offset));
				*(char **)(base + f->offset) = NULL;
			}
			break;
		}
	}
}

void
ndes_config_free(const struct ndes_config_schema *schema, void *out)
{
	if (schema == NULL || out == NULL)
		return;
	cfg_free_struct(schema, out, 0);
}

static int
cfg_load_buf(const char *name, const char *buf, size_t len,
    const struct ndes_config_schema *schema, void *out, char *err,
    size_t errlen)
{
	struct ndes_cfg_ctx	 c = { .name = name, .err = err, .errlen = errlen };
	struct ndes_cfg_node	*root;
	int			 rc;

	memset(out, 0, schema->size);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (buf == NULL)
		buf = "";
	if (ndes_cfg_schema_check(&c, schema, 0) == -1)
		return -1;
	if (ndes_cfg_parse(name, buf, len, &root, err, errlen) == -1)
		return -1;
	rc = ndes_cfg_walk(&c, root, schema, out);
	ndes_cfg_node_free(root);
	if (rc == -1) {
		ndes_config_free(schema, out);
		memset(out, 0, schema->size);
	}
	return rc;
}

int
ndes_config_load_string(const char *name, const char *yaml,
    const struct ndes_config_schema *schema, void *out, char *err,
    size_t errlen)
{
	return cfg_load_buf(name, yaml, strlen(yaml), schema, out, err, errlen);
}

static int
cfg_file_err(const char *path, const char *what, int errnum, char *err,
    size_t errlen)
{
	char	ebuf[128];

	ndes_err_set(err, errlen, "%s: %s: %s", path, what,
	    strerror_r(errnum, ebuf, sizeof(ebuf)));
	return -1;
}

/* The whole file in a malloc'd buffer, less than CFG_FILE_MAX bytes. */
static int
cfg_read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	*buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0, n;
	int	 errnum = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return cfg_file_err(path, "cannot open", errno, err, errlen);
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > CFG_FILE_MAX) {
				errnum = EFBIG;
				break;
			}
			if ((nbuf = realloc(buf, cap)) == NULL) {
				errnum = ENOMEM;
				break;
			}
			buf = nbuf;
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0) {
			if (ferror(fp))
				errnum = errno ? errno : EIO;
			break;
		}
		len += n;
	}
	fclose(fp);
	if (errnum != 0) {
		free(buf);
		return cfg_file_err(path, "cannot read", errnum, err, errlen);
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
ndes_config_load(const char *path, const struct ndes_config_schema *schema,
    void *out, char *err, size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	memset(out, 0, schema->size);
	if (cfg_read_file(path, &buf, &len, err, errlen) == -1)
		return -1;
	rc = cfg_load_buf(path, buf, len, schema, out, err, errlen);
	free(buf);
	return rc;
}

int
ndes_config_check_main(const char *path, const struct ndes_config_schema *schema,
    size_t struct_size)
{
	return ndes_config_check(path, schema, struct_size, false);
}

int
ndes_config_check(const char *path, const struct ndes_config_schema *schema,
    size_t struct_size, bool keys)
{
	char	 err[NDES_ERR_MAX];
	void	*out;
	size_t	 size = struct_size > schema->size ? struct_size : schema->size;

	if ((out = calloc(1, size ? size : 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return 1;
	}
	if (ndes_config_load(path, schema, out, err, sizeof(err)) == -1) {
		free(out);
		return ndes_config_check_report(path, err, keys);
	}
	ndes_config_free(schema, out);
	free(out);
	return ndes_config_check_report(path, NULL, keys);
}

int
ndes_config_check_report(const char *path, const char *err, bool keys)
{
	if (err != NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: OK\n", path);
	fflush(stdout);
	if (keys)
		ndes_config_print_keys(stderr, path);
	return 0;
}

/* The top-level keys of root, comma-separated, into buf. */
static void
cfg_top_keys(const struct ndes_cfg_node *root, char *buf, size_t len)
{
	size_t used;

	buf[0] = '\0';
	for (size_t i = 0; root != NULL && root->kind == NDES_CFG_NODE_MAP &&
	    i + 1 < root->nkids; i += 2) {
		used = strlen(buf);
		if (root->kids[i]->kind == NDES_CFG_NODE_SCALAR)
			snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "",
			    root->kids[i]->text);
	}
}

void
ndes_config_print_keys(FILE *fp, const char *path)
{
	struct ndes_cfg_node *root;
	char *buf, keys[2048], err[NDES_ERR_MAX];
	size_t len;

	if (cfg_read_file(path, &buf, &len, err, sizeof(err)) == -1)
		return;
	if (ndes_cfg_parse(path, buf, len, &root, err, sizeof(err)) == 0) {
		cfg_top_keys(root, keys, sizeof(keys));
		fprintf(fp, "%s: sets %s; every other key takes its default\n", path,
		    keys[0] != '\0' ? keys : "no key");
		ndes_cfg_node_free(root);
	}
	free(buf);
}

char *
ndes_config_path(const char *dir, const char *rel)
{
	char *out;

	if (rel[0] == '/')
		return strdup(rel);
	if (asprintf(&out, "%s/%s", dir, rel) == -1)
		return NULL;
	return out;
}
