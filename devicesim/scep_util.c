/* Small helpers of the SCEP client: reasons, the URL split, the library
 * context that can decrypt scepserver's DES-CBC envelopes. */
#include "scep_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/provider.h>

void
dsim_scep_reason(char *reason, const char *fmt, ...)
{
	va_list ap;

	ERR_clear_error();
	if (reason == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, DSIM_SCEP_REASON_MAX, fmt, ap);
	va_end(ap);
}

int
dsim_scep_url_split(const char *url, char **base, char **path)
{
	const char *rest, *slash;
	size_t skip;

	*base = *path = NULL;
	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return -1;
	rest = url + skip;
	slash = strchr(rest, '/');
	if (slash == rest || *rest == 0 || strpbrk(url, "?# \r\n") != NULL)
		return -1;
	if (slash == NULL)
		slash = rest + strlen(rest);
	*base = strndup(url, (size_t)(slash - url));
	*path = strdup(*slash == '/' ? slash : "/");
	if (*base == NULL || *path == NULL) {
		free(*base);
		free(*path);
		*base = *path = NULL;
		return -1;
	}
	return 0;
}

static OSSL_LIB_CTX *legacy_ctx;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

static void
legacy_ctx_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx == NULL)
		return;
	/* The legacy provider is optional: without it only DES-CBC fails. */
	if (OSSL_PROVIDER_load(ctx, "default") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	(void)OSSL_PROVIDER_load(ctx, "legacy");
	ERR_clear_error();
	legacy_ctx = ctx;
}

OSSL_LIB_CTX *
dsim_scep_legacy_ctx(void)
{
	pthread_once(&legacy_once, legacy_ctx_init);
	return legacy_ctx;
}
