/* The device's state folder (dsim.h): ROOT/<device>/<profile>/ with the
 * key (0600), the certificate and state.json; the pair before the last
 * renewal kept as key.old.pem and cert.old.pem.  Folders 0700. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "dsim.h"

void
dsim_state_file_name(const char *name, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < outlen; i++) {
		char c = name[i];
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		out[i] = keep && !(i == 0 && c == '.') ? c : '_';
	}
	out[i] = '\0';
}

static int
state_mkdir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

static char *
state_path(const struct dsim_state *st, const char *file)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", st->dir, file) < 0)
		return NULL;
	return path;
}

static int
state_load(struct dsim_state *st, char *err, size_t errlen)
{
	char *key = state_path(st, "key.pem"), *cert = state_path(st, "cert.pem");
	char *info = state_path(st, "state.json");
	int rc = -1;

	if (key == NULL || cert == NULL || info == NULL)
		goto out;
	if (access(cert, F_OK) == 0 &&
	    ((st->key = ndes_crypto_load_key(key, NULL, err, errlen)) == NULL ||
	    (st->cert = ndes_crypto_load_cert(cert, err, errlen)) == NULL))
		goto out;
	st->info = access(info, F_OK) == 0 ? json_load_file(info, 0, NULL) : json_object();
	if (!json_is_object(st->info)) {
		snprintf(err, errlen, "%s: not a JSON object", info);
		goto out;
	}
	rc = 0;
out:
	free(key);
	free(cert);
	free(info);
	return rc;
}

int
dsim_state_open(const char *root, const char *device, const char *profile,
    struct dsim_state *st, char *err, size_t errlen)
{
	char dev[256], prof[256], *devdir = NULL;

	memset(st, 0, sizeof(*st));
	dsim_state_file_name(device, dev, sizeof(dev));
	dsim_state_file_name(profile, prof, sizeof(prof));
	if (asprintf(&devdir, "%s/%s", root, dev) < 0 ||
	    asprintf(&st->dir, "%s/%s", devdir, prof) < 0) {
		free(devdir);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (state_mkdir(root, err, errlen) != 0 || state_mkdir(devdir, err, errlen) != 0 ||
	    state_mkdir(st->dir, err, errlen) != 0 || state_load(st, err, errlen) != 0) {
		free(devdir);
		dsim_state_clear(st);
		return -1;
	}
	free(devdir);
	return 0;
}

/* key.pem -> key.old.pem, cert.pem -> cert.old.pem */
static int
state_keep_old(struct dsim_state *st, char *err, size_t errlen)
{
	static const char *const pairs[][2] = {
		{ "key.pem", "key.old.pem" }, { "cert.pem", "cert.old.pem" } };
	char *from, *to;
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		from = state_path(st, pairs[i][0]);
		to = state_path(st, pairs[i][1]);
		if (from == NULL || to == NULL || rename(from, to) != 0) {
			snprintf(err, errlen, "%s: %s", from ? from : "", strerror(errno));
			rc = -1;
		}
		free(from);
		free(to);
	}
	return rc;
}

int
dsim_state_save(struct dsim_state *st, EVP_PKEY *key, X509 *cert, char *err, size_t errlen)
{
	char *kp = state_path(st, "key.pem"), *cp = state_path(st, "cert.pem");
	int rc = -1;

	if (kp == NULL || cp == NULL)
		goto out;
	if (st->cert != NULL && state_keep_old(st, err, errlen) != 0)
		goto out;
	if (ndes_crypto_write_key(kp, key, NULL, err, errlen) != 0 ||
	    ndes_crypto_write_cert(cp, cert, err, errlen) != 0)
		goto out;
	EVP_PKEY_free(st->key);
	X509_free(st->cert);
	EVP_PKEY_up_ref(key);
	X509_up_ref(cert);
	st->key = key;
	st->cert = cert;
	rc = dsim_state_write_info(st, err, errlen);
out:
	free(kp);
	free(cp);
	return rc;
}

int
dsim_state_write_info(struct dsim_state *st, char *err, size_t errlen)
{
	char *path = state_path(st, "state.json");
	char *text = json_dumps(st->info, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = -1;

	if (path != NULL && text != NULL)
		rc = ndes_crypto_write_file(path, text, strlen(text), 0600, err, errlen);
	free(path);
	free(text);
	return rc;
}

void
dsim_state_clear(struct dsim_state *st)
{
	free(st->dir);
	EVP_PKEY_free(st->key);
	X509_free(st->cert);
	json_decref(st->info);
	memset(st, 0, sizeof(*st));
}
