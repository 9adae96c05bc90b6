/* ndes-bench: driving crpd over its socket.  One thread, one epoll loop
 * over C non-blocking connections, each with at most one request in flight
 * (C concurrent clients), sending the frames encoded when the items were
 * minted. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"

#define DRIVE_TIMEOUT_S		30	/* one request, as the blocking client had */
#define DRIVE_CONNECT_S		5
#define DRIVE_IDLE		SIZE_MAX
#define DRIVE_TIMER		UINT32_MAX	/* epoll data of the timerfd */
#define DRIVE_EVENTS		64

struct conn {
	int		 fd;		/* -1: dead (could not reconnect) */
	size_t		 item;		/* in flight, or DRIVE_IDLE */
	double		 start;		/* latency origin of the item in flight */
	double		 deadline;
	const uint8_t	*out;		/* unsent rest of its request */
	size_t		 out_len;
	bool		 want_out;	/* EPOLLOUT registered */
	uint8_t		*in;		/* reply bytes so far */
	size_t		 in_len, in_cap;
};

struct drive {
	const char *const	*socks;		/* connection k goes to socks[k % nsocks] */
	int			 nsocks;
	struct bench_item	*items;
	size_t			 n, next;	/* next item to send */
	double			 t0, t_end, rate;
	double			*lat;		/* per item, ms; < 0 not done */
	size_t			 failed;
	char			 first_failure[512];
	int			 ep, tfd;
	double			 timer_at;	/* armed for, or 0 */
	struct conn		*conns;
	int			 nconns;
	int			*idle;		/* stack of idle connections */
	int			 nidle;
	int			 busy;		/* requests in flight */
};

