/* YAML configuration loader with a declared schema per program.
 *
 * A program declares its configuration as static const data: one
 * struct ndes_config_field per key (built with the NDES_CFG_* macros
 * below), grouped in a struct ndes_config_schema.  ndes_config_load()
 * parses the file with libyaml, walks the schema and writes typed values
 * into the caller's struct through offsetof().  Anything wrong (YAML
 * syntax, unknown key, duplicate key, wrong type, bad value, missing
 * required key) is refused with one line:
 *
 *     <file>:<line>:<column>: <key.path>: <what>
 *
 * line and column are 1-based and point at the offending node (the key
 * for unknown and duplicate keys, the value for bad values, the enclosing
 * mapping for missing keys).  The "<key.path>: " part is left out when the
 * message is about the document root.  See docs/config-loader.md.
 *
 * No global state: every call is independent and thread-safe.
 *
 * Example:
 *
 *     struct http_cfg { char *address; int64_t port; };
 *     struct my_cfg { struct http_cfg http; int64_t timeout; char **admins;
 *                     size_t n_admins; };
 *
 *     static const struct ndes_config_field http_fields[] = {
 *         NDES_CFG_STRING("address", struct http_cfg, address, NDES_CFG_REQUIRED),
 *         NDES_CFG_INT("port", struct http_cfg, port, NDES_CFG_RANGE(1, 65535),
 *             NDES_CFG_DEFAULT("8080")),
 *     };
 *     static const struct ndes_config_schema http_schema =
 *         NDES_CFG_SCHEMA(struct http_cfg, http_fields);
 *     static const struct ndes_config_field my_fields[] = {
 *         NDES_CFG_MAP("http", struct my_cfg, http, http_schema, NDES_CFG_REQUIRED),
 *         NDES_CFG_DURATION("timeout", struct my_cfg, timeout, NDES_CFG_DEFAULT("30s")),
 *         NDES_CFG_STRING_LIST("admins", struct my_cfg, admins, n_admins),
 *     };
 *     static const struct ndes_config_schema my_schema =
 *         NDES_CFG_SCHEMA(struct my_cfg, my_fields);
 *
 *     struct my_cfg cfg;
 *     char err[NDES_ERR_MAX];
 *     if (ndes_config_load(path, &my_schema, &cfg, err, sizeof(err)) == -1)
 *         ... print err ...
 *     ...
 *     ndes_config_free(&my_schema, &cfg);
 */
#ifndef NDES_CONFIG_LOADER_H
#define NDES_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "errmsg.h"

/* The size of an error message buffer (errmsg.h): a message longer than
 * that ends in "...". */
#define NDES_CONFIG_ERR_MAX NDES_ERR_MAX

/* Value types and the C member type each one writes. */
enum ndes_config_type {
	NDES_CFG_TYPE_STRING,		/* char * (malloc'd), any scalar */
	NDES_CFG_TYPE_PATH,		/* char * (malloc'd), non-empty */
	NDES_CFG_TYPE_INT,		/* int64_t, decimal */
	NDES_CFG_TYPE_BOOL,		/* bool: true, false, yes, no */
	NDES_CFG_TYPE_DURATION,		/* int64_t seconds: 90, 90s, 60m, 2h, 30d */
	NDES_CFG_TYPE_SIZE,		/* uint64_t bytes: 4096, 4096B, 64KiB, 1MiB, 2GiB, 1TiB */
	NDES_CFG_TYPE_ENUM,		/* int: index into .names */
	NDES_CFG_TYPE_ENUM_STRING,	/* char * (malloc'd), one of .names */
	NDES_CFG_TYPE_MODE,		/* mode_t, octal: 0660 */
	NDES_CFG_TYPE_UID,		/* uid_t: number or user name */
	NDES_CFG_TYPE_GID,		/* gid_t: number or group name */
	NDES_CFG_TYPE_LIST,		/* T * (malloc'd) + size_t count, T from .elem_type */
	NDES_CFG_TYPE_MAP,		/* embedded struct, described by .sub */
	NDES_CFG_TYPE_MAP_LIST,		/* struct * (malloc'd) + size_t count, .sub */
};

/* A per-field (or per-schema) check run after the value is stored.
 * `value` points at the stored value: a `char *const *` for strings, a
 * `const int64_t *` for integers, the struct itself for mappings and for
 * each element of a list of mappings; list fields call it once per
 * element.  Return NULL when the value is fine, else a message (a string
 * literal or one written into buf), reported at the value's position. */
typedef const char *(*ndes_config_validate_fn)(const void *value, char *buf,
    size_t buflen);

struct ndes_config_schema;

struct ndes_config_field {
	const char			*key;
	enum ndes_config_type		 type;
	enum ndes_config_type		 elem_type;	/* lists of scalars */
	size_t				 offset;
	size_t				 size;		/* sizeof the member */
	size_t				 elem_size;	/* lists: sizeof one element */
	size_t				 count_offset;	/* lists: the size_t count */
	bool				 required;
	bool				 has_present;
	size_t				 present_offset;	/* bool set when the key is given */
	bool				 has_range;
	int64_t				 min, max;	/* int, duration, size (also elements) */
	const char			*def;		/* default, written as YAML text */
	const char *const		*names;		/* enums: NULL-terminated */
	const struct ndes_config_schema	*sub;		/* maps and lists of maps */
	ndes_config_validate_fn		 validate;
};

