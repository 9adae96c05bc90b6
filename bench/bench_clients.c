/* ndes-bench: paced runs with one thread per client.  Each client has its
 * own blocking connection and takes the next due item, as the in-process
 * floor's threads do (bench_limit_paced()): a stalled client holds only
 * the request it has, the others go on.  This is how the policy module
 * calls crpd: one process per SCEP request. */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"

#define CLIENTS_TIMEOUT_S	30	/* one request, as bench_drive()'s */
#define CLIENTS_MAX		1024	/* as --clients allows */
#define CLIENTS_STACK		(256u * 1024u)

struct clients {
	const char		*sock;
	struct bench_item	*items;
	size_t			 n;		/* items due within the run */
	double			 t0, rate;
	atomic_size_t		 next;
	double			*lat;		/* per item, ms; < 0 not done */
	pthread_mutex_t		 lock;
	size_t			 failed;
	char			 first_failure[512];
};

struct client {
	struct clients	*cs;
	int		 fd;
	uint8_t		*in;
	size_t		 in_cap;
};

static void __attribute__((format(printf, 2, 3)))
clients_failure(struct clients *cs, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&cs->lock);
	if (cs->failed++ == 0) {
		va_start(ap, fmt);
		vsnprintf(cs->first_failure, sizeof(cs->first_failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&cs->lock);
}

static int
client_connect(struct client *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CLIENTS_TIMEOUT_S };
	const char *sock = c->cs->sock;

	if (strlen(sock) >= sizeof(sun.sun_path)) {
		clients_failure(c->cs, "connect %s: %s", sock, strerror(ENAMETOOLONG));
		return -1;
	}
	strcpy(sun.sun_path, sock);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		clients_failure(c->cs, "connect %s: %s", sock, strerror(errno));
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static int
client_send(struct client *c, const uint8_t *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = send(c->fd, p, len, MSG_NOSIGNAL)) == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			clients_failure(c->cs, "ipc: sending request: %s", strerror(errno));
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

size_t
bench_read_frame(int fd, uint8_t **buf, size_t *cap, struct ndes_ipc_header *hdr, char *why,
    size_t why_len)
{
	enum ndes_ipc_parse_result res;
	size_t have = 0, flen = 0;
	ssize_t r;
	uint8_t *p;

	while ((res = ndes_ipc_frame_parse(*buf, have, hdr, &flen)) == NDES_IPC_PARSE_NEED_MORE) {
		if (flen > *cap) {
			if ((p = realloc(*buf, flen)) == NULL) {
				snprintf(why, why_len, "out of memory");
				return 0;
			}
			*buf = p;
			*cap = flen;
		}
		if ((r = read(fd, *buf + have, flen - have)) == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, why_len, "%s", r == 0 ? "connection closed by the other end" :
			    strerror(errno));
			return 0;
		}
		have += (size_t)r;
	}
	if (res != NDES_IPC_PARSE_OK) {
		snprintf(why, why_len, "bad frame: %s", ndes_ipc_parse_result_str(res));
		return 0;
	}
	return flen;
}

/* One request and its answer: true when verified. */
static bool
client_exchange(struct client *c, const struct ndes_ipc_msg *req)
{
	struct ndes_ipc_header hdr;
	const uint8_t *frame;
	size_t len;
	char why[512];

	if ((frame = ndes_ipc_msg_frame(req, &len)) == NULL || client_send(c, frame, len) == -1)
		return false;
	if (bench_read_frame(c->fd, &c->in, &c->in_cap, &hdr, why, sizeof(why)) == 0) {
		clients_failure(c->cs, "ipc: reading reply: %s", why);
		return false;
	}
	if (hdr.request_id != ndes_ipc_msg_request_id(req)) {
		clients_failure(c->cs, "ipc: reply request id %u does not match request %u",
		    hdr.request_id, ndes_ipc_msg_request_id(req));
		return false;
	}
	if (!bench_reply_check(&hdr, c->in + NDES_IPC_HEADER_LEN, why, sizeof(why))) {
		clients_failure(c->cs, "%s", why);
		return false;
	}
	return true;
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	struct clients *cs = c->cs;
	double due;
	size_t i;

	prctl(PR_SET_TIMERSLACK, 1UL);
	while ((i = atomic_fetch_add(&cs->next, 1)) < cs->n) {
		due = cs->t0 + (double)i / cs->rate;
		if (bench_now() < due)
			bench_sleep_until(due);
		if (c->fd == -1 && client_connect(c) == -1) {
			cs->lat[i] = (bench_now() - due) * 1000;
			continue;
		}
		if (!client_exchange(c, cs->items[i].req)) {
			close(c->fd);
			c->fd = -1;
		}
		cs->lat[i] = (bench_now() - due) * 1000;
	}
	return NULL;
}

static void
clients_join(pthread_t *tid, int started, struct client *c, int clients)
{
	for (int k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	for (int k = 0; k < clients; k++) {
		if (c[k].fd != -1)
			close(c[k].fd);
		free(c[k].in);
	}
}

/* Start the client threads (small stacks: up to CLIENTS_MAX of them). */
static int
clients_start(pthread_t *tid, struct client *c, int clients)
{
	pthread_attr_t attr;
	int started = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CLIENTS_STACK);
	while (started < clients &&
	    pthread_create(&tid[started], &attr, client_main, &c[started]) == 0)
		started++;
	pthread_attr_destroy(&attr);
	return started;
}

int
bench_drive_clients(const char *sock, struct bench_item *items, size_t n, int clients,
    double seconds, double rate, struct bench_stats *acc)
{
	struct clients cs = { .sock = sock, .items = items, .rate = rate };
	struct client *c = NULL;
	pthread_t *tid = NULL;
	int started, rc = -1;

	if (clients > CLIENTS_MAX)
		clients = CLIENTS_MAX;
	cs.n = (size_t)(seconds * rate) < n ? (size_t)(seconds * rate) : n;
	if (rate <= 0 || clients < 1 || cs.n == 0 ||
	    (cs.lat = malloc(cs.n * sizeof(double))) == NULL ||
	    (c = calloc((size_t)clients, sizeof(*c))) == NULL ||
	    (tid = calloc((size_t)clients, sizeof(*tid))) == NULL) {
		free(cs.lat);
		free(c);
		return -1;
	}
	for (size_t i = 0; i < cs.n; i++)
		cs.lat[i] = -1;
	atomic_init(&cs.next, 0);
	pthread_mutex_init(&cs.lock, NULL);
	for (int k = 0; k < clients; k++) {
		c[k] = (struct client){ .cs = &cs, .fd = -1 };
		client_connect(&c[k]);
	}
	cs.t0 = bench_now() + 0.01;
	started = clients_start(tid, c, clients);
	clients_join(tid, started, c, clients);
	if (started > 0)
		rc = bench_stats_add_paced(acc, cs.lat, cs.n, cs.t0, rate, cs.failed,
		    cs.first_failure, seconds);
	pthread_mutex_destroy(&cs.lock);
	free(cs.lat);
	free(c);
	free(tid);
	return rc;
}
