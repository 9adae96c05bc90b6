/* ndes-bench enroll: what is made before anything is timed: challenges
 * from the cloud emulator, keys, and the requests scepclient sends as they
 * are (a csr.pem in its folder), with what the challenge asks for. */
#include "bench_enroll.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ENROLL_ANSWER_MAX (1024 * 1024)

static int
http_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd != -1 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Everything the server sends until it closes (Connection: close). */
static char *
http_read_all(int fd)
{
	char *buf = malloc(ENROLL_ANSWER_MAX + 1);
	size_t have = 0;
	ssize_t n;

	while (buf != NULL && have < ENROLL_ANSWER_MAX &&
	    (n = read(fd, buf + have, ENROLL_ANSWER_MAX - have)) > 0)
		have += (size_t)n;
	if (buf != NULL)
		buf[have] = '\0';
	return buf;
}

int
enroll_http_post(int port, const char *path, const char *body, char **answer)
{
	char head[512], *all, *start;
	int fd = http_connect(port), status = -1, len;

	*answer = NULL;
	if (fd == -1)
		return -1;
	len = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    path, strlen(body));
	if (write(fd, head, (size_t)len) == len &&
	    write(fd, body, strlen(body)) == (ssize_t)strlen(body) &&
	    (all = http_read_all(fd)) != NULL) {
		if (sscanf(all, "HTTP/1.1 %d", &status) == 1 &&
		    (start = strstr(all, "\r\n\r\n")) != NULL)
			*answer = strdup(start + 4);
		free(all);
	}
	close(fd);
	return *answer != NULL ? status : -1;
}

json_t *
enroll_mint(int port, const char *body, char *err, size_t errlen)
{
	char *answer;
	json_t *j = NULL;
	int status = enroll_http_post(port, "/admin/challenges", body, &answer);

	if (status == 201 && (j = json_loads(answer, 0, NULL)) != NULL &&
	    json_is_string(json_object_get(j, "challenge")) &&
	    json_is_string(json_object_get(j, "subjectOpenssl"))) {
		free(answer);
		return j;
	}
	snprintf(err, errlen, "POST /admin/challenges: status %d: %.200s", status,
	    answer != NULL ? answer : "(no answer)");
	json_decref(j);
	free(answer);
	return NULL;
}

/* "/C=US/O=Contoso/CN=alice" into name. */
static int
enroll_subject(X509_NAME *name, const char *openssl_dn)
{
	char *copy = strdup(openssl_dn), *save = NULL, *part, *eq;
	int rc = copy != NULL ? 0 : -1;

	for (part = copy != NULL ? strtok_r(copy, "/", &save) : NULL; part != NULL && rc == 0;
	    part = strtok_r(NULL, "/", &save)) {
		if ((eq = strchr(part, '=')) == NULL)
			rc = -1;
		else {
			*eq = '\0';
			rc = X509_NAME_add_entry_by_txt(name, part, MBSTRING_UTF8,
			    (const unsigned char *)eq + 1, -1, -1, 0) == 1 ? 0 : -1;
		}
	}
	free(copy);
	return rc;
}

/* The strings of array key, each with prefix, joined by ", " (openssl's
 * configuration syntax). */
static void
enroll_join(const json_t *tmpl, const char *key, char *out, size_t outlen)
{
	const json_t *arr = json_object_get(tmpl, key), *v;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && used < outlen)
			used += (size_t)snprintf(out + used, outlen - used, "%s%s",
			    i > 0 ? ", " : "", json_string_value(v));
}

/* The SANs as openssl writes them: email:, DNS:, URI:, otherName (UPN). */
static void
enroll_sans(const json_t *tmpl, char *out, size_t outlen)
{
	const json_t *arr = json_object_get(tmpl, "sans"), *v;
	const char *type, *value, *prefix;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		type = json_string_value(json_object_get(v, "type"));
		value = json_string_value(json_object_get(v, "value"));
		if (type == NULL || value == NULL || used >= outlen)
			continue;
		prefix = strcmp(type, "email") == 0 ? "email:" : strcmp(type, "dns") == 0 ?
		    "DNS:" : strcmp(type, "uri") == 0 ? "URI:" :
		    "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:";
		used += (size_t)snprintf(out + used, outlen - used, "%s%s%s", used > 0 ? ", " : "",
		    prefix, value);
	}
}

static int
enroll_add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if (value[0] == '\0')
		return 0;
	ext = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);
	return ext != NULL && sk_X509_EXTENSION_push(exts, ext) > 0 ? 0 : -1;
}

