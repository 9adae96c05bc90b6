/* Typed JSON fields for request validation.  See http.h. */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>

/* The field's value, NULL when absent (missing or null); -1 when a required
 * field is absent. */
static int
json_field(const json_t *obj, const char *field, bool required, json_t **value,
    char *err, size_t errlen)
{
	*value = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	if (*value != NULL && json_is_null(*value))
		*value = NULL;
	if (*value == NULL && required) {
		snprintf(err, errlen, "field \"%s\": required", field);
		return -1;
	}
	return 0;
}

static int
json_type_error(const char *field, const char *expected, char *err, size_t errlen)
{
	snprintf(err, errlen, "field \"%s\": expected %s", field, expected);
	return -1;
}

int
ndes_json_get_string(const json_t *obj, const char *field, bool required,
    const char **out, char *err, size_t errlen)
{
	json_t *v;

	if (json_field(obj, field, required, &v, err, errlen) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return json_type_error(field, "a string", err, errlen);
	*out = json_string_value(v);
	return 0;
}

int
ndes_json_get_int(const json_t *obj, const char *field, bool required,
    json_int_t min, json_int_t max, json_int_t *out, char *err, size_t errlen)
{
	json_int_t n;
	json_t *v;

	if (json_field(obj, field, required, &v, err, errlen) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return json_type_error(field, "an integer", err, errlen);
	n = json_integer_value(v);
	if (n < min || n > max) {
		snprintf(err, errlen, "field \"%s\": must be between %" JSON_INTEGER_FORMAT
		    " and %" JSON_INTEGER_FORMAT, field, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int
ndes_json_get_bool(const json_t *obj, const char *field, bool required,
    bool *out, char *err, size_t errlen)
{
	json_t *v;

	if (json_field(obj, field, required, &v, err, errlen) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return json_type_error(field, "a boolean", err, errlen);
	*out = json_is_true(v);
	return 0;
}

int
ndes_json_get_array(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen)
{
	json_t *v;

	if (json_field(obj, field, required, &v, err, errlen) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return json_type_error(field, "an array", err, errlen);
	*out = v;
	return 0;
}

int
ndes_json_get_object(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen)
{
	json_t *v;

	if (json_field(obj, field, required, &v, err, errlen) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return json_type_error(field, "an object", err, errlen);
	*out = v;
	return 0;
}
