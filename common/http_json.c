/* Typed JSON fields for request validation, and text for answers.  See http.h. */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the well-formed UTF-8 character at s (1 to 4), 0 when there is
 * none (a stray or missing continuation byte, an overlong form, a
 * surrogate, past U+10FFFF).  s is NUL-terminated. */
static size_t
utf8_char(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

json_t *
ndes_json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	char *buf = malloc(strlen((const char *)p) * 3 + 1);
	size_t n = 0, k;
	json_t *out;

	if (buf == NULL)
		return NULL;
	for (; *p != '\0'; p += k ? k : 1) {
		if ((k = utf8_char(p)) > 0)
			memcpy(buf + n, p, k), n += k;
		else
			memcpy(buf + n, "\xEF\xBF\xBD", 3), n += 3;	/* U+FFFD */
	}
	out = json_stringn(buf, n);
	free(buf);
	return out;
}

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
