/* Where events go: journald (sd_journal_sendv) or JSON lines on stderr or
 * in a file.  One mutex guards the sink and serialises the JSON writes. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "events_int.h"
#include "log.h"

#define EV_JOURNAL_SOCKET	"/run/systemd/journal/socket"

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ev_ready;
static enum ndes_events_sink ev_sink = NDES_EVENTS_SINK_AUTO;
/* The auto sink's last look at journald's socket (ev_use_journal). */
static bool ev_journal_present;
static time_t ev_journal_looked_at = -1;
static int ev_fd = -1;		/* the file sink, or auto's fallback file */
static bool ev_journal_warned;
/* getpid() is a system call; the file sink stamps every record with it. */
static pid_t ev_pid;
static pthread_once_t ev_pid_once = PTHREAD_ONCE_INIT;

static void
ev_pid_refresh(void)
{
	ev_pid = getpid();
}

/* Set once, and again in a child after fork(). */
static void
ev_pid_setup(void)
{
	ev_pid_refresh();
	pthread_atfork(NULL, NULL, ev_pid_refresh);
}

int
ndes_events_parse_sink(const char *spec, struct ndes_events_opts *out)
{
	if (spec == NULL || out == NULL)
		return -1;
	out->path = NULL;
	if (strcmp(spec, "auto") == 0)
		out->sink = NDES_EVENTS_SINK_AUTO;
	else if (strcmp(spec, "journal") == 0)
		out->sink = NDES_EVENTS_SINK_JOURNAL;
	else if (strcmp(spec, "stderr") == 0)
		out->sink = NDES_EVENTS_SINK_STDERR;
	else if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0') {
		out->sink = NDES_EVENTS_SINK_FILE;
		out->path = spec + 5;
	} else if (strncmp(spec, "auto:", 5) == 0 && spec[5] != '\0') {
		out->sink = NDES_EVENTS_SINK_AUTO;
		out->path = spec + 5;
	} else
		return -1;
	return 0;
}

/* Called with ev_lock held. */
static int
ev_init_locked(const struct ndes_events_opts *opts)
{
	struct ndes_events_opts o = { NDES_EVENTS_SINK_AUTO, NULL };
	const char *env = getenv("NDES_EVENTS_SINK");
	int fd = -1;

	if (opts != NULL)
		o = *opts;
	if (env != NULL && *env != '\0' && ndes_events_parse_sink(env, &o) == -1)
		log_warnx("events: NDES_EVENTS_SINK=%s not understood, ignored", env);
	if (o.sink == NDES_EVENTS_SINK_FILE && o.path == NULL) {
		log_warnx("events: file sink without a path");
		return -1;
	}
	if (o.path != NULL && (o.sink == NDES_EVENTS_SINK_FILE || o.sink == NDES_EVENTS_SINK_AUTO)) {
		fd = open(o.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1) {
			log_warn("events: open %s", o.path);
			return -1;
		}
	}
	if (ev_fd != -1)
		close(ev_fd);
	ev_fd = fd;
	ev_sink = o.sink;
	ev_journal_warned = false;
	ev_journal_looked_at = -1;
	ev_ready = true;
	return 0;
}

int
ndes_events_init(const struct ndes_events_opts *opts)
{
	int rc;

	pthread_mutex_lock(&ev_lock);
	rc = ev_init_locked(opts);
	pthread_mutex_unlock(&ev_lock);
	return rc;
}

void
ndes_events_close(void)
{
	pthread_mutex_lock(&ev_lock);
	if (ev_fd != -1)
		close(ev_fd);
	ev_fd = -1;
	ev_sink = NDES_EVENTS_SINK_AUTO;
	ev_journal_warned = false;
	ev_journal_looked_at = -1;
	ev_ready = false;
	pthread_mutex_unlock(&ev_lock);
}

