/* ndes-bench --reference: a server with no hand-offs, over the same kind of
 * socket.  A forked child answers VERIFY_REQUESTs of the pre-minted items
 * with the in-process floor's crypto only (no checks beyond it, no state,
 * no events).  Its threads share one epoll set; whichever is free reads the
 * next request, does the crypto and writes the answer itself, so a request
 * is never passed between threads.  What a Unix-socket server could reach
 * on this machine: the floor plus the socket and the two processes. */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"

#define REFERENCE_MAX_THREADS 64

struct reference {
	const struct bench_pki	*p;
	const struct bench_item	*items;
	size_t			 n;
	int			 ep, lfd;
};

static void
reference_arm(const struct reference *r, int fd, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.fd = fd };

	if (epoll_ctl(r->ep, op, fd, &ev) == -1 && fd != r->lfd)
		close(fd);
}

static void
reference_accept(const struct reference *r)
{
	int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd != -1)
		reference_arm(r, fd, EPOLL_CTL_ADD);
	reference_arm(r, r->lfd, EPOLL_CTL_MOD);
}

static int
reference_answer(int fd, uint32_t request_id, bool ok)
{
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_VERIFY_REPLY, request_id);
	const uint8_t *frame;
	size_t len;
	ssize_t w = -1;

	ndes_ipc_msg_add_bool(m, ok);
	ndes_ipc_msg_add_u32(m, ok ? 20500 : 20501);
	ndes_ipc_msg_add_u32(m, 0);
	ndes_ipc_msg_add_str(m, ok ? "" : "reference server: the crypto failed");
	for (int k = 0; k < 3; k++)
		ndes_ipc_msg_add_str(m, "");
	if ((frame = ndes_ipc_msg_frame(m, &len)) != NULL)
		w = send(fd, frame, len, MSG_NOSIGNAL);
	ndes_ipc_msg_free(m);
	return w == (ssize_t)len ? 0 : -1;
}

/* One request on fd (item: request id - 1). */
static void
reference_serve(const struct reference *r, int fd, uint8_t **buf, size_t *cap,
    STACK_OF(X509) *signers)
{
	struct ndes_ipc_header hdr;
	char why[256];
	size_t i;
	bool ok;

	if (bench_read_frame(fd, buf, cap, &hdr, why, sizeof(why)) == 0) {
		close(fd);
		return;
	}
	i = (size_t)hdr.request_id - 1;
	ok = hdr.type == NDES_IPC_MSG_VERIFY_REQUEST && i < r->n &&
	    bench_crypto_one(r->p, signers, &r->items[i], true);
	if (reference_answer(fd, hdr.request_id, ok) == -1) {
		close(fd);
		return;
	}
	reference_arm(r, fd, EPOLL_CTL_MOD);
}

static void *
reference_thread(void *arg)
{
	const struct reference *r = arg;
	STACK_OF(X509) *signers = bench_signers(r->p);
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct epoll_event ev;

	while (signers != NULL) {
		if (epoll_wait(r->ep, &ev, 1, -1) != 1)
			continue;
		if (ev.data.fd == r->lfd)
			reference_accept(r);
		else
			reference_serve(r, ev.data.fd, &buf, &cap, signers);
	}
	free(buf);
	sk_X509_free(signers);
	return NULL;
}

static void __attribute__((noreturn))
reference_child(struct reference *r, int threads)
{
	pthread_t tid;
	int started = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) != -1) {
		reference_arm(r, r->lfd, EPOLL_CTL_ADD);
		for (int t = 0; t < threads; t++)
			if (pthread_create(&tid, NULL, reference_thread, r) == 0)
				started++;
	}
	if (started == 0)
		_exit(1);
	for (;;)
		pause();
}

static int
reference_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, 128) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
bench_reference_start(struct bench_reference *ref, const struct bench_pki *p,
    const struct bench_item *items, size_t n, int threads, const char *dir)
{
	struct reference r = { .p = p, .items = items, .n = n, .ep = -1 };

	ref->pid = 0;
	if (asprintf(&ref->sock, "%s/reference.sock", dir) == -1) {
		ref->sock = NULL;
		return -1;
	}
	if ((r.lfd = reference_listen(ref->sock)) == -1) {
		fprintf(stderr, "ndes-bench: reference server on %s: %s\n", ref->sock,
		    strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((ref->pid = fork()) == 0)
		reference_child(&r, threads < REFERENCE_MAX_THREADS ? threads :
		    REFERENCE_MAX_THREADS);
	close(r.lfd);
	return ref->pid > 0 ? 0 : -1;
}

void
bench_reference_stop(struct bench_reference *ref)
{
	if (ref->pid > 0) {
		kill(ref->pid, SIGKILL);
		waitpid(ref->pid, NULL, 0);
	}
	if (ref->sock != NULL)
		unlink(ref->sock);
	free(ref->sock);
	ref->sock = NULL;
	ref->pid = 0;
}
