/* Internal to the config loader: the scalar value types. */
#ifndef NDES_CONFIG_TYPES_H
#define NDES_CONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_loader.h"

struct ndes_cfg_type {
	const char	*plural;	/* "strings", for "a list of strings" */
	size_t		 size;		/* the C type's size */
	bool		 owns_string;	/* stores a malloc'd char * */
	/* What a valid value is, e.g. "an integer between 1 and 65535". */
	void		(*describe)(const struct ndes_config_field *, char *, size_t);
	/* Convert non-null scalar text into *dst.  0, or -1 with an optional
	 * detail ("no such user") written into detail. */
	int		(*convert)(const struct ndes_config_field *, const char *,
			    void *, char *, size_t);
};

/* Shared by the type files. */
int	ndes_cfg_parse_u64(const char *, const char **, uint64_t *);
bool	ndes_cfg_in_range(const struct ndes_config_field *, int64_t);
/* "<noun>", "<noun> between A and B", "... of at least A", "... of at most B";
 * fmt writes one bound. */
void	ndes_cfg_describe_range(const struct ndes_config_field *, const char *,
	    void (*)(int64_t, char *, size_t), char *, size_t);

void	ndes_cfg_describe_duration(const struct ndes_config_field *, char *, size_t);
int	ndes_cfg_convert_duration(const struct ndes_config_field *, const char *,
	    void *, char *, size_t);
void	ndes_cfg_describe_size(const struct ndes_config_field *, char *, size_t);
int	ndes_cfg_convert_size(const struct ndes_config_field *, const char *,
	    void *, char *, size_t);
void	ndes_cfg_describe_uid(const struct ndes_config_field *, char *, size_t);
int	ndes_cfg_convert_uid(const struct ndes_config_field *, const char *,
	    void *, char *, size_t);
void	ndes_cfg_describe_gid(const struct ndes_config_field *, char *, size_t);
int	ndes_cfg_convert_gid(const struct ndes_config_field *, const char *,
	    void *, char *, size_t);

/* NULL for the composite types (list, map, list of maps). */
const struct ndes_cfg_type	*ndes_cfg_type_get(enum ndes_config_type);

#endif
