/* Internals of the CA folder backend. */
#ifndef NDES_CONN_CA_INT_H
#define NDES_CONN_CA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"

struct ca_folder {
	char	*dir;
	char	*passphrase;
	int	 crl_days;
	int	 lock_fd;
};

/* The loaded CA: certificate and key (a matching, currently valid pair). */
struct ca_keys {
	X509		*cert;
	EVP_PKEY	*key;
};

/* One line of index.txt. */
struct ca_index_entry {
	char	 status;	/* 'V', 'R', 'E' */
	char	*expiry;	/* YYMMDDHHMMSSZ (or YYYYMMDDHHMMSSZ) */
	char	*revocation;	/* "" or date[,reason] */
	char	*serial;	/* hex */
	char	*file;
	char	*subject;
};

struct ca_index {
	struct ca_index_entry	*e;
	size_t			 n;
};

/* The CA folder's line-based files (index.txt, serial, crlnumber) are read
 * strictly (lines.h): a line with a NUL byte, too long, not UTF-8, or
 * with the wrong fields makes the reader return CA_FILE_MALFORMED (not -1)
 * and the operation refuses with CONN_CA_FILE_MALFORMED, changing nothing. */
#define CA_FILE_MALFORMED	(-2)
#define CA_INDEX_LINE_MAX	16384
#define CA_NUMBER_LINE_MAX	128
/* CONN_CA_FILE_MALFORMED for CA_FILE_MALFORMED, else CONN_CA_UNAVAILABLE. */
enum conn_ca_status ca_file_status(int r);

/* ca_folder.c */
char *ca_path(const struct ca_folder *f, const char *name);
int ca_lock(struct ca_folder *f, char *err, size_t errlen);
void ca_unlock(struct ca_folder *f);
enum conn_ca_status ca_load_keys(struct ca_folder *f, struct ca_keys *k, char *err,
    size_t errlen);
void ca_keys_clear(struct ca_keys *k);
/* Read a hex number file (serial, crlnumber): one line of hex digits;
 * missing: dflt.  0, -1 or CA_FILE_MALFORMED. */
int ca_read_number(const char *path, unsigned long dflt, BIGNUM **out, char *err,
    size_t errlen);
/* Write n in upper-case hex, even number of digits, newline. */
int ca_write_number(const char *path, const BIGNUM *n, char *err, size_t errlen);
/* ASN1_TIME as index.txt writes it (UTCTime before 2050). */
int ca_time_text(const ASN1_TIME *t, char *buf, size_t buflen);

/* ca_index.c */
/* A missing file is an empty index.  0, -1 (cannot read) or
 * CA_FILE_MALFORMED (idx is left empty). */
int ca_index_load(const char *path, struct ca_index *idx, char *err, size_t errlen);
void ca_index_clear(struct ca_index *idx);
int ca_index_append(const char *path, const struct ca_index_entry *e, char *err,
    size_t errlen);
int ca_index_save(const char *path, const struct ca_index *idx, char *err, size_t errlen);
/* Index of the entry with that serial, or -1. */
ssize_t ca_index_find(const struct ca_index *idx, const char *serial);

/* ca_issue.c */
enum conn_ca_status ca_folder_issue(struct conn_ca *ca, EVP_PKEY *pub,
    const struct conn_ca_profile *prof, X509 **cert, char *err, size_t errlen);

/* ca_crl.c */
enum conn_ca_status ca_folder_revoke(struct conn_ca *ca, const char *serial,
    char *err, size_t errlen);
enum conn_ca_status ca_folder_crl_refresh(struct conn_ca *ca, struct conn_ca_crl_info *info,
    char *err, size_t errlen);
/* Regenerate crl.pem from index.txt (lock held, keys loaded): 0, -1 or
 * CA_FILE_MALFORMED (crlnumber). */
int ca_publish_crl(struct ca_folder *f, const struct ca_keys *k, const struct ca_index *idx,
    char *err, size_t errlen);

#endif
