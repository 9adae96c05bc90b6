/* Typed JSON fields for request validation.  See http.h. */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>

/* The field when present and of type `want` (JSON_TRUE stands for either
 * boolean): 1 with *value set; 0 with *value NULL when absent (missing or
 * null) and not required; -1 with err when required and absent, or of
 * another type. */
static int
json_typed_field(const json_t *obj, const char *field, bool required, json_type want,
    json_t **value, char *err, size_t errlen)
{
	static const char *const expected[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
		[JSON_TRUE] = "a boolean",
	};
	json_type got;

	*value = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	if (*value == NULL || json_is_null(*value)) {
		*value = NULL;
		if (!required)
			return 0;
		snprintf(err, errlen, "field \"%s\": required", field);
		return -1;
	}
	got = json_typeof(*value) == JSON_FALSE ? JSON_TRUE : json_typeof(*value);
	if (got != want) {
		snprintf(err, errlen, "field \"%s\": expected %s", field, expected[want]);
		return -1;
	}
	return 1;
}

int
ndes_json_get_string(const json_t *obj, const char *field, bool required,
    const char **out, char *err, size_t errlen)
{
	json_t *v;
	int rc = json_typed_field(obj, field, required, JSON_STRING, &v, err, errlen);

	if (rc == 1)
		*out = json_string_value(v);
	return rc == -1 ? -1 : 0;
}

int
ndes_json_get_int(const json_t *obj, const char *field, bool required,
    json_int_t min, json_int_t max, json_int_t *out, char *err, size_t errlen)
{
	json_t *v;
	int rc = json_typed_field(obj, field, required, JSON_INTEGER, &v, err, errlen);

	if (rc != 1)
		return rc;
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "field \"%s\": must be between %" JSON_INTEGER_FORMAT
		    " and %" JSON_INTEGER_FORMAT, field, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
ndes_json_get_bool(const json_t *obj, const char *field, bool required,
    bool *out, char *err, size_t errlen)
{
	json_t *v;
	int rc = json_typed_field(obj, field, required, JSON_TRUE, &v, err, errlen);

	if (rc == 1)
		*out = json_is_true(v);
	return rc == -1 ? -1 : 0;
}

/* Arrays and objects: the value itself (borrowed). */
static int
json_get_container(const json_t *obj, const char *field, bool required, json_type want,
    json_t **out, char *err, size_t errlen)
{
	json_t *v;
	int rc = json_typed_field(obj, field, required, want, &v, err, errlen);

	if (rc == 1)
		*out = v;
	return rc == -1 ? -1 : 0;
}

int
ndes_json_get_array(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen)
{
	return json_get_container(obj, field, required, JSON_ARRAY, out, err, errlen);
}

int
ndes_json_get_object(const json_t *obj, const char *field, bool required,
    json_t **out, char *err, size_t errlen)
{
	return json_get_container(obj, field, required, JSON_OBJECT, out, err, errlen);
}