struct ndes_config_schema {
	const struct ndes_config_field	*fields;
	size_t				 nfields;
	size_t				 size;		/* sizeof the struct */
	ndes_config_validate_fn		 validate;	/* whole-struct check, optional */
};

/* Load `path` into `out` (a struct of schema->size bytes; it is zeroed
 * first).  Returns 0, or -1 with the message in err (err may be NULL).
 * After a failure `out` is all zeroes (nothing allocated); after a
 * success release it with ndes_config_free(). */
int	ndes_config_load(const char *path, const struct ndes_config_schema *schema,
	    void *out, char *err, size_t errlen);
/* The same from a NUL-terminated string; `name` stands for the file name
 * in messages. */
int	ndes_config_load_string(const char *name, const char *yaml,
	    const struct ndes_config_schema *schema, void *out, char *err,
	    size_t errlen);
/* Free every string and array the loader allocated in `out` and clear
 * those members.  Safe on a zeroed or partially filled struct and twice. */
void	ndes_config_free(const struct ndes_config_schema *schema, void *out);
/* The body of every daemon's `--check-config FILE`: load into a temporary
 * struct of max(struct_size, schema->size) bytes, print "<path>: OK" on
 * stdout and return 0, or print the error line on stderr and return 1. */
int	ndes_config_check_main(const char *path,
	    const struct ndes_config_schema *schema, size_t struct_size);
/* The same; with `keys` (-v at the debug level) a good file also gets
 * ndes_config_print_keys() on stderr. */
int	ndes_config_check(const char *path, const struct ndes_config_schema *schema,
	    size_t struct_size, bool keys);
/* How every --check-config ends, whatever loaded the file: with err (the
 * loader's error line) that line on stderr and 1; else "<path>: OK" on
 * stdout, with keys ndes_config_print_keys() on stderr, and 0. */
int	ndes_config_check_report(const char *path, const char *err, bool keys);
/* After a good --check-config with -v at the debug level: one line on fp,
 * "<path>: sets KEY, KEY, ...; every other key takes its default" (the
 * top-level keys of the file, in its order; names only, never a value),
 * or "<path>: sets no key; ..." for an empty document.  Nothing when the
 * file does not parse. */
void	ndes_config_print_keys(FILE *fp, const char *path);
/* Whether two structs loaded with `schema` hold the same value for `key`: a
 * top-level key ("state_dir"), a dotted path through mappings ("ipc.mode"),
 * or NULL/"" for the whole struct.  Strings by content, lists element by
 * element, mappings field by field, "present" flags too.  1 equal, 0 not,
 * -1 when the schema has no such key. */
int	ndes_config_key_equal(const struct ndes_config_schema *schema, const char *key,
	    const void *a, const void *b);
/* A path from a configuration: rel as is when absolute, else dir "/" rel.
 * malloc'd; NULL when out of memory. */
char	*ndes_config_path(const char *dir, const char *rel);

/* ---- Declaration macros ------------------------------------------------
 * Each NDES_CFG_<TYPE>(key, struct type, member, ...) checks at compile
 * time that the member has the C type the loader writes.  The trailing
 * arguments are options: NDES_CFG_REQUIRED, NDES_CFG_DEFAULT("text"),
 * NDES_CFG_RANGE(lo, hi), NDES_CFG_MIN(lo), NDES_CFG_MAX(hi),
 * NDES_CFG_PRESENT(struct type, bool member), NDES_CFG_VALIDATE(fn). */

#define NDES_CFG_REQUIRED		.required = true
#define NDES_CFG_DEFAULT(text)		.def = (text)
#define NDES_CFG_RANGE(lo, hi)		.has_range = true, .min = (lo), .max = (hi)
#define NDES_CFG_MIN(lo)		NDES_CFG_RANGE((lo), INT64_MAX)
#define NDES_CFG_MAX(hi)		NDES_CFG_RANGE(INT64_MIN, (hi))
#define NDES_CFG_VALIDATE(fn)		.validate = (fn)
#define NDES_CFG_PRESENT(st, m)		.has_present = true, \
	.present_offset = offsetof(st, m) + NDES_CFG_TYPECHECK_(st, m, bool)

/* 0, or a compile error when st.m is not of type T. */
#define NDES_CFG_MEMBER_(st, m)		(((st *)0)->m)
#define NDES_CFG_TYPECHECK_(st, m, T)	(0 * sizeof(char[ \
	__builtin_types_compatible_p(__typeof__(NDES_CFG_MEMBER_(st, m)), T) ? 1 : -1]))

#define NDES_CFG_SCALAR_(k, t, st, m, T, ...) { .key = (k), .type = (t), \
	.offset = offsetof(st, m) + NDES_CFG_TYPECHECK_(st, m, T), \
	.size = sizeof(NDES_CFG_MEMBER_(st, m)), __VA_ARGS__ }

