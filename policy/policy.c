/* The policy handle: configuration, connection pool, logging. */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_types.h"

void
policy_copy_utf8(char *dst, size_t size, const char *src)
{
	size_t n;

	if (size == 0)
		return;
	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= size) {
		n = size - 1;
		/* Back off over continuation bytes so no character is cut. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
policy_ipc_error_result(uint32_t code)
{
	return code == NDES_IPC_ERR_UNAVAILABLE || code == NDES_IPC_ERR_INTERNAL ?
	    NDES_POLICY_E_UNAVAILABLE : NDES_POLICY_E_REJECTED;
}

void
policy_ipc_error(uint32_t code, const char *message, char *err, size_t errlen)
{
	ndes_err_set(err, errlen, "ndes-crpd %s: %s (IPC error %u)",
	    policy_ipc_error_result(code) == NDES_POLICY_E_UNAVAILABLE ?
	    "could not take the request" : "refused the request", message, code);
}

int
policy_new_ms(const char *socket_path, int timeout_ms, size_t connections,
    const char *template_name, struct ndes_policy **out, char *err, size_t errlen)
{
	struct ndes_policy *pol;

	*out = NULL;
	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		goto nomem;
	pthread_mutex_init(&pol->log_lock, NULL);
	pol->timeout_ms = timeout_ms;
	pol->socket_path = strdup(socket_path);
	pol->template_name = strdup(template_name != NULL ? template_name : "");
	if (pol->socket_path == NULL || pol->template_name == NULL)
		goto nomem;
	if ((pol->pool = policy_pool_new(socket_path, connections)) == NULL)
		goto nomem;
	*out = pol;
	return NDES_POLICY_OK;
nomem:
	policy_free(pol);
	ndes_err_set(err, errlen, "out of memory");
	return NDES_POLICY_E_NOMEM;
}

int
policy_new(const struct policy_cfg *cfg, struct ndes_policy **out, char *err, size_t errlen)
{
	return policy_new_ms(cfg->crp_socket, (int)cfg->timeout * 1000,
	    (size_t)cfg->connections, cfg->template_name, out, err, errlen);
}

void
policy_free(struct ndes_policy *pol)
{
	if (pol == NULL)
		return;
	policy_pool_free(pol->pool);
	free(pol->socket_path);
	free(pol->template_name);
	pthread_mutex_destroy(&pol->log_lock);
	free(pol);
}

void
policy_set_log(struct ndes_policy *pol, ndes_policy_log_fn fn, void *arg)
{
	if (pol == NULL)
		return;
	pthread_mutex_lock(&pol->log_lock);
	pol->log_fn = fn;
	pol->log_arg = arg;
	pthread_mutex_unlock(&pol->log_lock);
}

void
policy_log(struct ndes_policy *pol, int level, const char *fmt, ...)
{
	char msg[NDES_ERR_MAX];
	ndes_policy_log_fn fn;
	void *arg;
	va_list ap;

	va_start(ap, fmt);
	ndes_err_vset(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&pol->log_lock);
	fn = pol->log_fn;
	arg = pol->log_arg;
	pthread_mutex_unlock(&pol->log_lock);
	if (fn != NULL)
		fn(arg, level, msg);
	else
		fprintf(stderr, "ndes_policy: %s\n", msg);
}
