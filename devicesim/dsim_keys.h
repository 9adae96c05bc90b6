/* Keys made before timing (docs/devicesim.md, "Keys made before timing"):
 * `ndes-device-sim keygen` fills a folder with keys of one kind, and
 * `fleet --keys DIR` uses them instead of making a key per enrollment, so
 * that a load tester can keep key generation out of what it measures (as
 * ndes-bench enroll does).  The request is still made per enrollment: it
 * carries the challenge.
 *
 * The folder: *.pem files (PKCS#8, 0600, regular files of this user), taken
 * once each in name order; a key used is renamed NAME.pem.used. */
#ifndef NDES_DEVICESIM_DSIM_KEYS_H
#define NDES_DEVICESIM_DSIM_KEYS_H

#include <openssl/evp.h>

/* "rsa:2048", "ec:p256" (also "ec:p-384", "EC:P521") to the profile's
 * keyType ("RSA", "EC") and keySize (2048, 256); -1 with err. */
int	dsim_key_spec_parse(const char *text, const char **key_type, int *bits, char *err,
	    size_t errlen);
/* count keys into dir (made 0700 when missing), key-NNNNNNNN.pem after the
 * highest number already there, on `threads` threads. */
int	dsim_keygen(const char *dir, const char *key_type, int bits, int count, int threads,
	    char *err, size_t errlen);

struct dsim_keydir;

/* Lists dir's *.pem files and refuses the folder when one is not a regular
 * file of this user with mode 0600 (or stricter). */
struct dsim_keydir *dsim_keydir_open(const char *dir, char *err, size_t errlen);
int	dsim_keydir_count(const struct dsim_keydir *kd);
/* The next key file's path (free it); NULL when the folder ran out. */
char	*dsim_keydir_take(struct dsim_keydir *kd);
/* Thread-safe: the key of a file taken (the mode checked on the open file);
 * key_type ("RSA", "EC", or NULL), the type expected, makes it quicker. */
EVP_PKEY *dsim_keydir_load(const char *path, const char *key_type, char *err,
	    size_t errlen);
/* path -> path.used */
int	dsim_keydir_mark_used(const char *path, char *err, size_t errlen);
void	dsim_keydir_free(struct dsim_keydir *kd);

/* 0 when key is what the profile's keyType and keySize ask for (RSA of
 * exactly that size, EC on that curve); -1 with err "the key is EC P-256,
 * the profile asks for RSA 2048". */
int	dsim_key_matches(EVP_PKEY *key, const char *key_type, int bits, char *err,
	    size_t errlen);

#endif
