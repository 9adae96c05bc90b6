/* Internal to the policy module (ndes_policy.so) and ndes-policy-exec,
 * which share this code (policy/libndes-policy-core.la).  Nothing here is
 * exported from the module: only ndes_policy_entry is. */
#ifndef NDES_POLICY_INT_H
#define NDES_POLICY_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ndes/policy.h>

#include "clock.h"
#include "errmsg.h"

struct ndes_ipc_msg;
struct ndes_ipc_frame;

/* ---- Configuration (policy_config.c) ---------------------------------- */

/* ndes-policy-exec's own keys, under `exec:`. */
struct policy_exec_cfg {
	uint64_t	 max_request;	/* bytes of DER read from stdin */
	char		*state_dir;	/* watch-depot state files */
	bool		 log_journal;	/* also send its lines to journald */
};

struct policy_cfg {
	char			*crp_socket;
	int64_t			 timeout;	/* seconds */
	int64_t			 connections;
	char			*template_name;
	struct policy_exec_cfg	 exec;
};

/* The default file: $sysconfdir/ndes/policy.yaml. */
const char *policy_config_default_path(void);
/* Load path (NULL: the default file, or the built-in defaults when it does
 * not exist).  0, or -1 with one line in err. */
int policy_config_load(const char *path, struct policy_cfg *cfg, char *err, size_t errlen);
void policy_config_free(struct policy_cfg *cfg);

/* ---- Connection pool (policy_pool.c) ----------------------------------- */

struct policy_pool;

struct policy_pool *policy_pool_new(const char *path, size_t size);
void policy_pool_free(struct policy_pool *pool);
/* Send req (its request id is set here) on a pooled connection and wait for
 * the reply, all within timeout_ms.  A broken pooled
 * connection (ndes-crpd restarted) is replaced once within the deadline.
 * 0 with *reply set (free with ndes_ipc_frame_free), or a negative
 * enum ndes_policy_result with a reason in err. */
int policy_pool_call(struct policy_pool *pool, struct ndes_ipc_msg *req,
    struct ndes_ipc_frame **reply, int timeout_ms, char *err, size_t errlen);
/* Connections open now (idle ones), for tests. */
size_t policy_pool_idle(struct policy_pool *pool);

/* Monotonic milliseconds. */
static inline int64_t
policy_now_ms(void)
{
	return ndes_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* ---- The handle (policy.c) --------------------------------------------- */

struct ndes_policy {
	char			*socket_path;
	char			*template_name;
	int			 timeout_ms;
	struct policy_pool	*pool;
	pthread_mutex_t		 log_lock;
	ndes_policy_log_fn	 log_fn;
	void			*log_arg;
};

/* A handle from a loaded configuration (nothing is kept from cfg). */
int policy_new(const struct policy_cfg *cfg, struct ndes_policy **out, char *err,
    size_t errlen);
/* The same with the timeout in milliseconds (tests, ndes-policy-exec). */
int policy_new_ms(const char *socket_path, int timeout_ms, size_t connections,
    const char *template_name, struct ndes_policy **out, char *err, size_t errlen);
void policy_free(struct ndes_policy *pol);
void policy_set_log(struct ndes_policy *pol, ndes_policy_log_fn fn, void *arg);
void policy_log(struct ndes_policy *pol, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy src into dst[size], cut at a UTF-8 character boundary. */
void policy_copy_utf8(char *dst, size_t size, const char *src);

/* ---- Calls (policy_verify.c, policy_notify.c) ------------------------- */

int policy_verify(struct ndes_policy *pol, const uint8_t *csr, size_t csr_len,
    const uint8_t *signer, size_t signer_len, const char *template_name,
    const char *transaction_id, struct ndes_policy_verdict *out);
/* The same; when ndes-crpd answered, txn (if not NULL) gets the transaction
 * ID it recorded: transaction_id, else the SHA-256 of the request's public
 * key ("" from a ndes-crpd that does not say). */
int policy_verify_txn(struct ndes_policy *pol, const uint8_t *csr, size_t csr_len,
    const uint8_t *signer, size_t signer_len, const char *template_name,
    const char *transaction_id, struct ndes_policy_verdict *out, char *txn, size_t txnlen);

/* notify with a description (ndes-crpd passes it on with failures).  On
 * _E_REJECTED err holds ndes-crpd's reason ("0x%08X <message>"). */
int policy_notify(struct ndes_policy *pol, const char *challenge, const char *transaction_id,
    int disposition, uint32_t last_hresult, const uint8_t *cert, size_t cert_len,
    const char *description, char *err, size_t errlen);

/* An ERROR reply (code, message): busy or failing (UNAVAILABLE, INTERNAL)
 * is NDES_POLICY_E_UNAVAILABLE, worth retrying later; anything else
 * NDES_POLICY_E_REJECTED.  The reason, for err: "ndes-crpd could not take
 * the request: <message> (IPC error N)" or "ndes-crpd refused the request:
 * <message> (IPC error N)". */
int policy_ipc_error_result(uint32_t code);
void policy_ipc_error(uint32_t code, const char *message, char *err, size_t errlen);

/* ---- The table (policy_entry.c) ---------------------------------------- */

const char *policy_strerror(int result);

#endif