#define NDES_CFG_STRING(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_STRING, st, m, char *, __VA_ARGS__)
#define NDES_CFG_PATH(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_PATH, st, m, char *, __VA_ARGS__)
#define NDES_CFG_INT(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_INT, st, m, int64_t, __VA_ARGS__)
#define NDES_CFG_BOOL(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_BOOL, st, m, bool, __VA_ARGS__)
#define NDES_CFG_DURATION(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_DURATION, st, m, int64_t, __VA_ARGS__)
#define NDES_CFG_SIZE(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_SIZE, st, m, uint64_t, __VA_ARGS__)
#define NDES_CFG_MODE(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_MODE, st, m, mode_t, __VA_ARGS__)
#define NDES_CFG_UID(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_UID, st, m, uid_t, __VA_ARGS__)
#define NDES_CFG_GID(k, st, m, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_GID, st, m, gid_t, __VA_ARGS__)
/* names: static const char *const x[] = { "a", "b", NULL }; */
#define NDES_CFG_ENUM(k, st, m, nm, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_ENUM, st, m, int, .names = (nm), __VA_ARGS__)
#define NDES_CFG_ENUM_STRING(k, st, m, nm, ...) \
	NDES_CFG_SCALAR_(k, NDES_CFG_TYPE_ENUM_STRING, st, m, char *, \
	    .names = (nm), __VA_ARGS__)

/* Lists of scalars: `m` is a T * (allocated), `cnt` a size_t. */
#define NDES_CFG_LIST_(k, et, st, m, cnt, T, ...) { .key = (k), \
	.type = NDES_CFG_TYPE_LIST, .elem_type = (et), \
	.offset = offsetof(st, m) + NDES_CFG_TYPECHECK_(st, m, T *), \
	.size = sizeof(NDES_CFG_MEMBER_(st, m)), \
	.elem_size = sizeof(*NDES_CFG_MEMBER_(st, m)), \
	.count_offset = offsetof(st, cnt) + NDES_CFG_TYPECHECK_(st, cnt, size_t), \
	__VA_ARGS__ }

#define NDES_CFG_STRING_LIST(k, st, m, cnt, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_STRING, st, m, cnt, char *, __VA_ARGS__)
#define NDES_CFG_PATH_LIST(k, st, m, cnt, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_PATH, st, m, cnt, char *, __VA_ARGS__)
#define NDES_CFG_INT_LIST(k, st, m, cnt, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_INT, st, m, cnt, int64_t, __VA_ARGS__)
#define NDES_CFG_UID_LIST(k, st, m, cnt, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_UID, st, m, cnt, uid_t, __VA_ARGS__)
#define NDES_CFG_GID_LIST(k, st, m, cnt, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_GID, st, m, cnt, gid_t, __VA_ARGS__)
#define NDES_CFG_ENUM_LIST(k, st, m, cnt, nm, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_ENUM, st, m, cnt, int, .names = (nm), \
	    __VA_ARGS__)
#define NDES_CFG_ENUM_STRING_LIST(k, st, m, cnt, nm, ...) \
	NDES_CFG_LIST_(k, NDES_CFG_TYPE_ENUM_STRING, st, m, cnt, char *, \
	    .names = (nm), __VA_ARGS__)

/* A nested mapping stored in the embedded struct `m`, described by the
 * schema object `sub` (not a pointer).  When an optional mapping is
 * absent its defaults are applied and its required keys are not asked. */
#define NDES_CFG_MAP(k, st, m, sub_schema, ...) { .key = (k), \
	.type = NDES_CFG_TYPE_MAP, .offset = offsetof(st, m), \
	.size = sizeof(NDES_CFG_MEMBER_(st, m)), .sub = &(sub_schema), __VA_ARGS__ }

/* A list of mappings: `m` is a struct elem * (allocated), `cnt` a size_t. */
#define NDES_CFG_MAP_LIST(k, st, m, cnt, sub_schema, ...) { .key = (k), \
	.type = NDES_CFG_TYPE_MAP_LIST, .offset = offsetof(st, m), \
	.size = sizeof(NDES_CFG_MEMBER_(st, m)), \
	.elem_size = sizeof(*NDES_CFG_MEMBER_(st, m)), \
	.count_offset = offsetof(st, cnt) + NDES_CFG_TYPECHECK_(st, cnt, size_t), \
	.sub = &(sub_schema), __VA_ARGS__ }

/* The schema of struct `st` from an array of fields (an array, not a
 * pointer: checked).  Options: .validate = fn. */
#define NDES_CFG_SCHEMA(st, flds, ...) { .fields = (flds), \
	.nfields = sizeof(flds) / sizeof((flds)[0]) + 0 * sizeof(char[ \
	    __builtin_types_compatible_p(__typeof__(flds), \
	    __typeof__(&(flds)[0])) ? -1 : 1]), \
	.size = sizeof(st), __VA_ARGS__ }

#endif
