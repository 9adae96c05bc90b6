/* TLS contexts for the HTTP helpers (docs/http.md).
 *
 * Every context made here speaks TLS 1.2 or newer.  Server contexts may ask
 * for client certificates (mutual TLS), verified against a CA; client
 * contexts always verify the server against a CA, and every connection
 * names the host it expects (ndes_tls_client_set_host: SNI + host name or
 * IP address check).  Private keys read from files must not be readable by
 * group or others.  All functions return NULL / -1 with a message in err. */
#ifndef NDES_TLS_H
#define NDES_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

enum ndes_tls_client_auth {
	NDES_TLS_CLIENT_AUTH_NONE = 0,  /* no client certificate asked for */
	NDES_TLS_CLIENT_AUTH_OPTIONAL,  /* asked for; verified when sent */
	NDES_TLS_CLIENT_AUTH_REQUIRED,  /* handshake fails without a valid one */
};

/* Server context from PEM files: cert_pem_path may hold the chain after the
 * leaf.  client_ca_path (PEM, may hold several CAs) is needed unless auth is
 * NONE.  Free with SSL_CTX_free(). */
SSL_CTX *ndes_tls_server_ctx(const char *cert_pem_path, const char *key_path,
    const char *client_ca_path, enum ndes_tls_client_auth auth, char *err, size_t errlen);

/* The same from memory (the cloud emulator makes its own certificates).
 * chain and client_cas may be NULL; nothing passed in is taken over. */
SSL_CTX *ndes_tls_server_ctx_mem(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key,
    STACK_OF(X509) *client_cas, enum ndes_tls_client_auth auth, char *err, size_t errlen);

/* Client context: servers are verified against ca_path (PEM); cert_path and
 * key_path (both or neither) give the client certificate for mutual TLS. */
SSL_CTX *ndes_tls_client_ctx(const char *ca_path, const char *cert_path,
    const char *key_path, char *err, size_t errlen);

/* The same from memory; cert/key may be NULL (no client certificate). */
SSL_CTX *ndes_tls_client_ctx_mem(STACK_OF(X509) *cas, X509 *cert, EVP_PKEY *key,
    char *err, size_t errlen);

/* Per connection: expect host (a DNS name, checked against the certificate's
 * names and sent as SNI, or an IPv4/IPv6 literal, checked against its IP
 * addresses).  Must be called before the handshake. */
int ndes_tls_client_set_host(SSL *ssl, const char *host);

/* One line describing why a finished or failed handshake is not trusted,
 * e.g. "certificate verify failed: self-signed certificate", or NULL when
 * the peer verified (or sent no certificate). */
const char *ndes_tls_verify_error(const SSL *ssl, char *buf, size_t buflen);

/* The subject of cert as one line ("CN=alice,O=Contoso"); buf on success. */
const char *ndes_tls_subject(X509 *cert, char *buf, size_t buflen);

#endif
