/* ndes-bench enroll: enrollments per second through the real micromdm
 * scepserver and scepclient, three ways (docs/bench.md):
 *
 *   static  scepserver -challenge SECRET (no hook)
 *   true    scepserver -csrverifierexec /bin/true (the hook alone)
 *   ndes    scepserver -csrverifierexec ndes-policy-exec, with the depot
 *           watcher, ndes-crpd, ndes-connectord and the cloud emulator
 *
 * bench/enroll.sh starts the cloud emulator, registers the connector and
 * starts ndes-crpd and ndes-connectord; the bench starts the three
 * scepservers (one depot each, the same CA) and the watcher, makes every
 * key and request before it times anything, and alternates the variants in
 * rounds.  bench_enroll.c: the command; bench_enroll_prep.c: keys,
 * challenges, requests; bench_enroll_proc.c: processes, clients, CPU. */
#ifndef BENCH_ENROLL_H
#define BENCH_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

enum enroll_variant { ENROLL_STATIC, ENROLL_TRUE, ENROLL_NDES, ENROLL_VARIANTS };

/* Why scepserver refused a request, from its log ("failed to sign CSR").
 * DEPOT_RACE is scepserver 2.1.0's own race in its depot under
 * concurrency (two requests given one serial: "open depot/<name>.<serial>.pem:
 * file exists", or the serial file read while rewritten: "could not
 * convert  to serial number"): the client tries again with the same key
 * and request, and it is not ours.  REFUSED: the hook or the static
 * challenge said no ("CSR verify failed", "invalid challenge"). */
enum enroll_fail { ENROLL_FAIL_DEPOT_RACE, ENROLL_FAIL_REFUSED, ENROLL_FAIL_OTHER,
	ENROLL_FAIL_KINDS };

#define ENROLL_MAX_PROCS 12
#define ENROLL_RETRIES 10

/* A process whose CPU is measured; children: what its reaped children
 * used instead (scepserver's hooks). */
struct enroll_proc {
	char	 name[40];
	pid_t	 pid;
	bool	 children;
};

/* One timed batch of enrollments. */
struct enroll_batch {
	const char	*url;		/* http://127.0.0.1:PORT/scep */
	const char	*dir;		/* enrollment i in dir/<i>/ (key.pem, csr.pem) */
	const char	*depot;		/* the scepserver's */
	size_t		 n;
	int		 workers;
	/* out */
	size_t		 ok;		/* certificates received */
	size_t		 retries;	/* failed tries followed by another */
	size_t		 failed;	/* no certificate after ENROLL_RETRIES more */
	size_t		 lost;		/* ... of them issued all the same (depot race) */
	size_t		 repairs;	/* the depot's serial set right */
	char		 first_failure[256];
};

/* bench_enroll_prep.c */
/* POST body to 127.0.0.1:port path; the answer's status, the body in
 * *answer (malloc'd); -1 when the connection failed. */
int	enroll_http_post(int port, const char *path, const char *body, char **answer);
/* A challenge from the emulator's admin port: its answer (challenge,
 * subjectOpenssl, sans, keyUsage, extendedKeyUsages, keySize, hash). */
json_t	*enroll_mint(int port, const char *body, char *err, size_t errlen);
/* New RSA keys in keys[0..n) (the old ones freed) on `threads` threads.
 * 0 or -1. */
int	enroll_keygen(EVP_PKEY **keys, int n, unsigned bits, int threads);
/* key.pem (PKCS#1, as scepclient wants it), csr.pem and csr.der carrying challenge
 * with the subject, SANs and usages tmpl asks for, in dir.  0 or -1. */
int	enroll_write_request(const char *dir, EVP_PKEY *key, const json_t *tmpl,
	    const char *challenge);

/* True when the depot holds a certificate for dir/key.pem's key: issued,
 * though scepclient was told it failed (scepserver's depot race after it
 * wrote the certificate, "open depot/serial: file exists"). */
bool	enroll_issued(const char *depot, const char *dir);

/* bench_enroll_proc.c */
int	enroll_free_port(void);
/* argv[0] in dir (NULL: here), stdin from in (NULL: /dev/null), stdout
 * and stderr to log, extra_env ("NAME=value" or NULL) added to the
 * environment.  The pid, or -1. */
pid_t	enroll_spawn(char *const argv[], const char *dir, const char *log,
	    const char *extra_env, const char *in);
/* Wait for pid: its exit status, or -1. */
int	enroll_wait(pid_t pid);
/* Until 127.0.0.1:port accepts, at most seconds; 0 or -1. */
int	enroll_wait_port(int port, double seconds);
/* Until file contains text, at most seconds; 0 or -1. */
int	enroll_wait_text(const char *file, const char *text, double seconds);
void	enroll_stop(pid_t pid);
/* CPU seconds of p so far (of its reaped children when p->children). */
double	enroll_cpu(const struct enroll_proc *p);
/* CPU seconds of this program's reaped children (the scepclients). */
double	enroll_children_cpu(void);
/* Run every enrollment of b with b->workers scepclients at a time; a
 * client that gets no certificate tries again (same key and request) up
 * to ENROLL_RETRIES times, as a device would, after 5-25 ms (scepserver's
 * depot race strikes clients that ask at the same moment), the depot's
 * serial repaired first when the race set it back. */
void	enroll_run(struct enroll_batch *b);
/* scepserver 2.1.0's depot race can set its serial file back (to 02)
 * below certificates it issued: every later issuance is then refused
 * ("open depot/<name>.<serial>.pem: file exists").  When the serial is not
 * above every issued certificate's, set it to the next one (written to a
 * temporary file and renamed, so scepserver never reads it half written):
 * 1 when it did, 0 when the serial was right, -1 on error. */
int	enroll_repair_serial(const char *depot);
/* Count what scepserver refused in its log from byte offset on; the first
 * refusal of kind OTHER into other[otherlen] when it is still "". */
void	enroll_scan_log(const char *log, long offset, size_t counts[ENROLL_FAIL_KINDS],
	    char *other, size_t otherlen);
/* Size of a file, 0 when it cannot be read. */
long	enroll_file_size(const char *path);
/* rm -rf dir (best effort). */
void	enroll_remove(const char *dir);

#endif
