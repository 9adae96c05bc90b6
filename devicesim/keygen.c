/* `ndes-device-sim keygen` (dsim_keys.h): keys of one kind into a folder,
 * made on several threads (RSA 2048 costs about 200 ms of CPU per key). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crypto.h"
#include "dsim.h"
#include "dsim_keys.h"

int
dsim_key_spec_parse(const char *text, const char **key_type, int *bits, char *err,
    size_t errlen)
{
	char *end;
	long v;

	if (strncasecmp(text, "rsa:", 4) == 0) {
		v = strtol(text + 4, &end, 10);
		if (end != text + 4 && *end == '\0' && v >= 1024 && v <= 16384) {
			*key_type = "RSA";
			*bits = (int)v;
			return 0;
		}
	} else if (strncasecmp(text, "ec:p", 4) == 0) {
		const char *n = text + 4 + (text[4] == '-');
		v = strtol(n, &end, 10);
		if (end != n && *end == '\0' && dsim_ec_group_for_bits((int)v) != NULL) {
			*key_type = "EC";
			*bits = (int)v;
			return 0;
		}
	}
	snprintf(err, errlen, "key \"%s\": not rsa:BITS (1024 to 16384) or ec:p256, ec:p384, "
	    "ec:p521", text);
	return -1;
}

/* The highest N of key-N.pem or key-N.pem.used in dir (0 when none). */
static long
keygen_last_number(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long last = 0, n;
	int used;

	while (d != NULL && (e = readdir(d)) != NULL) {
		used = 0;
		if (sscanf(e->d_name, "key-%ld.pem%n", &n, &used) == 1 && used > 0 && n > last)
			last = n;
	}
	if (d != NULL)
		closedir(d);
	return last;
}

struct keygen {
	const char	*dir, *key_type;
	int		bits;
	long		first, count;
	atomic_long	next;
	atomic_int	failed;
	pthread_mutex_t	lock;
	char		*err;
	size_t		errlen;
};

static void *
keygen_thread(void *arg)
{
	struct keygen *g = arg;
	char err[DSIM_ERR_MAX], path[4096];
	EVP_PKEY *key;
	long i;

	while (!atomic_load(&g->failed) && (i = atomic_fetch_add(&g->next, 1)) < g->count) {
		snprintf(path, sizeof(path), "%s/key-%08ld.pem", g->dir, g->first + i);
		key = dsim_key_new(g->key_type, g->bits, err, sizeof(err));
		if (key == NULL || ndes_crypto_write_key(path, key, NULL, err, sizeof(err)) != 0) {
			pthread_mutex_lock(&g->lock);
			if (!atomic_exchange(&g->failed, 1))
				snprintf(g->err, g->errlen, "%s", err);
			pthread_mutex_unlock(&g->lock);
		}
		EVP_PKEY_free(key);
	}
	return NULL;
}

int
dsim_keygen(const char *dir, const char *key_type, int bits, int count, int threads,
    char *err, size_t errlen)
{
	struct keygen g = { .dir = dir, .key_type = key_type, .bits = bits, .count = count,
	    .err = err, .errlen = errlen, .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[64];
	int started = 0;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	g.first = keygen_last_number(dir) + 1;
	if (threads > 64)
		threads = 64;
	for (int i = 0; i < threads && i < count; i++)
		if (pthread_create(&tid[started], NULL, keygen_thread, &g) == 0)
			started++;
	if (started == 0)
		keygen_thread(&g);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return atomic_load(&g.failed) ? -1 : 0;
}