static void __attribute__((format(printf, 2, 3)))
drive_failure(struct drive *dr, const char *fmt, ...)
{
	va_list ap;

	dr->failed++;
	if (dr->first_failure[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(dr->first_failure, sizeof(dr->first_failure), fmt, ap);
	va_end(ap);
}

static double
drive_sched(const struct drive *dr, size_t i)
{
	return dr->t0 + (double)i / dr->rate;
}

/* A non-blocking CLOEXEC connection to sock (crpd expects no handshake),
 * or -1 with a failure counted. */
static int
drive_connect(struct drive *dr, const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = DRIVE_CONNECT_S };
	int fd;

	if (strlen(sock) >= sizeof(sun.sun_path)) {
		drive_failure(dr, "connect %s: %s", sock, strerror(ENAMETOOLONG));
		return -1;
	}
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		drive_failure(dr, "connect %s: %s", sock, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* (Re)open c and put it on the idle stack; left dead if that fails. */
static void
conn_open(struct drive *dr, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	c->item = DRIVE_IDLE;
	c->out_len = c->in_len = 0;
	c->want_out = false;
	if ((c->fd = drive_connect(dr, dr->socks[(c - dr->conns) % dr->nsocks])) == -1)
		return;
	ev.data.u32 = (uint32_t)(c - dr->conns);
	if (epoll_ctl(dr->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		drive_failure(dr, "epoll_ctl: %s", strerror(errno));
		close(c->fd);
		c->fd = -1;
		return;
	}
	dr->idle[dr->nidle++] = (int)(c - dr->conns);
}

/* After any failure the connection is dropped and a new one made, as the
 * blocking client's handle was. */
static void
conn_reset(struct drive *dr, struct conn *c)
{
	close(c->fd);
	if (c->item != DRIVE_IDLE)
		dr->busy--;
	conn_open(dr, c);
}

/* The item in flight on c is over (answered, refused or failed). */
static void
conn_done(struct drive *dr, struct conn *c, bool ok)
{
	dr->lat[c->item] = (bench_now() - c->start) * 1000;
	if (!ok) {
		conn_reset(dr, c);
		return;
	}
	c->item = DRIVE_IDLE;
	dr->busy--;
	dr->idle[dr->nidle++] = (int)(c - dr->conns);
}

static void
conn_want_out(struct drive *dr, struct conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };

	ev.data.u32 = (uint32_t)(c - dr->conns);
	if (c->want_out != on && epoll_ctl(dr->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = on;
}

static void
conn_flush(struct drive *dr, struct conn *c)
{
	ssize_t w;

	while (c->out_len > 0) {
		w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			conn_want_out(dr, c, true);
			return;
		}
		if (w == -1) {
			drive_failure(dr, "ipc: sending request: %s", strerror(errno));
			conn_done(dr, c, false);
			return;
		}
		c->out += w;
		c->out_len -= (size_t)w;
	}
	conn_want_out(dr, c, false);
}

/* Send item i on c; its latency counts from sched (open loop), or from
 * now (sched < 0: closed loop). */
static void
conn_send(struct drive *dr, struct conn *c, size_t i, double sched)
{
	double now = bench_now();

	c->item = i;
	c->start = sched < 0 ? now : sched;
	c->deadline = now + DRIVE_TIMEOUT_S;
	c->out = ndes_ipc_msg_frame(dr->items[i].req, &c->out_len);
	dr->busy++;
	conn_flush(dr, c);
}

bool
bench_reply_check(const struct ndes_ipc_header *hdr, const uint8_t *payload, char *why,
    size_t why_len)
{
	struct ndes_ipc_reader r;
	const char *reason = "";
	uint32_t event_id = 0, code = 0;
	bool ok = false;

	if (hdr->type != NDES_IPC_MSG_VERIFY_REPLY) {
		snprintf(why, why_len, "reply of type %u", hdr->type);
		return false;
	}
	ndes_ipc_reader_init(&r, payload, hdr->payload_len);
	if (ndes_ipc_get_bool(&r, &ok) == -1 || ndes_ipc_get_u32(&r, &event_id) == -1 ||
	    ndes_ipc_get_u32(&r, &code) == -1 || ndes_ipc_get_str(&r, &reason, NULL) == -1)
		ok = false;
	if (!ok)
		snprintf(why, why_len, "refused: %s (event %u, code 0x%08X)", reason, event_id,
		    code);
	return ok;
}

static bool
reply_ok(struct drive *dr, const struct ndes_ipc_header *hdr, const uint8_t *payload)
{
	char why[512];

	if (bench_reply_check(hdr, payload, why, sizeof(why)))
		return true;
	drive_failure(dr, "%s", why);
	return false;
}

/* One whole frame at the start of c->in: 0, or -1 once c was reset. */
static int
conn_reply(struct drive *dr, struct conn *c, const struct ndes_ipc_header *hdr)
{
	uint32_t want;

	if (c->item == DRIVE_IDLE) {
		drive_failure(dr, "ipc: reply %u while no request was outstanding",
		    hdr->request_id);
		conn_reset(dr, c);
		return -1;
	}
	want = ndes_ipc_msg_request_id(dr->items[c->item].req);
	if (hdr->request_id != want) {
		drive_failure(dr, "ipc: reply request id %u does not match request %u",
		    hdr->request_id, want);
		conn_done(dr, c, false);
		return -1;
	}
	if (!reply_ok(dr, hdr, c->in + NDES_IPC_HEADER_LEN)) {
		conn_done(dr, c, false);
		return -1;
	}
	conn_done(dr, c, true);
	return 0;
}

/* Drop c after a failure (counted by the caller) while reading. */
static void
conn_lost(struct drive *dr, struct conn *c)
{
	if (c->item != DRIVE_IDLE)
		conn_done(dr, c, false);
	else
		conn_reset(dr, c);
}

/* Parse the frames in c->in: 0, or -1 once c was reset. */
static int
conn_parse(struct drive *dr, struct conn *c)
{
	struct ndes_ipc_header hdr;
	enum ndes_ipc_parse_result res;
	size_t flen;
	uint8_t *p;

	while ((res = ndes_ipc_frame_parse(c->in, c->in_len, &hdr, &flen)) ==
	    NDES_IPC_PARSE_OK) {
		if (conn_reply(dr, c, &hdr) == -1)
			return -1;
		c->in_len -= flen;
		memmove(c->in, c->in + flen, c->in_len);
	}
	if (res != NDES_IPC_PARSE_NEED_MORE) {
		drive_failure(dr, "ipc: bad reply: %s", ndes_ipc_parse_result_str(res));
		conn_lost(dr, c);
		return -1;
	}
	if (flen > c->in_cap) {
		if ((p = realloc(c->in, flen)) == NULL) {
			drive_failure(dr, "ipc: reading reply: out of memory");
			conn_lost(dr, c);
			return -1;
		}
		c->in = p;
		c->in_cap = flen;
	}
	return 0;
}

static void
conn_read(struct drive *dr, struct conn *c)
{
	ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drive_failure(dr, "ipc: reading reply: %s", r == 0 ?
		    "connection closed by the server" : strerror(errno));
		conn_lost(dr, c);
	} else {
		c->in_len += (size_t)r;
		conn_parse(dr, c);
	}
}

static void
drive_event(struct drive *dr, const struct epoll_event *ev)
{
	struct conn *c;
	uint64_t ticks;

	if (ev->data.u32 == DRIVE_TIMER) {
		if (read(dr->tfd, &ticks, sizeof(ticks)) == -1 && errno != EAGAIN)
			drive_failure(dr, "timerfd: %s", strerror(errno));
		dr->timer_at = 0;
		return;
	}
	c = &dr->conns[ev->data.u32];
	if ((ev->events & EPOLLOUT) && c->out_len > 0)
		conn_flush(dr, c);
	if ((ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->fd != -1)
		conn_read(dr, c);
}

/* Wake up at time t (bench_now()'s CLOCK_MONOTONIC seconds). */
static void
drive_timer(struct drive *dr, double t)
{
	struct itimerspec its = { 0 };

	if (dr->timer_at == t)
		return;
	its.it_value.tv_sec = (time_t)t;
	its.it_value.tv_nsec = (long)((t - (double)its.it_value.tv_sec) * 1e9);
	if (timerfd_settime(dr->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		dr->timer_at = t;
}

/* Send every item that is due on idle connections: closed loop, at once;
 * open loop, item i from t0 + i/rate on, its latency counted from then.
 * True while items may still be sent (and a connection is left). */
static bool
drive_release(struct drive *dr)
{
	double now = bench_now(), sched = -1;

	if (dr->nidle == 0 && dr->busy == 0)
		return false;
	while (dr->next < dr->n && now < dr->t_end) {
		if (dr->rate > 0 && (sched = drive_sched(dr, dr->next)) > now) {
			if (sched >= dr->t_end)
				return false;
			if (dr->nidle > 0)
				drive_timer(dr, sched);
			return dr->nidle > 0 || dr->busy > 0;
		}
		if (dr->nidle == 0)
			return dr->busy > 0;
		conn_send(dr, &dr->conns[dr->idle[--dr->nidle]], dr->next, sched);
		dr->next++;
	}
	return false;
}

/* Fail the requests past their deadline; epoll_wait's timeout in ms until
 * the next deadline (-1: none in flight). */
static int
drive_expire(struct drive *dr)
{
	double now = bench_now(), first = 0;
	struct conn *c;

	for (int k = 0; k < dr->nconns && dr->busy > 0; k++) {
		c = &dr->conns[k];
		if (c->fd == -1 || c->item == DRIVE_IDLE)
			continue;
		if (c->deadline <= now) {
			drive_failure(dr, "ipc: timed out after %d ms waiting for the server",
			    DRIVE_TIMEOUT_S * 1000);
			conn_done(dr, c, false);
		} else if (first == 0 || c->deadline < first)
			first = c->deadline;
	}
	return first == 0 ? -1 : (int)((first - now) * 1000) + 1;
}

static void
drive_loop(struct drive *dr)
{
	struct epoll_event ev[DRIVE_EVENTS];
	int k;

	for (;;) {
		if (!drive_release(dr) && dr->busy == 0)
			break;
		k = epoll_wait(dr->ep, ev, DRIVE_EVENTS, drive_expire(dr));
		if (k == -1 && errno != EINTR) {
			drive_failure(dr, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int e = 0; e < k; e++)
			drive_event(dr, &ev[e]);
	}
}

static int
drive_setup(struct drive *dr, int clients)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = DRIVE_TIMER };

	dr->ep = dr->tfd = -1;
	dr->nconns = clients;
	dr->conns = calloc((size_t)clients, sizeof(*dr->conns));
	dr->idle = calloc((size_t)clients, sizeof(*dr->idle));
	dr->lat = malloc(dr->n * sizeof(double));
	for (int k = 0; dr->conns != NULL && k < clients; k++)
		dr->conns[k].fd = -1;
	if (dr->conns == NULL || dr->idle == NULL || dr->lat == NULL)
		return -1;
	for (size_t i = 0; i < dr->n; i++)
		dr->lat[i] = -1;
	if ((dr->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (dr->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) == -1 ||
	    epoll_ctl(dr->ep, EPOLL_CTL_ADD, dr->tfd, &ev) == -1)
		return -1;
	for (int k = 0; k < clients; k++) {
		dr->conns[k].in_cap = 4096;
		if ((dr->conns[k].in = malloc(dr->conns[k].in_cap)) == NULL)
			return -1;
		conn_open(dr, &dr->conns[k]);
	}
	return 0;
}

static void
drive_free(struct drive *dr)
{
	for (int k = 0; dr->conns != NULL && k < dr->nconns; k++) {
		if (dr->conns[k].fd != -1)
			close(dr->conns[k].fd);
		free(dr->conns[k].in);
	}
	if (dr->tfd != -1)
		close(dr->tfd);
	if (dr->ep != -1)
		close(dr->ep);
	free(dr->conns);
	free(dr->idle);
	free(dr->lat);
}

static int
drive_add(const struct drive *dr, double elapsed, struct bench_stats *acc)
{
	return bench_stats_add_paced(acc, dr->lat, dr->n, dr->t0, dr->rate, dr->failed,
	    dr->first_failure, elapsed);
}

int
bench_drive(const char *sock, struct bench_item *items, size_t n, int clients, double seconds,
    double rate, struct bench_stats *acc)
{
	return bench_drive_nodes(&sock, 1, items, n, clients, seconds, rate, acc);
}

int
bench_drive_nodes(const char *const *socks, int nsocks, struct bench_item *items, size_t n,
    int clients, double seconds, double rate, struct bench_stats *acc)
{
	struct drive dr = { .socks = socks, .nsocks = nsocks, .items = items, .n = n,
	    .rate = rate };
	double elapsed;
	int rc = -1;

	if (drive_setup(&dr, clients) == 0) {
		dr.t0 = bench_now() + 0.001;
		dr.t_end = dr.t0 + seconds;
		drive_loop(&dr);
		elapsed = bench_now() - dr.t0;	/* < 0 if no connection was made */
		rc = drive_add(&dr, elapsed > 0 ? elapsed : 0, acc);
	}
	drive_free(&dr);
	return rc;
}