static int
enroll_exts(X509_REQ *req, const json_t *tmpl)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char ku[512] = "critical, ", eku[512], san[2048];
	int rc;

	enroll_join(tmpl, "keyUsage", ku + strlen(ku), sizeof(ku) - strlen(ku));
	enroll_join(tmpl, "extendedKeyUsages", eku, sizeof(eku));
	enroll_sans(tmpl, san, sizeof(san));
	rc = exts != NULL && enroll_add_ext(exts, NID_key_usage, ku) == 0 &&
	    enroll_add_ext(exts, NID_ext_key_usage, eku) == 0 &&
	    enroll_add_ext(exts, NID_subject_alt_name, san) == 0 &&
	    X509_REQ_add_extensions(req, exts) == 1 ? 0 : -1;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static X509_REQ *
enroll_csr(EVP_PKEY *key, const json_t *tmpl, const char *challenge)
{
	const char *hash = json_string_value(json_object_get(tmpl, "hash"));
	const EVP_MD *md = EVP_get_digestbyname(hash != NULL ? hash : "sha256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	bool ok;

	ok = req != NULL && name != NULL && md != NULL &&
	    enroll_subject(name, json_string_value(json_object_get(tmpl, "subjectOpenssl"))) == 0 &&
	    X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
	    enroll_exts(req, tmpl) == 0 &&
	    X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)challenge, -1) == 1 && X509_REQ_sign(req, key, md) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

static BIO *
enroll_open(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return BIO_new_file(path, "w");
}

int
enroll_write_request(const char *dir, EVP_PKEY *key, const json_t *tmpl, const char *challenge)
{
	X509_REQ *req = enroll_csr(key, tmpl, challenge);
	BIO *kf = enroll_open(dir, "key.pem"), *cf = enroll_open(dir, "csr.pem"),
	    *df = enroll_open(dir, "csr.der");
	int rc = req != NULL && kf != NULL && cf != NULL && df != NULL &&
	    PEM_write_bio_PrivateKey_traditional(kf, key, NULL, NULL, 0, NULL, NULL) == 1 &&
	    PEM_write_bio_X509_REQ(cf, req) == 1 && i2d_X509_REQ_bio(df, req) == 1 &&
	    BIO_flush(kf) == 1 && BIO_flush(cf) == 1 && BIO_flush(df) == 1 ? 0 : -1;

	BIO_free(kf);
	BIO_free(cf);
	BIO_free(df);
	X509_REQ_free(req);
	return rc;
}

struct keygen {
	EVP_PKEY	**keys;
	int		 n;
	unsigned	 bits;
	atomic_int	 next, failed;
};

static void *
keygen_thread(void *arg)
{
	struct keygen *g = arg;
	int i;

	while ((i = atomic_fetch_add(&g->next, 1)) < g->n) {
		EVP_PKEY_free(g->keys[i]);
		if ((g->keys[i] = EVP_RSA_gen(g->bits)) == NULL)
			atomic_fetch_add(&g->failed, 1);
	}
	return NULL;
}

int
enroll_keygen(EVP_PKEY **keys, int n, unsigned bits, int threads)
{
	struct keygen g = { .keys = keys, .n = n, .bits = bits };
	pthread_t tid[16];

	if (threads > 16)
		threads = 16;
	for (int t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, keygen_thread, &g);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	return atomic_load(&g.failed) == 0 ? 0 : -1;
}

/* The public key of dir/key.pem, or NULL. */
static EVP_PKEY *
enroll_read_key(const char *dir)
{
	char path[4200];
	BIO *b;
	EVP_PKEY *k = NULL;

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if ((b = BIO_new_file(path, "r")) != NULL) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	return k;
}

static bool
enroll_cert_has_key(const char *depot, const char *name, EVP_PKEY *key)
{
	char path[4400];
	BIO *b;
	X509 *x = NULL;
	bool same;

	snprintf(path, sizeof(path), "%s/%s", depot, name);
	if ((b = BIO_new_file(path, "r")) != NULL) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	same = x != NULL && EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1;
	X509_free(x);
	return same;
}

bool
enroll_issued(const char *depot, const char *dir)
{
	EVP_PKEY *key = enroll_read_key(dir);
	struct dirent *e;
	DIR *d = key != NULL ? opendir(depot) : NULL;
	const char *ext;
	bool found = false;

	while (d != NULL && !found && (e = readdir(d)) != NULL)
		found = (ext = strrchr(e->d_name, '.')) != NULL && strcmp(ext, ".pem") == 0 &&
		    strcmp(e->d_name, "ca.pem") != 0 && enroll_cert_has_key(depot, e->d_name, key);
	if (d != NULL)
		closedir(d);
	EVP_PKEY_free(key);
	return found;
}
