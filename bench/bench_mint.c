/* ndes-bench mint: how fast ndes-cloud-sim mints challenges
 * (POST /admin/challenges) against the same sealing code in process
 * (docs/cloud-sim.md, "Minting").  The emulator runs already, with at
 * least one connector registered; C clients each keep one HTTP/1.1
 * connection to its admin port and send the next request when the answer
 * is in.  Then ndes_challenge_seal() alone on every CPU, for as long, as
 * the emulator seals: signed with a P-256 key (the emulator's own signing
 * key is one) to a recipient of --alg (the connector's CRP key: RSA-2048).
 * With the emulator's PID, the CPU per mint of the emulator (and of its
 * main thread, the loop: the one serial stage of a mint) and of the
 * clients, against the CPU per sealing in process. */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "challenge.h"

struct mint_run {
	int		 port;
	const char	*body;
	double		 t_end;
	atomic_size_t	 done, failed;
};

static int
mint_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One answer: its status, or -1 when the connection failed. */
static int
mint_read_answer(int fd, char *buf, size_t cap)
{
	size_t have = 0, body = 0;
	char *end, *cl;
	ssize_t n;
	int status;

	for (;;) {
		if (have == cap - 1 || (n = read(fd, buf + have, cap - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
		body = strtoul(cl + 17, NULL, 10);
	for (size_t got = have - (size_t)(end + 4 - buf); got < body; got += (size_t)n)
		if ((n = read(fd, buf, cap - 1)) <= 0)
			return -1;
	return status;
}

static void *
mint_client(void *arg)
{
	struct mint_run *r = arg;
	char req[1024], *buf = malloc(65536);
	int fd = mint_connect(r->port), len;

	len = snprintf(req, sizeof(req), "POST /admin/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(r->body),
	    r->body);
	while (fd != -1 && buf != NULL && bench_now() < r->t_end) {
		if (write(fd, req, (size_t)len) != len || mint_read_answer(fd, buf, 65536) != 201) {
			atomic_fetch_add(&r->failed, 1);
			close(fd);
			fd = mint_connect(r->port);
			continue;
		}
		atomic_fetch_add(&r->done, 1);
	}
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

struct seal_run {
	struct bench_pki	 p;
	double			 t_end;
	atomic_size_t		 done;
};

static void *
seal_thread(void *arg)
{
	struct seal_run *r = arg;
	char *text;
	size_t n = 0;

	while (bench_now() < r->t_end && bench_seal_one(&r->p, n, &text) == 0) {
		free(text);
		n++;
	}
	atomic_fetch_add(&r->done, n);
	return NULL;
}

static double
bench_threads(int n, void *(*fn)(void *), void *arg)
{
	pthread_t tid[256];
	double t0 = bench_now();

	for (int i = 0; i < n; i++)
		pthread_create(&tid[i], NULL, fn, arg);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return bench_now() - t0;
}

/* The emulator's sealing: its P-256 signing pair, p's CRP certificate as
 * the recipient. */
static int
seal_run_init(struct seal_run *s, struct bench_pki *signer, const struct bench_pki *p)
{
	if (bench_pki_new(signer, "ec-p256") == -1)
		return -1;
	s->p = *p;
	s->p.sign_key = signer->sign_key;
	s->p.sign_cert = signer->sign_cert;
	return 0;
}

int
bench_mint_main(int port, const char *body, int clients, double seconds, int cpus,
    const struct bench_pki *p, pid_t emulator)
{
	struct mint_run r = { .port = port, .body = body };
	struct seal_run s = { 0 };
	struct bench_pki signer;
	double el, rate, seal_rate, cpu_emu, cpu_loop, cpu_self, cpu_seal;
	size_t done;

	if (seal_run_init(&s, &signer, p) == -1)
		return -1;
	cpu_emu = bench_cpu_of(emulator);
	cpu_loop = bench_cpu_of_main_thread(emulator);
	cpu_self = bench_cpu_self();
	r.t_end = bench_now() + seconds;
	el = bench_threads(clients, mint_client, &r);
	cpu_emu = bench_cpu_of(emulator) - cpu_emu;
	cpu_loop = bench_cpu_of_main_thread(emulator) - cpu_loop;
	cpu_self = bench_cpu_self() - cpu_self;
	done = atomic_load(&r.done);
	rate = (double)done / el;
	printf("ndes-cloud-sim: %zu minted in %.2f s = %.0f/s, %zu failed (%d clients)\n",
	    done, el, rate, atomic_load(&r.failed), clients);
	cpu_seal = bench_cpu_self();
	s.t_end = bench_now() + seconds;
	el = bench_threads(cpus, seal_thread, &s);
	cpu_seal = bench_cpu_self() - cpu_seal;
	seal_rate = (double)atomic_load(&s.done) / el;
	printf("in process (%d threads): %.0f/s sealed\n", cpus, seal_rate);
	if (emulator > 0 && done > 0 && atomic_load(&s.done) > 0)
		printf("cpu per mint: ndes-cloud-sim %.0f us (its loop %.0f us) + clients %.0f us, "
		    "sealing in process %.0f us\n", cpu_emu * 1e6 / (double)done, cpu_loop * 1e6 /
		    (double)done, cpu_self * 1e6 / (double)done, cpu_seal * 1e6 /
		    (double)atomic_load(&s.done));
	printf("mint %.0f/s sealing %.0f/s ratio %.2f\n", rate, seal_rate,
	    seal_rate > 0 ? rate / seal_rate : 0);
	bench_pki_free(&signer);
	return atomic_load(&r.failed) == 0 && done > 0 ? 0 : -1;
}
