/* Process logging with a rate limit per log statement.  See log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"

#define LOG_RATE_SLOTS 128	/* a power of two */
#define LOG_RATE_PROBE 4
#define LOG_RATE_LAST 240
#define LOG_FLUSH_EVERY_NS 1000000000LL

static char log_name[64] = "ndes";
static enum log_level log_max = LOG_LEVEL_INFO;

/* One statement's window: lines printed in it, lines suppressed, the last
 * suppressed text (for the report). */
struct log_rate_slot {
	uint64_t	key;		/* 0: free */
	int64_t		since_ns;
	unsigned	printed;
	unsigned long	suppressed;
	char		last[LOG_RATE_LAST];
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_rate_slot log_slots[LOG_RATE_SLOTS];
static unsigned log_burst = LOG_RATE_BURST;
static int64_t log_interval_ns = LOG_RATE_INTERVAL_MS * 1000000LL;
static int64_t log_flushed_ns;

static void log_libevent(int severity, const char *msg);

void
log_init(const char *procname, enum log_level level)
{
	if (procname != NULL)
		snprintf(log_name, sizeof(log_name), "%s", procname);
	log_max = level;
	event_set_log_callback(log_libevent);
}

const char *const log_level_names[] = { "warn", "info", "debug", NULL };

enum log_level
log_level_from_name(const char *name)
{
	int i;

	for (i = 0; log_level_names[i] != NULL; i++)
		if (name != NULL && strcmp(name, log_level_names[i]) == 0)
			return (enum log_level)i;
	return LOG_LEVEL_INFO;
}

enum log_level
log_level_raise(enum log_level base, int steps)
{
	int level = (int)base + (steps > 0 ? steps : 0);

	return level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : (enum log_level)level;
}

const char *
log_procname(void)
{
	return log_name;
}

void
log_set_rate_limit(unsigned burst, unsigned interval_ms)
{
	pthread_mutex_lock(&log_lock);
	log_burst = burst;
	log_interval_ns = (int64_t)interval_ms * 1000000LL;
	memset(log_slots, 0, sizeof(log_slots));
	pthread_mutex_unlock(&log_lock);
}

/* FNV-1a over the text, a run of digits counting as one '#': lines that
 * differ only in numbers (ports, pids, counts) are similar.  Never 0. */
static uint64_t
log_text_key(const char *text)
{
	uint64_t h = 1469598103934665603ULL;
	bool in_digits = false;

	for (; *text != '\0'; text++) {
		bool digit = *text >= '0' && *text <= '9';

		if (digit && in_digits)
			continue;
		in_digits = digit;
		h ^= digit ? (unsigned char)'#' : (unsigned char)*text;
		h *= 1099511628211ULL;
	}
	return h | 1;
}

/* The report of a slot's suppressed lines (lock held). */
static void
log_rate_report(struct log_rate_slot *s, int64_t now)
{
	int64_t span = now - s->since_ns;

	if (s->suppressed == 0)
		return;
	if (span > log_interval_ns)
		span = log_interval_ns;
	fprintf(stderr, "%s: suppressed %lu similar line%s in %lld s, the last: %s\n", log_name,
	    s->suppressed, s->suppressed == 1 ? "" : "s",
	    (long long)((span + 999999999) / 1000000000), s->last);
	s->suppressed = 0;
}

/* key's slot, or the one it takes over (free, else the oldest window;
 * what that one suppressed is reported first). */
static struct log_rate_slot *
log_rate_slot(uint64_t key, int64_t now)
{
	size_t first = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 57) & (LOG_RATE_SLOTS - 1);
	struct log_rate_slot *s, *victim = NULL;

	for (size_t i = 0; i < LOG_RATE_PROBE; i++) {
		s = &log_slots[(first + i) & (LOG_RATE_SLOTS - 1)];
		if (s->key == key)
			return s;
		if (victim == NULL || (victim->key != 0 &&
		    (s->key == 0 || s->since_ns < victim->since_ns)))
			victim = s;
	}
	log_rate_report(victim, now);
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	victim->since_ns = now;
	return victim;
}

/* Whether this line is printed (lock held); counted when it is not. */
static bool
log_rate_admit(uint64_t key, const char *text, int64_t now)
{
	struct log_rate_slot *s;
	size_t n;

	if (log_burst == 0)
		return true;
	s = log_rate_slot(key, now);
	if (now - s->since_ns >= log_interval_ns) {
		log_rate_report(s, now);
		s->since_ns = now;
		s->printed = 0;
	}
	if (s->printed < log_burst) {
		s->printed++;
		return true;
	}
	s->suppressed++;
	n = strnlen(text, sizeof(s->last) - 1);	/* cut, on purpose */
	memcpy(s->last, text, n);
	s->last[n] = '\0';
	return false;
}

/* Report the windows that ended, at most once a second (lock held). */
static void
log_rate_flush_ended(int64_t now)
{
	if (now - log_flushed_ns < LOG_FLUSH_EVERY_NS)
		return;
	log_flushed_ns = now;
	for (size_t i = 0; i < LOG_RATE_SLOTS; i++)
		if (log_slots[i].suppressed > 0 && now - log_slots[i].since_ns >= log_interval_ns)
			log_rate_report(&log_slots[i], now);
}

static void
log_emit_text(uint64_t key, const char *text)
{
	int64_t now = ndes_clock_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&log_lock);
	log_rate_flush_ended(now);
	if (log_rate_admit(key, text, now))
		fprintf(stderr, "%s: %s\n", log_name, text);
	pthread_mutex_unlock(&log_lock);
}

void
log_flush_suppressed(void)
{
	int64_t now = ndes_clock_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < LOG_RATE_SLOTS; i++)
		log_rate_report(&log_slots[i], now);
	pthread_mutex_unlock(&log_lock);
}

static void __attribute__((format(printf, 4, 0)))
log_vemit(enum log_level level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char msg[2048], line[2300];
	uint64_t key;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		snprintf(line, sizeof(line), "%.2047s: %.200s", msg, strerror(saved_errno));
	else
		snprintf(line, sizeof(line), "%s", msg);
	/* a statement is its format; the pass-through "%s" is its text */
	key = strcmp(fmt, "%s") == 0 ? log_text_key(line) : ((uint64_t)(uintptr_t)fmt << 1) | 1;
	log_emit_text(key, line);
}

/* libevent's messages (event_set_log_callback), keyed by their text. */
static void
log_libevent(int severity, const char *msg)
{
	enum log_level level = severity >= EVENT_LOG_WARN ? LOG_LEVEL_WARN :
	    severity == EVENT_LOG_MSG ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;
	char line[1024];

	if (level > log_max)
		return;
	snprintf(line, sizeof(line), "libevent: %.1000s", msg);
	log_emit_text(log_text_key(line), line);
}

#define LOG_BODY(level, with_errno)                          \
	do {                                                 \
		int saved_errno = errno;                     \
		va_list ap;                                  \
		va_start(ap, fmt);                           \
		log_vemit(level, with_errno, saved_errno, fmt, ap); \
		va_end(ap);                                  \
		errno = saved_errno;                         \
	} while (0)

void log_warn(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
	exit(1);
}
