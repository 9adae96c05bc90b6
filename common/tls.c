/* TLS contexts for the HTTP helpers.  See tls.h. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "errmsg.h"

static void
tls_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	ndes_err_set(err, errlen, "%s%s%s%s%s", what, path ? " " : "", path ? path : "",
	    buf[0] ? ": " : "", buf);
}

/* Read a PEM private key, refusing files readable by group or others. */
static EVP_PKEY *
tls_load_key(const char *path, char *err, size_t errlen)
{
	struct stat st;
	EVP_PKEY *key;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "private key %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "private key %s is readable by group or others "
		    "(mode %04o): chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "private key %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (key == NULL)
		tls_error(err, errlen, "cannot read private key", path);
	return key;
}

static STACK_OF(X509) *
tls_load_certs(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert;

	if (bio == NULL || certs == NULL) {
		tls_error(err, errlen, "cannot open", path);
		BIO_free(bio);
		sk_X509_free(certs);
		return NULL;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(certs, cert);
	ERR_clear_error();
	BIO_free(bio);
	if (sk_X509_num(certs) == 0) {
		snprintf(err, errlen, "no PEM certificate in %s", path);
		sk_X509_free(certs);
		return NULL;
	}
	return certs;
}

static SSL_CTX *
tls_ctx_new(const SSL_METHOD *method, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		tls_error(err, errlen, "cannot create TLS context", NULL);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

/* Trust every certificate of cas for peer verification. */
static int
tls_ctx_trust(SSL_CTX *ctx, STACK_OF(X509) *cas, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);

	for (int i = 0; i < sk_X509_num(cas); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(cas, i))) {
			tls_error(err, errlen, "cannot add a trusted CA", NULL);
			return -1;
		}
	}
	return 0;
}

static int
tls_ctx_identity(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key,
    char *err, size_t errlen)
{
	if (!SSL_CTX_use_certificate(ctx, cert) || !SSL_CTX_use_PrivateKey(ctx, key)) {
		tls_error(err, errlen, "cannot use certificate and key", NULL);
		return -1;
	}
	if (!SSL_CTX_check_private_key(ctx)) {
		tls_error(err, errlen, "private key does not match the certificate", NULL);
		return -1;
	}
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i))) {
			tls_error(err, errlen, "cannot add a chain certificate", NULL);
			return -1;
		}
	}
	return 0;
}

static int
tls_ctx_client_auth(SSL_CTX *ctx, STACK_OF(X509) *client_cas,
    enum ndes_tls_client_auth auth, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	static const unsigned char sid_ctx[] = "ndes";

	if (auth == NDES_TLS_CLIENT_AUTH_NONE)
		return 0;
	if (client_cas == NULL || sk_X509_num(client_cas) == 0) {
		snprintf(err, errlen, "client certificates need a client CA");
		return -1;
	}
	if (tls_ctx_trust(ctx, client_cas, err, errlen) != 0)
		return -1;
	if ((names = sk_X509_NAME_new_null()) == NULL)
		return -1;
	for (int i = 0; i < sk_X509_num(client_cas); i++)
		sk_X509_NAME_push(names,
		    X509_NAME_dup(X509_get_subject_name(sk_X509_value(client_cas, i))));
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	SSL_CTX_set_verify(ctx, auth == NDES_TLS_CLIENT_AUTH_REQUIRED ?
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER, NULL);
	return 0;
}

SSL_CTX *
ndes_tls_server_ctx_mem(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key,
    STACK_OF(X509) *client_cas, enum ndes_tls_client_auth auth, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (cert == NULL || key == NULL) {
		snprintf(err, errlen, "a server needs a certificate and a key");
		return NULL;
	}
	if ((ctx = tls_ctx_new(TLS_server_method(), err, errlen)) == NULL)
		return NULL;
	if (tls_ctx_identity(ctx, cert, chain, key, err, errlen) != 0 ||
	    tls_ctx_client_auth(ctx, client_cas, auth, err, errlen) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
ndes_tls_server_ctx(const char *cert_pem_path, const char *key_path,
    const char *client_ca_path, enum ndes_tls_client_auth auth, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL, *cas = NULL;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;
	X509 *leaf;

	if (auth != NDES_TLS_CLIENT_AUTH_NONE && client_ca_path == NULL) {
		snprintf(err, errlen, "client certificates need a client CA");
		return NULL;
	}
	if ((certs = tls_load_certs(cert_pem_path, err, errlen)) == NULL)
		goto out;
	if ((key = tls_load_key(key_path, err, errlen)) == NULL)
		goto out;
	if (client_ca_path != NULL && (cas = tls_load_certs(client_ca_path, err, errlen)) == NULL)
		goto out;
	leaf = sk_X509_shift(certs);
	ctx = ndes_tls_server_ctx_mem(leaf, certs, key, cas, auth, err, errlen);
	X509_free(leaf);
out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(cas, X509_free);
	EVP_PKEY_free(key);
	return ctx;
}

SSL_CTX *
ndes_tls_client_ctx_mem(STACK_OF(X509) *cas, X509 *cert, EVP_PKEY *key,
    char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (cas == NULL || sk_X509_num(cas) == 0) {
		snprintf(err, errlen, "a TLS client needs a CA to verify servers against");
		return NULL;
	}
	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen, "a client certificate needs its key (and the other way round)");
		return NULL;
	}
	if ((ctx = tls_ctx_new(TLS_client_method(), err, errlen)) == NULL)
		return NULL;
	if (tls_ctx_trust(ctx, cas, err, errlen) != 0 ||
	    (cert != NULL && tls_ctx_identity(ctx, cert, NULL, key, err, errlen) != 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

SSL_CTX *
ndes_tls_client_ctx(const char *ca_path, const char *cert_path, const char *key_path,
    char *err, size_t errlen)
{
	STACK_OF(X509) *cas = NULL, *certs = NULL;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;

	if ((cert_path == NULL) != (key_path == NULL)) {
		snprintf(err, errlen, "a client certificate needs its key (and the other way round)");
		return NULL;
	}
	if ((cas = tls_load_certs(ca_path, err, errlen)) == NULL)
		goto out;
	if (cert_path != NULL && ((certs = tls_load_certs(cert_path, err, errlen)) == NULL ||
	    (key = tls_load_key(key_path, err, errlen)) == NULL))
		goto out;
	ctx = ndes_tls_client_ctx_mem(cas, certs ? sk_X509_value(certs, 0) : NULL, key,
	    err, errlen);
	for (int i = 1; ctx != NULL && certs != NULL && i < sk_X509_num(certs); i++)
		SSL_CTX_add1_chain_cert(ctx, sk_X509_value(certs, i));
out:
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	return ctx;
}

int
ndes_tls_client_set_host(SSL *ssl, const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) ? 0 : -1;
	if (!SSL_set_tlsext_host_name(ssl, host) || !SSL_set1_host(ssl, host))
		return -1;
	return 0;
}

const char *
ndes_tls_verify_error(const SSL *ssl, char *buf, size_t buflen)
{
	long result = SSL_get_verify_result(ssl);

	if (result == X509_V_OK)
		return NULL;
	snprintf(buf, buflen, "certificate verify failed: %s",
	    X509_verify_cert_error_string(result));
	return buf;
}

const char *
ndes_tls_subject(X509 *cert, char *buf, size_t buflen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (bio == NULL || buflen == 0)
		return NULL;
	X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(bio, &data);
	snprintf(buf, buflen, "%.*s", (int)len, data);
	BIO_free(bio);
	return buf;
}
