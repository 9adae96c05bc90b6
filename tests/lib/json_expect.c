/* Assertions on JSON objects: see json_expect.h. */
#include "json_expect.h"

#include <criterion/criterion.h>
#include <stdarg.h>

void
json_expect_strings(const json_t *obj, ...)
{
	const char *key, *want, *got;
	va_list ap;

	va_start(ap, obj);
	while ((key = va_arg(ap, const char *)) != NULL) {
		want = va_arg(ap, const char *);
		got = json_string_value(json_object_get(obj, key));
		cr_assert_not_null(got, "%s: no string member (expected \"%s\")", key, want);
		cr_assert_str_eq(got, want, "%s: \"%s\", expected \"%s\"", key, got, want);
	}
	va_end(ap);
}
