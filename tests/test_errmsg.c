/* Error messages (common/errmsg.c): one size, and a cut is never silent. */
#include <criterion/criterion.h>
#include <string.h>

#include "errmsg.h"
#include "text.h"

Test(errmsg, set_fits_or_ends_in_dots)
{
	char err[10];

	ndes_err_set(err, sizeof(err), "%s %d", "abc", 42);
	cr_assert_str_eq(err, "abc 42");
	ndes_err_set(err, sizeof(err), "%s", "123456789");
	cr_assert_str_eq(err, "123456789", "exactly full is no cut");
	ndes_err_set(err, sizeof(err), "%s", "1234567890");
	cr_assert_str_eq(err, "123456...");
	ndes_err_set(NULL, 0, "%s", "nothing written, no crash");
}

Test(errmsg, cut_keeps_characters_whole)
{
	char err[10];

	/* "abcde" then U+00E9 (2 bytes) then U+20AC (3 bytes): the dots go
	 * after "abcde", not inside a character */
	ndes_err_set(err, sizeof(err), "abcde\xC3\xA9\xE2\x82\xAC!");
	cr_assert_str_eq(err, "abcde...");
	ndes_err_set(err, sizeof(err), "abcdef\xE2\x82\xAC!");
	cr_assert_str_eq(err, "abcdef...");
}

Test(errmsg, tiny_buffers)
{
	char err[4] = "xyz";

	ndes_err_set(err, 3, "%s", "long message");
	cr_assert_str_eq(err, "..");
	ndes_err_set(err, 1, "%s", "long message");
	cr_assert_str_eq(err, "");
	ndes_err_set(err, 4, "%s", "long message");
	cr_assert_str_eq(err, "...");
}

Test(errmsg, prefix_in_place)
{
	char err[NDES_ERR_MAX];

	ndes_err_set(err, sizeof(err), "connection refused");
	ndes_err_prefix(err, sizeof(err), "ndes-crpd (%s): ", "/run/ndes/crp.sock");
	cr_assert_str_eq(err, "ndes-crpd (/run/ndes/crp.sock): connection refused");
	err[0] = '\0';
	ndes_err_prefix(err, sizeof(err), "only: ");
	cr_assert_str_eq(err, "only: ");
}

Test(errmsg, prefix_that_does_not_fit_is_marked)
{
	char err[16];

	ndes_err_set(err, sizeof(err), "0123456789");
	ndes_err_prefix(err, sizeof(err), "prefix: ");
	cr_assert_str_eq(err, "prefix: 0123...");
	cr_assert_eq(strlen(err), sizeof(err) - 1);

	ndes_err_set(err, 8, "x");
	ndes_err_prefix(err, 8, "%s", "abcdefghij");
	cr_assert_str_eq(err, "abcd...", "the prefix alone overflows");
	ndes_err_prefix(NULL, 0, "%s", "no crash");
}

Test(errmsg, nested_messages_reach_the_top_whole)
{
	char inner[NDES_ERR_MAX], err[NDES_ERR_MAX];

	memset(inner, 'a', 900);
	inner[900] = '\0';
	ndes_err_set(err, sizeof(err), "%s", inner);
	ndes_err_prefix(err, sizeof(err), "loading x: ");
	cr_assert_eq(strlen(err), 911, "a long message with context still fits");
	ndes_err_prefix(err, sizeof(err), "%0200d: ", 0);
	cr_assert_eq(strlen(err), NDES_ERR_MAX - 1);
	cr_assert_str_eq(err + NDES_ERR_MAX - 4, "...", "and past the size it is marked");
}

Test(errmsg, mark_cut_of_a_partial_buffer)
{
	char buf[16] = "abc\xC3";	/* the second byte of U+00E9 did not fit */

	ndes_err_mark_cut(buf, sizeof(buf));
	cr_assert_str_eq(buf, "abc...", "no lone lead byte before the dots");
}

Test(errmsg, one_line_text_marks_its_cut)
{
	char buf[12];

	ndes_text_one_line("a\nb", buf, sizeof(buf));
	cr_assert_str_eq(buf, "a\\nb");
	ndes_text_one_line("line one\nline two", buf, sizeof(buf));
	cr_assert_str_eq(buf, "line one...");
	ndes_text_one_line("\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", buf, sizeof(buf));
	cr_assert_str_eq(buf, "\xE2\x82\xAC\xE2\x82\xAC...", "whole characters only");
}
