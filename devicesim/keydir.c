/* A folder of keys made before a fleet run (dsim_keys.h; docs/devicesim.md,
 * "Keys made before timing"): the *.pem files, each taken once in name
 * order, checked (0600, a regular file of ours) before any is used, loaded
 * with ndes_crypto_load_key() (which checks the mode again on the open
 * file) and renamed NAME.used once a request was made with it, so that no
 * later run takes it again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "crypto.h"
#include "dsim.h"
#include "dsim_keys.h"

struct dsim_keydir {
	char	*dir;
	struct dirent **names;
	int	n, next;
};

static int
keydir_is_pem(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 4 && strcmp(d->d_name + len - 4, ".pem") == 0;
}

/* A key file another user could read or change is not used (the words
 * of ndes_crypto_load_key()). */
static int
keydir_check_stat(const struct stat *st, const char *dir, const char *name, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode))
		snprintf(err, errlen, "%s/%s: not a regular file", dir, name);
	else if (st->st_uid != geteuid())
		snprintf(err, errlen, "%s/%s: owned by uid %u, not by this user", dir, name,
		    (unsigned)st->st_uid);
	else if ((st->st_mode & 077) != 0)
		snprintf(err, errlen, "%s/%s: private key file is %s by group or others "
		    "(mode %04o); chmod 600 it", dir, name, (st->st_mode & 044) != 0 ?
		    "readable" : "accessible", (unsigned)(st->st_mode & 07777));
	else
		return 0;
	return -1;
}

static int
keydir_check_file(int dfd, const char *dir, const char *name, char *err, size_t errlen)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	return keydir_check_stat(&st, dir, name, err, errlen);
}

struct dsim_keydir *
dsim_keydir_open(const char *dir, char *err, size_t errlen)
{
	struct dsim_keydir *kd = calloc(1, sizeof(*kd));
	int dfd = -1;

	if (kd == NULL || (kd->dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (kd->n = scandirat(dfd, ".", &kd->names, keydir_is_pem, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		kd->n = 0;
		goto fail;
	}
	for (int i = 0; i < kd->n; i++)
		if (keydir_check_file(dfd, dir, kd->names[i]->d_name, err, errlen) != 0)
			goto fail;
	close(dfd);
	return kd;
fail:
	if (dfd != -1)
		close(dfd);
	dsim_keydir_free(kd);
	return NULL;
}

int
dsim_keydir_count(const struct dsim_keydir *kd)
{
	return kd != NULL ? kd->n : 0;
}

char *
dsim_keydir_take(struct dsim_keydir *kd)
{
	char *path;

	if (kd == NULL || kd->next >= kd->n ||
	    asprintf(&path, "%s/%s", kd->dir, kd->names[kd->next]->d_name) == -1)
		return NULL;
	kd->next++;
	return path;
}

/* The quick way: a PKCS#8 PEM file of the expected key type, decoded by
 * that type's decoder alone (0.1-0.2 ms for RSA 2048, against 0.4-0.6 ms
 * when OpenSSL tries every decoder).  NULL: not that, or not readable. */
static EVP_PKEY *
keydir_load_typed(const char *path, const char *key_type)
{
	char buf[32768], err[8];
	const unsigned char *p = (const unsigned char *)buf;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *key = NULL;
	struct stat st;
	ssize_t n = -1;
	size_t left;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd != -1 && fstat(fd, &st) == 0 &&
	    keydir_check_stat(&st, "", "", err, sizeof(err)) == 0)
		n = read(fd, buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	if (n <= 0 || (size_t)n == sizeof(buf))
		return NULL;
	left = (size_t)n;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", "PrivateKeyInfo", key_type,
	    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &p, &left)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	OPENSSL_cleanse(buf, sizeof(buf));
	ERR_clear_error();
	return key;
}

EVP_PKEY *
dsim_keydir_load(const char *path, const char *key_type, char *err, size_t errlen)
{
	EVP_PKEY *key = key_type != NULL ? keydir_load_typed(path, key_type) : NULL;

	/* else any form, with the reason when it cannot be read */
	return key != NULL ? key : ndes_crypto_load_key(path, NULL, err, errlen);
}

int
dsim_keydir_mark_used(const char *path, char *err, size_t errlen)
{
	char *used;
	int rc = -1;

	if (asprintf(&used, "%s.used", path) == -1)
		return -1;
	if (rename(path, used) == 0)
		rc = 0;
	else
		snprintf(err, errlen, "%s: cannot be marked used: %s", path, strerror(errno));
	free(used);
	return rc;
}

void
dsim_keydir_free(struct dsim_keydir *kd)
{
	if (kd == NULL)
		return;
	for (int i = 0; i < kd->n; i++)
		free(kd->names[i]);
	free(kd->names);
	free(kd->dir);
	free(kd);
}

/* "RSA 2048" or "EC P-256": what a key is, in the profile's terms. */
static void
key_describe(EVP_PKEY *key, char *out, size_t outlen)
{
	char group[64] = "";
	const char *nist;
	int nid;

	if (EVP_PKEY_is_a(key, "RSA"))
		snprintf(out, outlen, "RSA %d", EVP_PKEY_get_bits(key));
	else if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_utf8_string_param(key,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL)) {
		if ((nid = EC_curve_nist2nid(group)) == NID_undef)
			nid = OBJ_sn2nid(group);
		nist = EC_curve_nid2nist(nid);
		snprintf(out, outlen, "EC %s", nist ? nist : group);
	} else
		snprintf(out, outlen, "%s", EVP_PKEY_get0_type_name(key) ?: "unknown");
}

int
dsim_key_matches(EVP_PKEY *key, const char *key_type, int bits, char *err, size_t errlen)
{
	char have[80], want[80];
	const char *group = dsim_ec_group_for_bits(bits);

	key_describe(key, have, sizeof(have));
	if (strcmp(key_type, "EC") == 0)
		snprintf(want, sizeof(want), "EC %s", group ? group : "?");
	else
		snprintf(want, sizeof(want), "%s %d", key_type, bits);
	if (strcmp(have, want) == 0)
		return 0;
	snprintf(err, errlen, "the key is %s, the profile asks for %s", have, want);
	return -1;
}
