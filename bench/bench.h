/* ndes-bench: load generator and in-process limit for ndes-crpd
 * (docs/crpd.md, "Benchmark"). */
#ifndef NDES_BENCH_H
#define NDES_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define BENCH_TENANT "0d6f2a53-1d6b-4e0b-8f5e-4c1a2b3c4d5e"
#define BENCH_DEVICE_KEYS 4

struct ndes_ipc_msg;
struct ndes_ipc_header;

/* One pre-minted request. */
struct bench_item {
	char			*challenge;	/* the challenge text (for the limit) */
	uint8_t			*csr;		/* DER PKCS#10 carrying it */
	size_t			 csr_len;
	struct ndes_ipc_msg	*req;		/* its VERIFY_REQUEST, encoded */
};

struct bench_pki {
	const char	*alg;			/* ec-p256 | rsa-2048 */
	EVP_PKEY	*crp_key, *sign_key;
	X509		*crp_cert, *sign_cert;
	EVP_PKEY	*dev_keys[BENCH_DEVICE_KEYS];
};

/* bench_pki.c */
int	bench_pki_new(struct bench_pki *p, const char *alg);
void	bench_pki_free(struct bench_pki *p);
/* Mint items[first .. first+n) on `threads` threads, each with its request
 * frame (request id: index + 1); 0 or -1. */
int	bench_mint(const struct bench_pki *p, const char *tenant, struct bench_item *items,
	    size_t first, size_t n, int threads);
void	bench_items_free(struct bench_item *items, size_t n);
/* One challenge sealed to the CRP certificate alone, as the cloud mints:
 * *text (free()), 0 or -1. */
int	bench_seal_one(const struct bench_pki *p, size_t k, char **text);

/* bench_mint.c: `ndes-bench mint` against a running ndes-cloud-sim's admin
 * port (POST body as given), then the sealing alone in process on `cpus`
 * threads, as the emulator seals (a P-256 signer, p's CRP certificate the
 * recipient); with the emulator's PID (else 0) the CPU per mint too; 0
 * when every mint succeeded. */
int	bench_mint_main(int port, const char *body, int clients, double seconds, int cpus,
	    const struct bench_pki *p, pid_t emulator);
/* bench_enroll.c: `ndes-bench enroll` (bench_enroll.h); the exit status. */
int	bench_enroll_main(int argc, char **argv);

/* Write the CRP pair and the signing bundle into state_dir. */
int	bench_pki_install(const struct bench_pki *p, const char *state_dir);

/* bench_crpd.c */
struct bench_crpd {
	char	*dir;		/* temporary state folder (owned), or the given one */
	char	*sock;
	pid_t	 pid;		/* 0 when not ours */
	bool	 own_dir;
};

/* Start crpd_path in a new temporary folder (or in state_dir), with the
 * store: section store_yaml (NULL: the default, SQLite). */
int	bench_crpd_start(struct bench_crpd *c, const struct bench_pki *p, const char *crpd_path,
	    const char *state_dir, const char *store_yaml);
/* Use a running crpd on socket whose state folder is state_dir: install the
 * keys there and send RELOAD. */
int	bench_crpd_use(struct bench_crpd *c, const struct bench_pki *p, const char *socket,
	    const char *state_dir);
void	bench_crpd_stop(struct bench_crpd *c);
/* fsync latency of the state folder's file system (p50, p99 in ms). */
void	bench_fsync_latency(const char *dir, double *p50, double *p99);

/* bench_pg.c: the PostgreSQL store (--store postgresql). */
#define BENCH_MAX_NODES 4
struct bench_pg {
	char	*dir;		/* our own server's folder; NULL: --conninfo's */
	char	*yaml;		/* the store: section for crpd.yaml */
	char	 where[512];	/* for the output */
};

/* Our own server (conninfo NULL), or the database conninfo names. */
int	bench_pg_start(struct bench_pg *pg, const char *conninfo, const char *password_file,
	    const char *sslmode);
void	bench_pg_stop(struct bench_pg *pg);
/* CPU seconds used so far by our own server's processes (0: not ours). */
double	bench_pg_cpu(const struct bench_pg *pg);

/* bench_run.c, bench_drive.c */
/* Results of one or more runs, added up. */
struct bench_stats {
	size_t	 done, failed;
	double	 seconds;
	double	*lat_ms;		/* every request's latency */
	size_t	 nlat, caplat;
	double	 p50_ms, p99_ms;	/* after bench_stats_finish() */
	char	 first_failure[512];
	/* Set before a paced run: one line per answered request, "due
	 * latency", the time it was due (CLOCK_MONOTONIC seconds, as perf -k
	 * CLOCK_MONOTONIC stamps) and its latency in ms. */
	FILE	*trace;
};

