/* Test harness for ndes-crpd: a temporary state folder with a generated
 * PKI and config, the real crp/ndes-crpd process, challenges minted with
 * the codec, CSRs built with OpenSSL, calls over the real IPC socket and
 * the events read back from the file sink. */
#ifndef NDES_TEST_CRPD_HARNESS_H
#define NDES_TEST_CRPD_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "challenge.h"

#define CRPD_H_TENANT "5c0e1f4a-8f61-4a7e-9d55-0b1e2f3a4b5c"

struct crpd_h_opts {
	const char	*crp_alg;	/* "ec-p256" (default), "rsa-2048", "ec-p384" */
	const char	*sign_alg;	/* "ec-p256" (default), "rsa-2048" */
	bool		 no_crp_key;	/* do not write registration/crp.{pem,key} */
	bool		 no_signing;	/* do not write signing/signing-certs.pem */
	bool		 journal;	/* events to journald instead of the file */
	const char	*socket_mode;	/* ipc.mode, default 0660 */
	const char	*ipc_extra;	/* more lines of the ipc section, indented */
	const char	*extra_yaml;	/* appended to the config */
	unsigned long	 nofile_soft;	/* RLIMIT_NOFILE for crpd (0: the test's) */
	unsigned long	 nofile_hard;
	const char	*arg;		/* one more command-line argument ("-v") */
};

struct crpd_h {
	char		*dir;		/* state_dir, also holds the sockets */
	char		*config;
	char		*sock;
	char		*connector_sock;
	char		*events;	/* the events file (unless journal) */
	bool		 journal;	/* events go to journald */
	char		*log;		/* crpd's stderr */
	unsigned long	 nofile_soft, nofile_hard;
	const char	*arg;		/* opts->arg (static text) */
	pid_t		 pid;
	struct timespec	 started;	/* wall clock at start: journal queries begin there
					   (a PID is reused soon under pid_max 32768) */
	EVP_PKEY	*crp_key, *sign_key;
	X509		*crp_cert, *sign_cert;
};

struct crpd_h *crpd_h_new(const struct crpd_h_opts *opts);
/* Start crp/ndes-crpd and wait until crp.sock answers. */
void	crpd_h_start(struct crpd_h *h);
/* The two halves of crpd_h_start(): fork and exec; wait (10 s at most,
 * asserting it did not exit). */
void	crpd_h_spawn(struct crpd_h *h);
void	crpd_h_wait_ready(struct crpd_h *h);
/* Whether crp.sock answers PING now. */
bool	crpd_h_answers(const struct crpd_h *h);
/* Its wait status once it exited within ms, else -1 (still running). */
int	crpd_h_wait_exit(struct crpd_h *h, int ms);
/* What crpd wrote on stderr so far (malloc'd). */
char	*crpd_h_log(const struct crpd_h *h);
/* dst uses src's CRP key and signing certificate (another node of the
 * same tenant): the files in dst's folder and what dst seals with.  Before
 * dst starts. */
void	crpd_h_share_pki(struct crpd_h *dst, const struct crpd_h *src);
/* SIGTERM and assert a clean exit (status 0: no leak under ASan). */
void	crpd_h_stop(struct crpd_h *h);
/* kill -9 and reap. */
void	crpd_h_kill9(struct crpd_h *h);
/* Stop (if running), remove the folder, free. */
void	crpd_h_free(struct crpd_h *h);
/* crpd_h_new() then crpd_h_start(): a running daemon. */
struct crpd_h *crpd_h_launch(const struct crpd_h_opts *opts);
/* The end of a test: crpd_h_stop() (the clean-exit check) and crpd_h_free(),
 * then *hp = NULL; nothing when *hp is NULL already. */
void	crpd_h_finish(struct crpd_h **hp);
/* dir "/" rel, malloc'd. */
char	*crpd_h_path(const struct crpd_h *h, const char *rel);
/* Write a PEM file of certs / a key (0600). */
void	crpd_h_write_certs(const char *path, X509 **certs, size_t n);
void	crpd_h_write_key(const char *path, EVP_PKEY *key);

/* Default claims for id (UUID string kept by the caller), matching
 * crpd_h_csr_default(): subject CN=alice,O=Contoso, SANs email + upn
 * alice@contoso.com, EC >= 256, digitalSignature, clientAuth, sha256,
 * expiring in an hour. */
void	crpd_h_claims(struct ndes_challenge_claims *c, const char *id);
/* Seal to h's CRP certificate with h's signing key.  malloc'd text. */
char	*crpd_h_seal(struct crpd_h *h, const struct ndes_challenge_claims *c);
char	*crpd_h_seal_with(const struct ndes_challenge_claims *c, X509 *signer_cert,
	    EVP_PKEY *signer_key, X509 *recipient);

struct crpd_h_san {
	const char *type;	/* email, upn, dns, uri, ip */
	const char *value;
};

struct crpd_h_csr_spec {
	EVP_PKEY	*key;		/* required */
	const char	*subject[4][2];	/* {field, value} pairs added in order, NULL ends */
	struct crpd_h_san sans[6];	/* type NULL ends */
	const char	*key_usage;	/* "digitalSignature,keyEncipherment"; NULL none */
	const char	*ekus;		/* "1.3.6.1.5.5.7.3.2,..."; NULL none */
	const EVP_MD	*md;		/* NULL: SHA-256 */
	const char	*challenge;	/* NULL: no challengePassword */
	bool		 corrupt_signature;
};

