#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"

static void
redirect_stderr(void)
{
	cr_redirect_stderr();
}

Test(log, prefixes_process_name, .init = redirect_stderr)
{
	log_init("ndes-test", LOG_LEVEL_INFO);
	log_warnx("config %s refused", "x.yaml");
	log_debug("not shown at info level");
	fflush(stderr);
	cr_assert_stderr_eq_str("ndes-test: config x.yaml refused\n");
}

Test(log, warn_appends_errno_text, .init = redirect_stderr)
{
	log_init("p", LOG_LEVEL_DEBUG);
	errno = ENOENT;
	log_warn("open %s", "/nope");
	fflush(stderr);
	cr_assert_stderr_eq_str("p: open /nope: No such file or directory\n");
}

Test(log, fatalx_exits_one, .exit_code = 1, .init = redirect_stderr)
{
	fatalx("bad state");
}

Test(log, level_names_in_enum_order)
{
	cr_assert_str_eq(log_level_names[LOG_LEVEL_WARN], "warn");
	cr_assert_str_eq(log_level_names[LOG_LEVEL_INFO], "info");
	cr_assert_str_eq(log_level_names[LOG_LEVEL_DEBUG], "debug");
	cr_assert_null(log_level_names[3]);
	cr_assert_eq(log_level_from_name("warn"), LOG_LEVEL_WARN);
	cr_assert_eq(log_level_from_name("info"), LOG_LEVEL_INFO);
	cr_assert_eq(log_level_from_name("debug"), LOG_LEVEL_DEBUG);
	cr_assert_eq(log_level_from_name("Debug"), LOG_LEVEL_INFO);
	cr_assert_eq(log_level_from_name(NULL), LOG_LEVEL_INFO);
}

/* -v/--verbose: one step per -v from the configured level, never past
 * debug; none (or a negative count) leaves it. */
Test(log, raise_steps_a_level_per_verbose_up_to_debug)
{
	cr_assert_eq(log_level_raise(LOG_LEVEL_WARN, 0), LOG_LEVEL_WARN);
	cr_assert_eq(log_level_raise(LOG_LEVEL_WARN, 1), LOG_LEVEL_INFO);
	cr_assert_eq(log_level_raise(LOG_LEVEL_WARN, 2), LOG_LEVEL_DEBUG);
	cr_assert_eq(log_level_raise(LOG_LEVEL_WARN, 9), LOG_LEVEL_DEBUG);
	cr_assert_eq(log_level_raise(LOG_LEVEL_INFO, 1), LOG_LEVEL_DEBUG);
	cr_assert_eq(log_level_raise(LOG_LEVEL_DEBUG, 1), LOG_LEVEL_DEBUG);
	cr_assert_eq(log_level_raise(LOG_LEVEL_INFO, -1), LOG_LEVEL_INFO);
}

/* The lines of one statement: the first `burst` of a window are printed,
 * the rest counted and reported once with the last of them. */
Test(log, repeated_lines_are_rate_limited_with_a_count, .init = redirect_stderr)
{
	log_init("p", LOG_LEVEL_DEBUG);
	log_set_rate_limit(3, 60000);
	for (int i = 0; i < 10; i++)
		log_warnx("refused peer %d", i);
	log_info("another statement");
	log_flush_suppressed();
	log_flush_suppressed();
	fflush(stderr);
	cr_assert_stderr_eq_str("p: refused peer 0\np: refused peer 1\np: refused peer 2\n"
	    "p: another statement\n"
	    "p: suppressed 7 similar lines in 1 s, the last: refused peer 9\n");
}

/* A new window prints again, after the report of the one before. */
Test(log, a_new_window_reports_the_old_one_first, .init = redirect_stderr)
{
	log_init("p", LOG_LEVEL_INFO);
	log_set_rate_limit(1, 100);
	for (int i = 0; i < 3; i++)
		log_info("tick %d", i);
	usleep(150000);
	log_info("tick %d", 3);
	fflush(stderr);
	cr_assert_stderr_eq_str("p: tick 0\n"
	    "p: suppressed 2 similar lines in 1 s, the last: tick 2\np: tick 3\n");
}

/* "%s" passes different texts: those are different lines; digits aside. */
Test(log, pass_through_format_is_keyed_by_its_text, .init = redirect_stderr)
{
	log_init("p", LOG_LEVEL_INFO);
	log_set_rate_limit(1, 60000);
	log_warnx("%s", "disk full");
	log_warnx("%s", "cloud unreachable");
	log_warnx("%s", "port 8443 busy");
	log_warnx("%s", "port 8444 busy");
	log_flush_suppressed();
	fflush(stderr);
	cr_assert_stderr_eq_str("p: disk full\np: cloud unreachable\np: port 8443 busy\n"
	    "p: suppressed 1 similar line in 1 s, the last: port 8444 busy\n");
}

/* libevent's own warnings come through the same limit. */
Test(log, libevent_messages_are_routed_and_limited, .init = redirect_stderr)
{
	log_init("p", LOG_LEVEL_INFO);
	log_set_rate_limit(2, 60000);
	for (int i = 0; i < 5; i++)
		event_base_free(NULL); /* warns: no base to free */
	log_flush_suppressed();
	fflush(stderr);
	cr_assert_stderr_eq_str("p: libevent: event_base_free_: no base to free\n"
	    "p: libevent: event_base_free_: no base to free\n"
	    "p: suppressed 3 similar lines in 1 s, the last: libevent: event_base_free_: "
	    "no base to free\n");
}

Test(log, zero_burst_turns_the_limit_off, .init = redirect_stderr)
{
	char want[30 * 8 + 1] = "";

	log_init("p", LOG_LEVEL_INFO);
	log_set_rate_limit(0, 1000);
	for (int i = 0; i < 30; i++) {
		log_info("line");
		strcat(want, "p: line\n");
	}
	fflush(stderr);
	cr_assert_stderr_eq_str(want);
}

/* Deadlines carry nanoseconds into seconds and land where asked. */
Test(clock, deadline_is_normalised_and_ahead_by_the_wait)
{
	const int64_t waits[] = { 0, 999999999, 1000000000, 2500000000LL };

	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		int64_t before = ndes_clock_ns(CLOCK_MONOTONIC);
		struct timespec t = ndes_clock_after(CLOCK_MONOTONIC, waits[i]);
		int64_t at = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;

		cr_assert(t.tv_nsec >= 0 && t.tv_nsec < 1000000000, "tv_nsec %ld", t.tv_nsec);
		cr_assert_geq(at - before, waits[i]);
		cr_assert_lt(at - before, waits[i] + 50000000, "more than 50 ms late");
	}
}

Test(clock, iso8601_in_utc_and_a_question_mark_when_it_cannot_be)
{
	char buf[32];

	cr_assert_eq(ndes_clock_iso8601(0, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	cr_assert_eq(ndes_clock_iso8601(1796083200, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2026-12-01T00:00:00Z");
	/* too small a buffer for the text */
	cr_assert_eq(ndes_clock_iso8601(0, buf, 8), -1);
	cr_assert_str_eq(buf, "?");
}
