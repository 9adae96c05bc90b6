/* Assertions on JSON objects (events read back, API answers, claims). */
#ifndef NDES_TEST_JSON_EXPECT_H
#define NDES_TEST_JSON_EXPECT_H

#include <jansson.h>

/* obj has each key as a string member equal to the value given after it:
 * json_expect_strings(obj, key, value, key, value, ..., NULL).  One
 * assertion per pair; a failure names the key. */
void json_expect_strings(const json_t *obj, ...) __attribute__((sentinel));

#endif