/* Drive crpd over the socket with `clients` connections for `seconds`
 * (closed loop when rate is 0, else paced at rate requests/s in total;
 * latency then counts from each request's scheduled time), adding the
 * results to *acc (zero it first).  One thread, one epoll loop, at most
 * one request in flight per connection (items[].req, encoded when minted);
 * the connections are opened before the clock starts. */
int	bench_drive(const char *sock, struct bench_item *items, size_t n, int clients,
	    double seconds, double rate, struct bench_stats *acc);
/* The same over several crpd nodes: connection k to socks[k % nsocks]. */
int	bench_drive_nodes(const char *const *socks, int nsocks, struct bench_item *items,
	    size_t n, int clients, double seconds, double rate, struct bench_stats *acc);
/* The same paced run with one thread and one blocking connection per
 * client, each taking the next due item as bench_limit_paced()'s threads
 * do (bench_clients.c).  rate must be > 0. */
int	bench_drive_clients(const char *sock, struct bench_item *items, size_t n, int clients,
	    double seconds, double rate, struct bench_stats *acc);
/* Read one whole frame from the blocking fd into *buf (grown as needed,
 * *cap its size): its length, or 0 with why (closed, read error, bad
 * frame, out of memory). */
size_t	bench_read_frame(int fd, uint8_t **buf, size_t *cap, struct ndes_ipc_header *hdr,
	    char *why, size_t why_len);
/* Check a VERIFY_REPLY: true when verified, else false with why. */
bool	bench_reply_check(const struct ndes_ipc_header *hdr, const uint8_t *payload,
	    char *why, size_t why_len);
/* Add a run's latencies (lat[i] < 0: not sent) to *acc; with rate > 0
 * item i was due at t0 + i/rate (for acc->trace). */
int	bench_stats_add_paced(struct bench_stats *acc, const double *lat, size_t n, double t0,
	    double rate, size_t failed, const char *first_failure, double elapsed);
void	bench_stats_finish(struct bench_stats *st);
void	bench_stats_free(struct bench_stats *st);
/* The same crypto in process on `threads` threads for `seconds`:
 * operations done, and the time taken in *elapsed.  with_csr adds the
 * request's parsing and signature check. */
size_t	bench_limit(const struct bench_pki *p, struct bench_item *items, size_t n, int threads,
	    double seconds, bool with_csr, double *elapsed);

/* The same crypto (with the request) in process, paced: item i is due
 * at start + i/rate and taken by the first of `threads` threads free; its
 * latency counts from when it was due.  The latency floor of this machine
 * at that rate, with nothing but the crypto.  Results added to *acc. */
int	bench_limit_paced(const struct bench_pki *p, struct bench_item *items, size_t n,
	    int threads, double seconds, double rate, struct bench_stats *acc);

/* The crypto of one verification, as the limit runs do it: open the
 * challenge (decrypt, signature against signers, claims) and, with_csr,
 * parse the request and check its signature.  True when all passed. */
bool	bench_crypto_one(const struct bench_pki *p, STACK_OF(X509) *signers,
	    const struct bench_item *it, bool with_csr);
/* The signing certificate the challenges are checked against (free the
 * stack with sk_X509_free). */
STACK_OF(X509) *bench_signers(const struct bench_pki *p);

/* bench_bound.c: the primitive bound, the rate of the operations no
 * verification can avoid (the envelope's RSA-OAEP decryption or ECDH, the
 * challenge's and the request's signature checks), keys decoded and
 * contexts made beforehand. */
struct bench_bound;

struct bench_bound *bench_bound_new(const struct bench_pki *p);
void	bench_bound_free(struct bench_bound *b);
/* Those operations on `threads` threads for `seconds`: verifications'
 * worth done, and the time taken in *elapsed. */
size_t	bench_bound_run(const struct bench_bound *b, int threads, double seconds,
	    double *elapsed);

/* bench_reference.c: the server with no hand-offs (--reference). */
struct bench_reference {
	char	*sock;
	pid_t	 pid;
};

/* Fork it, listening on dir/reference.sock, with `threads` threads; it
 * answers items[0 .. n) (request id: index + 1), minted before this call. */
int	bench_reference_start(struct bench_reference *ref, const struct bench_pki *p,
	    const struct bench_item *items, size_t n, int threads, const char *dir);
void	bench_reference_stop(struct bench_reference *ref);

double	bench_now(void);
/* Sleep until bench_now() reaches t. */
void	bench_sleep_until(double t);
/* CPU seconds used so far by this process / by process pid (0: none). */
double	bench_cpu_self(void);
double	bench_cpu_of(pid_t pid);
/* The CPU of pid's main thread alone (ndes-cloud-sim's loop). */
double	bench_cpu_of_main_thread(pid_t pid);

#endif
