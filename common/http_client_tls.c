/* Our TLS setup on the context curl makes for each connection.  See
 * http_client.h.
 *
 * curl (OpenSSL backend) makes a fresh SSL_CTX for every new connection
 * and hands it to us before the handshake.  We put on it what the
 * caller's SSL_CTX says: its certificate store (so the server is verified
 * against our CAs only, whatever curl loaded), its client certificate,
 * key and chain, and the host (or IP address) the
 * server's certificate must name.  Renegotiation is refused.
 *
 * The connection stays at TLS 1.2: there the server checks our client
 * certificate (or that we have none) inside the handshake, so a refusal is
 * a failed handshake (NDES_HTTP_ERR_TLS, the connector's 0x1203).  Under
 * TLS 1.3 the server checks it after the client has finished, and its
 * alert races with our request: the connection often just looks dropped
 * (0x1202).  Sessions are resumed with TLS 1.2 session tickets. */
#include "http_client_priv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>

static int
tls_identity(SSL_CTX *to, SSL_CTX *from)
{
	X509 *cert = SSL_CTX_get0_certificate(from);
	EVP_PKEY *key = SSL_CTX_get0_privatekey(from);
	STACK_OF(X509) *chain = NULL;

	if (cert == NULL || key == NULL)
		return 0;
	if (!SSL_CTX_use_certificate(to, cert) || !SSL_CTX_use_PrivateKey(to, key) ||
	    !SSL_CTX_check_private_key(to))
		return -1;
	if (SSL_CTX_get0_chain_certs(from, &chain) && chain != NULL &&
	    !SSL_CTX_set1_chain(to, chain))
		return -1;
	return 0;
}

/* The name or address the server's certificate must carry. */
static int
tls_expect_host(SSL_CTX *to, const char *host)
{
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(to);
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(param, host) ? 0 : -1;
	return X509_VERIFY_PARAM_set1_host(param, host, 0) ? 0 : -1;
}

CURLcode
http_client_ssl_ctx(CURL *easy, void *sslctx, void *arg)
{
	struct http_call *call = arg;
	const struct ndes_http_client *c = call->client;
	SSL_CTX *to = sslctx, *from = c->tls;

	call->tls_started = true;
	SSL_CTX_set1_cert_store(to, SSL_CTX_get_cert_store(from));
	if (!SSL_CTX_set_min_proto_version(to, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(to, TLS1_2_VERSION) ||
	    tls_identity(to, from) != 0 ||
	    tls_expect_host(to, c->tls_name != NULL ? c->tls_name : c->host) != 0)
		return CURLE_SSL_CERTPROBLEM;
	SSL_CTX_set_verify(to, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(to, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(to, SSL_MODE_RELEASE_BUFFERS);
	return CURLE_OK;
}