/* The default spec for the default claims, with challenge and key. */
void	crpd_h_csr_default(struct crpd_h_csr_spec *s, EVP_PKEY *key, const char *challenge);
uint8_t	*crpd_h_csr(const struct crpd_h_csr_spec *s, size_t *len);

struct crpd_h_reply {
	bool		 verified;
	uint32_t	 event_id;
	uint32_t	 code;
	char		 reason[256];
	char		 challenge_id[128];
	char		 device_id[128];
	char		 user_id[128];
	char		 transaction_id[300];	/* recorded: the request's, else its key's SHA-256 */
};

/* VERIFY_REQUEST over the socket, asserting nothing (for a child
 * process, or a crpd that may be gone): 0 with the reply, or -1 with
 * why in out->reason. */
int	crpd_h_try_verify(const char *sock, const uint8_t *csr, size_t len, const char *txn,
	    struct crpd_h_reply *out);
/* VERIFY_REQUEST over crp.sock; asserts a VERIFY_REPLY comes back. */
void	crpd_h_verify(struct crpd_h *h, const uint8_t *csr, size_t len, const char *txn,
	    struct crpd_h_reply *out);
/* The default CSR of key carrying c sealed by h (DER, OPENSSL_free()). */
uint8_t	*crpd_h_csr_for(struct crpd_h *h, const struct ndes_challenge_claims *c, EVP_PKEY *key,
	    size_t *len);
/* The default CSR of key carrying the challenge text, verified. */
void	crpd_h_verify_text(struct crpd_h *h, const char *challenge, EVP_PKEY *key,
	    const char *txn, struct crpd_h_reply *out);
/* Seal c, build the default CSR with key, verify. */
void	crpd_h_verify_claims(struct crpd_h *h, const struct ndes_challenge_claims *c,
	    EVP_PKEY *key, const char *txn, struct crpd_h_reply *out);
/* Mint a default challenge for id, build the default CSR with key, verify. */
void	crpd_h_verify_default(struct crpd_h *h, const char *id, EVP_PKEY *key, const char *txn,
	    struct crpd_h_reply *out);

struct crpd_h_notify_reply {
	bool		 accepted;
	uint32_t	 code;
	char		 message[256];
	uint32_t	 error_code;	/* when crpd answered ERROR: its code (else 0) */
};

void	crpd_h_notify(struct crpd_h *h, const char *challenge, const char *txn,
	    int64_t disposition, uint32_t hresult, const uint8_t *cert, size_t cert_len,
	    const char *description, struct crpd_h_notify_reply *out);

/* STATUS over crp.sock: the message of crpd's current error of activity
 * ("store", "link"; malloc'd), or NULL when none is current.  Asserts a
 * STATUS_REPLY that carries errors. */
char	*crpd_h_current_error(struct crpd_h *h, const char *activity);

/* Events whose field (NDES_EVENT_ID, ...) is value, waiting up to 5 s for
 * want of them; a JSON array. */
json_t	*crpd_h_events_where(struct crpd_h *h, const char *field, const char *value,
	    size_t want);
/* Events whose NDES_TRANSACTION_ID is txn (want of them, waiting up to
 * 5 s); a JSON array.  Read back from the file sink, or from journald
 * (journalctl -o json, this crpd's _PID) when the harness runs with
 * journal. */
json_t	*crpd_h_events(struct crpd_h *h, const char *txn, size_t want);
/* Assert exactly one event for txn with that ID and code; returns it
 * (borrowed from *arr, decref arr). */
json_t	*crpd_h_expect_event(struct crpd_h *h, const char *txn, int event_id, uint32_t code,
	    json_t **arr);

/* A certificate for key's public key issued by a throwaway CA, DER. */
uint8_t	*crpd_h_issue(EVP_PKEY *key, const char *cn, size_t *len);
/* The certificate crpd_h_claims() asks for (subject CN=alice,O=Contoso,
 * email and UPN SANs, digitalSignature, clientAuth, 365 days, SHA-256):
 * it conforms (common/conformance.h).  DER. */
uint8_t	*crpd_h_issue_conforming(EVP_PKEY *key, size_t *len);

#endif

/* A stand-in connector: a child process listening on h->connector_sock
 * that appends every CONNECTOR_NOTIFICATION it receives to
 * <dir>/received.jsonl ({"id", "kind", "body"}) and, when ack is true,
 * answers CONNECTOR_ACK. */
pid_t	crpd_h_connector_start(struct crpd_h *h, bool ack);
void	crpd_h_connector_stop(pid_t pid);
/* What the stand-in received so far, waiting up to 5 s for want entries. */
json_t	*crpd_h_connector_received(struct crpd_h *h, size_t want);
/* SELECT count(*) FROM outbox (or other SQL giving one integer) with sqlite3. */
long	crpd_h_sql_count(struct crpd_h *h, const char *sql);

/* The HTTP port crpd logged ("http: listening on ... port N"). */
int	crpd_h_http_port(struct crpd_h *h);
/* A challenge-carrying default CSR for id and key as base64 DER. */
char	*crpd_h_csr_b64(struct crpd_h *h, const char *id, EVP_PKEY *key);
