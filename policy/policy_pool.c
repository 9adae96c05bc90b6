/* A small pool of blocking IPC connections to ndes-crpd.  Up to `size`
 * calls run at once, each on its own connection; more wait (until their
 * deadline) for one to come back.  Idle connections are kept open; a
 * connection that failed is closed and the next call opens a new one. */
#include "policy_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipc.h"
#include "ipc_client.h"

struct policy_pool {
	pthread_mutex_t		  lock;
	pthread_cond_t		  cond;		/* a slot was released */
	char			 *path;
	size_t			  size;		/* connections at most */
	size_t			  busy;		/* slots taken */
	struct ndes_ipc_client	**idle;		/* open, unused connections */
	size_t			  nidle;
};

struct policy_pool *
policy_pool_new(const char *path, size_t size)
{
	struct policy_pool *pool;
	pthread_condattr_t attr;

	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	pool->size = size > 0 ? size : 1;
	pool->path = strdup(path);
	pool->idle = calloc(pool->size, sizeof(*pool->idle));
	if (pool->path == NULL || pool->idle == NULL) {
		free(pool->path);
		free(pool->idle);
		free(pool);
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->cond, &attr);
	pthread_condattr_destroy(&attr);
	return pool;
}

void
policy_pool_free(struct policy_pool *pool)
{
	size_t i;

	if (pool == NULL)
		return;
	for (i = 0; i < pool->nidle; i++)
		ndes_ipc_client_free(pool->idle[i]);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool->path);
	free(pool);
}

size_t
policy_pool_idle(struct policy_pool *pool)
{
	size_t n;

	pthread_mutex_lock(&pool->lock);
	n = pool->nidle;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

static int
remaining_ms(int64_t deadline)
{
	int64_t left = deadline - policy_now_ms();

	return left > 0 ? (int)left : 0;
}

/* Take a slot (and an idle connection, if any) before the deadline. */
static int
pool_acquire(struct policy_pool *pool, int64_t deadline, struct ndes_ipc_client **client)
{
	struct timespec ts;
	int rc = 0;

	ts.tv_sec = deadline / 1000;
	ts.tv_nsec = (long)(deadline % 1000) * 1000000;
	pthread_mutex_lock(&pool->lock);
	while (pool->busy >= pool->size && rc == 0)
		rc = pthread_cond_timedwait(&pool->cond, &pool->lock, &ts);
	if (pool->busy >= pool->size) {
		pthread_mutex_unlock(&pool->lock);
		return -1;
	}
	pool->busy++;
	*client = pool->nidle > 0 ? pool->idle[--pool->nidle] : NULL;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/* Give the slot back, keeping the connection if it is still good. */
static void
pool_release(struct policy_pool *pool, struct ndes_ipc_client *client)
{
	pthread_mutex_lock(&pool->lock);
	if (client != NULL)
		pool->idle[pool->nidle++] = client;
	pool->busy--;
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

/* The result code for a failed connect or call, from errno. */
static int
pool_errno_result(int e)
{
	switch (e) {
	case ETIMEDOUT:
		return NDES_POLICY_E_TIMEOUT;
	case EPROTO:
		return NDES_POLICY_E_PROTOCOL;
	case EINVAL:
		return NDES_POLICY_E_INVALID;
	case ENOMEM:
		return NDES_POLICY_E_NOMEM;
	}
	return NDES_POLICY_E_UNAVAILABLE;
}

/* A reused connection that fails this way was closed by a restarted
 * ndes-crpd: worth one more try on a fresh connection. */
static bool
pool_stale(int e)
{
	return e == ECONNRESET || e == EPIPE || e == ENOTCONN || e == ECONNABORTED;
}

static int
pool_connect(struct policy_pool *pool, int64_t deadline, struct ndes_ipc_client **client,
    char *err, size_t errlen)
{
	int rc;

	*client = ndes_ipc_client_connect(pool->path, remaining_ms(deadline), err, errlen);
	if (*client != NULL)
		return 0;
	rc = pool_errno_result(errno);
	/* A connect that cannot complete is "unavailable", whatever errno. */
	ndes_err_prefix(err, errlen, "ndes-crpd unavailable: ");
	return rc == NDES_POLICY_E_TIMEOUT ? rc : NDES_POLICY_E_UNAVAILABLE;
}

int
policy_pool_call(struct policy_pool *pool, struct ndes_ipc_msg *req,
    struct ndes_ipc_frame **reply, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = policy_now_ms() + timeout_ms;
	struct ndes_ipc_client *client;
	char why[NDES_ERR_MAX];
	bool reused;
	int rc, e;

	*reply = NULL;
	if (pool_acquire(pool, deadline, &client) == -1) {
		ndes_err_set(err, errlen, "no free connection to ndes-crpd within %d ms",
		    timeout_ms);
		return NDES_POLICY_E_TIMEOUT;
	}
	for (reused = client != NULL;; reused = false) {
		if (client == NULL && (rc = pool_connect(pool, deadline, &client, err, errlen)) != 0)
			break;
		ndes_ipc_msg_set_request_id(req, ndes_ipc_client_next_id(client));
		if (ndes_ipc_client_call(client, req, reply, remaining_ms(deadline), why,
		    sizeof(why)) == 0) {
			rc = NDES_POLICY_OK;
			break;
		}
		e = errno;
		ndes_ipc_client_free(client);
		client = NULL;
		if (!reused || !pool_stale(e) || remaining_ms(deadline) == 0) {
			rc = pool_errno_result(e);
			if (rc == NDES_POLICY_E_TIMEOUT)
				ndes_err_set(err, errlen, "ndes-crpd did not answer within %d ms",
				    timeout_ms);
			else
				ndes_err_set(err, errlen, "ndes-crpd: %s", why);
			break;
		}
	}
	pool_release(pool, client);
	return rc;
}