static int
ev_send_journal(const struct ndes_ev_record *rec)
{
	struct iovec iov[NDES_EV_FIELDS_MAX];
	size_t i;
	int r;

	for (i = 0; i < rec->n; i++) {
		iov[i].iov_base = rec->f[i].kv;
		iov[i].iov_len = strlen(rec->f[i].kv);
	}
	r = sd_journal_sendv(iov, (int)rec->n);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* The record as a JSON object, with the two fields journald would add. */
static json_t *
ev_record_json(const struct ndes_ev_record *rec)
{
	char key[64], num[32];
	struct timespec now;
	json_t *obj;
	size_t i, klen;

	if ((obj = json_object()) == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(num, sizeof(num), "%lld", (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000);
	json_object_set_new(obj, "__REALTIME_TIMESTAMP", json_string(num));
	pthread_once(&ev_pid_once, ev_pid_setup);
	snprintf(num, sizeof(num), "%ld", (long)ev_pid);
	json_object_set_new(obj, "_PID", json_string(num));
	/* keys are ours (ASCII), values valid UTF-8 already (events.c,
	 * ev_sanitize): not checked a second time */
	for (i = 0; i < rec->n; i++) {
		klen = rec->f[i].klen < sizeof(key) - 1 ? rec->f[i].klen : sizeof(key) - 1;
		memcpy(key, rec->f[i].kv, klen);
		key[klen] = '\0';
		if (json_object_set_new_nocheck(obj, key,
		    json_string_nocheck(rec->f[i].kv + rec->f[i].klen + 1)) == -1) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

static int
ev_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* This thread's JSON lines between ndes_event_batch_begin() and _end():
 * written with one write() at the end (events.h).  Heap, not a static
 * thread-local array: ndes_policy.so may be dlopen()ed. */
#define EV_BATCH_FLUSH (64u * 1024u)

struct ev_batch {
	char	*buf;
	size_t	 len, cap;
	int	 depth;
};

static __thread struct ev_batch ev_tls;

/* Append line to the thread's batch: 0, or -1 when it does not fit in
 * memory (the caller writes it itself). */
static int
ev_batch_add(const char *line, size_t len)
{
	struct ev_batch *b = &ev_tls;
	size_t cap = b->cap > 0 ? b->cap : 16384;
	char *buf;

	while (cap - b->len < len)
		cap *= 2;
	if (cap != b->cap) {
		if ((buf = realloc(b->buf, cap)) == NULL)
			return -1;
		b->buf = buf;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, line, len);
	b->len += len;
	return 0;
}

/* What the thread's batch holds, to fd.  Called with ev_lock held. */
static int
ev_batch_flush(int fd)
{
	size_t len = ev_tls.len;

	ev_tls.len = 0;
	return len > 0 ? ev_write_all(fd, ev_tls.buf, len) : 0;
}

/* The line to fd, or into the thread's batch while one is open.  Called
 * with ev_lock held. */
static int
ev_put_line(int fd, const char *line, size_t len)
{
	if (ev_tls.depth == 0)
		return ev_write_all(fd, line, len);
	if (ev_batch_add(line, len) == -1)	/* no memory: in order, now */
		return ev_batch_flush(fd) == 0 ? ev_write_all(fd, line, len) : -1;
	return ev_tls.len < EV_BATCH_FLUSH ? 0 : ev_batch_flush(fd);
}

/* One JSON object and its newline in a single write() (or the thread's
 * batch); an event's line fits the stack buffer (no allocation), a longer
 * one is allocated. */
static int
ev_write_json(const struct ndes_ev_record *rec, int fd)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	char buf[4096], *text, *line;
	json_t *obj;
	size_t len;
	int rc;

	if ((obj = ev_record_json(rec)) == NULL)
		return -1;
	if ((len = json_dumpb(obj, buf, sizeof(buf) - 1, flags)) > 0 && len < sizeof(buf) - 1) {
		json_decref(obj);
		buf[len] = '\n';
		return ev_put_line(fd, buf, len + 1);
	}
	text = json_dumps(obj, flags);
	json_decref(obj);
	if (text == NULL)
		return -1;
	len = strlen(text);
	if ((line = realloc(text, len + 2)) == NULL) {
		free(text);
		return -1;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	rc = ev_put_line(fd, line, len + 1);
	free(line);
	return rc;
}

/* With the auto sink, whether journald's socket exists, looked at no more
 * than once a second (a system call per event otherwise); a send that fails
 * in between falls back to JSON lines for that event anyway.  Called with
 * ev_lock held. */
static bool
ev_use_journal(void)
{
	struct timespec now;

	if (ev_sink == NDES_EVENTS_SINK_JOURNAL)
		return true;
	if (ev_sink != NDES_EVENTS_SINK_AUTO)
		return false;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (ev_journal_looked_at == -1 || now.tv_sec != ev_journal_looked_at) {
		ev_journal_present = access(EV_JOURNAL_SOCKET, F_OK) == 0;
		ev_journal_looked_at = now.tv_sec;
	}
	return ev_journal_present;
}

/* Where JSON lines go.  Called with ev_lock held. */
static int
ev_json_fd(void)
{
	return ev_fd != -1 && ev_sink != NDES_EVENTS_SINK_JOURNAL ? ev_fd : STDERR_FILENO;
}

int
ndes_events_deliver(const struct ndes_ev_record *rec)
{
	int rc;

	pthread_mutex_lock(&ev_lock);
	if (!ev_ready && ev_init_locked(NULL) == -1)
		ev_ready = true;	/* bad NDES_EVENTS_SINK file: auto, stderr */
	if (ev_use_journal()) {
		if (ev_send_journal(rec) == 0) {
			pthread_mutex_unlock(&ev_lock);
			return 0;
		}
		if (!ev_journal_warned)
			log_warn("events: sending to journald failed, writing JSON lines instead");
		ev_journal_warned = true;
	}
	rc = ev_write_json(rec, ev_json_fd());
	if (rc == -1)
		log_warn("events: writing event failed");
	pthread_mutex_unlock(&ev_lock);
	return rc;
}

void
ndes_event_batch_begin(void)
{
	ev_tls.depth++;
}

int
ndes_event_batch_end(void)
{
	struct ev_batch *b = &ev_tls;
	int rc = 0;

	if (b->depth == 0 || --b->depth > 0)
		return 0;
	if (b->len > 0) {
		pthread_mutex_lock(&ev_lock);
		if ((rc = ev_batch_flush(ev_json_fd())) == -1)
			log_warn("events: writing events failed");
		pthread_mutex_unlock(&ev_lock);
	}
	free(b->buf);
	*b = (struct ev_batch){ 0 };
	return rc;
}
